"""The tap's CPU per record against an earlier commit's, on the same data, in alternating runs.

    .venv/bin/python -m bench.versus <git revision> [--rounds 5] [--scale 0.5] [--history-days 700]
    .venv/bin/python -m bench.versus <git revision> --instructions


Both taps sync every search and list stream of the bench profile (scaled) from one simulator, unthrottled,
in turns: earlier, now, earlier, now... On a shared two-core machine a run's CPU moves by a tenth or more
from one run to the next, so each round's pair is compared (paired ratio) and the median pair is the
figure. History defaults to 700 days, inside the search horizon, so that a tap from before archive search
reads the same records as today's. The earlier tap is the revision's `tap_kustomer` package, taken with
`git archive` into bench/work/versus/ and run with this venv's interpreter and dependencies.

With --instructions each tap runs once under valgrind's callgrind on two small data sets (1/50 and 3/50
of the bench profile; about two and a half minutes in all), and the figure is the instructions each extra
record costs: a count that does not move with the machine's load, where CPU seconds move by a tenth.
"""
import argparse
import json
import re
import shutil
import subprocess
import sys
import time

from tests.sandbox import SimOptions, Simulator

from .common import LISTS, OUR_TAP, ROOT, SEARCH, WORK, bench_dataset, measured, read_singer, select, \
    start_before_oldest, write_json
from .ours import UNTHROTTLED, OurTap

VERSUS = WORK / "versus"


def earlier_tap(revision):
    """argv that runs `revision`'s tap: its package unpacked here, ahead of the installed one on sys.path."""
    commit = subprocess.run(["git", "rev-parse", "--short", revision], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout.strip()
    home = VERSUS / commit
    if not (home / "tap_kustomer").exists():
        shutil.rmtree(home, ignore_errors=True)
        home.mkdir(parents=True)
        archive = subprocess.run(["git", "archive", commit, "tap_kustomer"], cwd=ROOT, capture_output=True,
                                 check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(home)], input=archive, check=True)
    code = (f"import sys; sys.path.insert(0, {str(home)!r}); sys.argv[0] = 'tap-kustomer'; "
            "from tap_kustomer.cli import main; main()")
    return commit, [sys.executable, "-c", code]


def prepare(label, argv, sim, start):
    """Config and catalog (the tap's own discovery, every search and list stream selected) for one tap."""
    config = write_json(VERSUS / f"{label}.config.json", OurTap.config(sim, start, **UNTHROTTLED))
    # Run from outside the checkout, so that its own package is not the one imported first.
    found = subprocess.run([*argv, "--config", config, "--discover"], capture_output=True, check=True, cwd=VERSUS)
    catalog = write_json(VERSUS / f"{label}.catalog.json", select(json.loads(found.stdout), SEARCH + LISTS))
    return [*argv, "--config", config, "--catalog", catalog]


def dataset_at(args, scale):
    dataset = bench_dataset(args.seed, int(time.time() * 1000), scale, args.history_days)
    return dataset, start_before_oldest(dataset)


def instructions(args, commit, earlier):
    """Instructions per record, from the difference between two data sizes (start-up cancels out)."""
    counted = {}
    for scale in (0.02, 0.06):
        dataset, start = dataset_at(args, scale)
        with Simulator(dataset, SimOptions(rate_limits=False)) as sim:
            for label, argv in ((commit, earlier), ("now", [str(OUR_TAP)])):
                command = prepare(label, argv, sim, start)
                out = VERSUS / f"{label}.callgrind.jsonl"
                with open(out, "wb") as stdout:
                    done = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
                                          stdout=stdout, stderr=subprocess.PIPE, cwd=VERSUS, check=False)
                collected = re.search(rb"Collected : (\d+)", done.stderr)
                if done.returncode != 0 or collected is None:
                    raise SystemExit(f"{label} under valgrind: exit {done.returncode}; see {out}")
                counted[label, scale] = (int(collected.group(1)), read_singer(out).records)
                print(f"{label:>8}: {counted[label, scale][0]:,} instructions, {counted[label, scale][1]:,} records",
                      flush=True)
    per_record = {}
    for label in (commit, "now"):
        (small, small_records), (large, large_records) = counted[label, 0.02], counted[label, 0.06]
        per_record[label] = (large - small) / (large_records - small_records)
        print(f"{label:>8}: {per_record[label]:,.0f} instructions per record")
    print(f"now / {commit}, instructions per record: {per_record['now'] / per_record[commit]:.3f}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.versus", description=__doc__.splitlines()[0])
    parser.add_argument("revision", help="the earlier commit, e.g. aec3324 (before issue 10's structure)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--scale", type=float, default=0.5, help="volume relative to the bench profile")
    parser.add_argument("--history-days", type=int, default=700)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--instructions", action="store_true", help="count instructions with valgrind instead")
    args = parser.parse_args(argv)
    VERSUS.mkdir(parents=True, exist_ok=True)
    commit, earlier = earlier_tap(args.revision)
    if args.instructions:
        instructions(args, commit, earlier)
        return
    dataset, start = dataset_at(args, args.scale)
    runs = {commit: [], "now": []}
    with Simulator(dataset, SimOptions(rate_limits=False)) as sim:
        commands = {commit: prepare(commit, earlier, sim, start), "now": prepare("now", [str(OUR_TAP)], sim, start)}
        for _ in range(args.rounds):
            for label, command in commands.items():
                out = VERSUS / f"{label}.out.jsonl"
                result = measured(command, out, VERSUS / f"{label}.err.txt", 900, cwd=VERSUS)
                records = read_singer(out).records
                if result.exit_code != 0 or not records:
                    raise SystemExit(f"{label}: exit {result.exit_code}, {records} records; see {out}")
                runs[label].append((result.cpu, records))
                print(f"{label:>8}: {result.cpu:6.2f} s CPU, {records:,} records, "
                      f"{1e6 * result.cpu / records:6.1f} us per record", flush=True)
    pairs = sorted((now / records_now) / (then / records_then)
                   for (then, records_then), (now, records_now) in zip(runs[commit], runs["now"]))
    print(f"now / {commit}, CPU per record, each round's pair: {', '.join(f'{pair:.3f}' for pair in pairs)}; "
          f"median {pairs[len(pairs) // 2]:.3f}")


if __name__ == "__main__":
    main()
