"""The published tap-kustomer 1.1.0 on the bench data, in its own process with its own simulator.

`python -m bench.peer_lane --seed S --anchor MS --start DATE --out FILE` writes one JSON report.
A separate process keeps this simulator off the bench process's interpreter lock, so the lane can
run beside our lighter runs. Each stream is synced by its own tap process: the published tap stops
the whole run at the first record its schemas reject, and one such stream would hide the rest.
"""
import argparse
import json
import re
import subprocess
import time

from tests.sandbox import SimOptions, Simulator

from .common import PEER_PYTHON, PEER_WRAPPER, WORK, bench_dataset, json_floor, measured, read_singer, \
    request_counts, select, versus_truth, write_json

PUBLISHED_STREAMS = ("customers", "kobjects", "conversations", "messages", "users", "teams", "tags", "shortcuts",
                     "notes")
PUBLISHED_SEARCH = ("customers", "kobjects", "conversations", "messages", "notes")
# A traceback's last line, e.g. "singer.transform.SchemaMismatch: Errors during transform".
EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Mismatch)\b")


def peer_argv(sim, *args):
    return [PEER_PYTHON, "-I", PEER_WRAPPER, sim.url, *args]


def discover(sim, config):
    result = subprocess.run(peer_argv(sim, "--config", config, "--discover"), capture_output=True, timeout=120,
                            check=False)
    if result.returncode != 0:
        raise RuntimeError(f"published tap discovery failed: {result.stderr.decode(errors='replace')[-500:]}")
    return json.loads(result.stdout)


def last_error(path):
    """Why the published tap stopped: its traceback's exception line and the first detail under it."""
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    for index in range(len(lines) - 1, -1, -1):
        if EXCEPTION_LINE.match(lines[index]):
            detail = lines[index + 1].strip() if index + 1 < len(lines) and lines[index + 1][:1] == "\t" else ""
            return f"{lines[index]} {detail}".strip()[:300]
    return (lines[-1] if lines else "")[:300]


def sync_streams(sim, workdir, config, catalog, streams, budget):
    """One measured process per stream, in the published catalog's order, within `budget` seconds."""
    truth, report, deadline = sim.truth(), {}, time.monotonic() + budget
    for name in streams:
        left = deadline - time.monotonic()
        if left < 10:
            report[name] = {"skipped": "lane time budget spent"}
            continue
        out, err = workdir / f"{name}.out.jsonl", workdir / f"{name}.err.txt"
        before = len(sim.requests)
        stream_catalog = write_json(workdir / f"{name}.catalog.json", select(catalog, [name]))
        result = measured(peer_argv(sim, "--config", config, "--catalog", stream_catalog), out, err, timeout=left)
        output = read_singer(out)
        report[name] = {"run": result.as_dict(), "requests": request_counts(sim.requests[before:]),
                        "records": versus_truth(truth, output, [name])[name]}
        if result.exit_code != 0 or result.timed_out:
            report[name]["error"] = "timed out" if result.timed_out else last_error(err)
        elif output.last_state is not None:
            report[name]["incremental"] = rerun(sim, workdir, name, config, stream_catalog, output.last_state,
                                                max(deadline - time.monotonic(), 10))
    return report


def rerun(sim, workdir, name, config, catalog_path, state, timeout):
    """Target 5 for the published tap: the same stream again from its final state, nothing changed."""
    out, err = workdir / f"{name}.again.jsonl", workdir / f"{name}.again.err.txt"
    before = len(sim.requests)
    result = measured(peer_argv(sim, "--config", config, "--catalog", catalog_path, "--state",
                                write_json(workdir / f"{name}.state.json", state)), out, err, timeout=timeout)
    emitted = read_singer(out).streams.get(name)
    return {"exit_code": result.exit_code, "timed_out": result.timed_out,
            "emitted": emitted.records if emitted else 0, "requests": request_counts(sim.requests[before:])}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--anchor", type=int, required=True, help="the data set's 'now' in epoch ms")
    parser.add_argument("--start", required=True)
    parser.add_argument("--factor", type=float, default=1.0, help="volume relative to the bench profile")
    parser.add_argument("--budget", type=float, default=480.0, help="seconds for all the stream syncs")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    workdir = WORK / "peer"
    workdir.mkdir(parents=True, exist_ok=True)
    report = {"dataset": None, "streams": {}, "error": None}
    try:
        dataset = bench_dataset(args.seed, args.anchor, args.factor)
        report["dataset"] = dataset.counts()
        with Simulator(dataset, SimOptions(rate_limits=False, record_bodies=True)) as sim:
            # page_size_limit is the published tap's own pageSize key; user_agent it requires.
            config = write_json(workdir / "config.json", {"api_token": sim.token, "start_date": args.start,
                                                          "user_agent": "tap-kustomer-bench",
                                                          "page_size_limit": 500})
            catalog = discover(sim, config)
            served_before = len(sim.served_bodies)
            report["streams"] = sync_streams(sim, workdir, config, catalog, PUBLISHED_STREAMS, args.budget)
            bodies = sim.served_bodies[served_before:]
            report["served"] = {"bodies": len(bodies), "bytes": sum(map(len, bodies))}
            report["floor_json_cpu"] = json_floor(bodies)
    except Exception as exc:  # pylint: disable=broad-exception-caught
        # The lane reports what broke instead of dying silently; the bench prints it.
        report["error"] = f"{type(exc).__name__}: {exc}"
    write_json(args.out, report)


if __name__ == "__main__":
    main()
