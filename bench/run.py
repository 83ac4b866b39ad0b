"""`make bench`: measure the five performance targets of issue 5 and the published tap beside ours.

Prints a table and writes bench/results.json. Nothing is asserted: the figures are the result.
See bench/README.md for what each figure means and how it is measured.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone

from .lumpy import lumpy_rows, print_lumpy, run_profiles
from .profiles import LUMPY
from .common import PEER_PYTHON, ROOT, SEARCH, WORK, bench_dataset, ratio, start_before_oldest, write_json
from .ours import OurTap
from .report import judge, print_report, side_by_side
from .scenarios import PACED_SEARCH, PACED_WINDOW, full_sync, memory_point, paced, search_only, small_sync

RESULTS = ROOT / "bench" / "results.json"
EARLY_START = "2020-01-01T00:00:00Z"
# The memory base is the bench data at a fifth of the volume, so the bench data set itself is the 5x point.
SMALL_FACTOR = 0.2


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-peer", action="store_true", help="do not run the published tap")
    parser.add_argument("--peer-on-bench", action="store_true",
                        help="run the published tap on the bench data set itself (about 7 minutes more)")
    parser.add_argument("--memory-x5", action="store_true",
                        help="also sync the bench data set x5 (~860k records, about 10 more minutes)")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="volume of the data set relative to the bench profile (a quick look: 0.05)")
    parser.add_argument("--lumpy-only", action="store_true",
                        help="only the lumpy profiles of issue 13 (bench/profiles.py), about 4 minutes")
    parser.add_argument("--quick", action="store_true",
                        help="skip the published tap and the lumpy runs with reshuffled ties")
    parser.add_argument("--pace-700d", action="store_true",
                        help="also run the 700-day lumpy profiles under the search budget (about 1.5 minutes)")
    parser.add_argument("--out", default=str(RESULTS), help="where to write the figures as JSON")
    parser.add_argument("--peer-budget", type=float, default=480.0,
                        help="seconds the published tap's stream syncs may take in all")
    return parser.parse_args(argv)


def start_peer_lane(args, anchor, start, factor):
    """The published tap runs in a child process beside our lighter runs; None if its venv is missing."""
    if not PEER_PYTHON.exists():
        return None, f"{PEER_PYTHON.relative_to(ROOT)} is missing; `make bench` builds it"
    out = WORK / "peer" / "report.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)
    command = [sys.executable, "-m", "bench.peer_lane", "--seed", str(args.seed), "--anchor", str(anchor),
               "--start", start, "--factor", str(factor), "--budget", str(args.peer_budget), "--out", str(out)]
    with open(WORK / "peer" / "lane.log", "wb") as log:
        # Not a `with`: the lane runs on while this process does other work; finish_peer_lane reaps it.
        lane = subprocess.Popen(command, cwd=ROOT, stdout=log,  # pylint: disable=consider-using-with
                                stderr=subprocess.STDOUT)
    return (lane, out), None


def finish_peer_lane(handle, budget):
    lane, out = handle
    try:
        lane.wait(timeout=budget + 240)
    except subprocess.TimeoutExpired:
        lane.kill()
        lane.wait()
        return None, "the published tap's lane overran its time budget and was stopped"
    if not out.exists():
        return None, f"the published tap's lane wrote no report (exit {lane.returncode}); see {out.parent}/lane.log"
    return json.loads(out.read_text(encoding="utf-8")), None


def memory_figures(points):
    growth = []
    for small, large in zip(points, points[1:]):
        growth.append({"label": f"{small['records']:,} -> {large['records']:,} records",
                       "data_factor": ratio(large["records"], small["records"]),
                       "growth_pct": 100 * (ratio(large["run"]["rss_mb"], small["run"]["rss_mb"]) - 1)})
    return {"points": points, "growth": growth}


def lumpy_figures(args, tap, anchor):
    """Issue 13's lumpy profiles: requests per stream against the ideal, and the paced share of the budget."""
    paced_names = [name for name, (_, days) in LUMPY.items() if args.pace_700d or days > 700]
    return run_profiles(tap, args.seed, anchor, list(LUMPY), paced_names, _say, shuffled=not args.quick)


def lumpy_only(args, anchor, began):
    """--lumpy-only: the lumpy profiles alone, written to bench/work/lumpy.json unless --out says otherwise."""
    lumpy = lumpy_figures(args, OurTap(), anchor)
    out = args.out if args.out != str(RESULTS) else str(WORK / "lumpy.json")
    write_json(out, {"meta": {"seed": args.seed, "anchor_ms": anchor, "seconds": time.monotonic() - began,
                              "when": datetime.now(timezone.utc).isoformat(timespec="seconds")},
                     "lumpy": lumpy})
    print_lumpy(lumpy)
    return 0


def main(argv=None):
    args = parse_args(argv)
    if args.quick:
        args.skip_peer = True
    began = time.monotonic()
    WORK.mkdir(parents=True, exist_ok=True)
    # One anchor for every data set in the run (and the peer lane), even if the run crosses midnight.
    today = datetime.now(timezone.utc).date()
    anchor = int(datetime(today.year, today.month, today.day, tzinfo=timezone.utc).timestamp()) * 1000
    if args.lumpy_only:
        return lumpy_only(args, anchor, began)
    dataset = bench_dataset(args.seed, anchor, args.scale)
    start = start_before_oldest(dataset)
    tap = OurTap()
    counts = dataset.counts()
    results = {"meta": {"seed": args.seed, "scale": args.scale, "start": start, "anchor_ms": anchor,
                        "counts": counts, "records": sum(counts.values()),
                        "search_records": sum(counts[name] for name in SEARCH),
                        "python": platform.python_version(), "cpus": os.cpu_count(),
                        "when": datetime.now(timezone.utc).isoformat(timespec="seconds")}}

    _say(f"full sync of {results['meta']['records']:,} records from {start}, alone on the machine")
    full = full_sync(tap, dataset, start)
    results["full"] = full
    results["incremental"] = full.pop("incremental")
    _say("the same data at a fifth of the volume (memory base; the published tap's partner)")
    small = small_sync(tap, bench_dataset(args.seed, anchor, args.scale * SMALL_FACTOR), start)
    results["small"] = small

    peer_factor = args.scale if args.peer_on_bench else args.scale * SMALL_FACTOR
    lane, results["peer_error"] = (None, "skipped (--skip-peer)") if args.skip_peer else \
        start_peer_lane(args, anchor, start, peer_factor)
    if lane:
        _say("published tap-kustomer 1.1.0 started beside the next run, on the "
             f"{'bench' if args.peer_on_bench else 'fifth-size'} data")
    _say(f"search streams from {EARLY_START}")
    results["search_2020"] = search_only(tap, dataset, EARLY_START, "search-2020")
    if lane:
        _say("waiting for the published tap")
        results["published"], results["peer_error"] = finish_peer_lane(lane, args.peer_budget)
    _say(f"paced run under a scaled search budget ({PACED_SEARCH} searches per {PACED_WINDOW:g} s)")
    results["paced"] = paced(tap, dataset, start)
    results["lumpy"] = lumpy_figures(args, tap, anchor)

    points = [{"label": "small", "records": small["records"], "run": small["run"]},
              {"label": "full", "records": full["records"], "run": full["run"]}]
    if args.memory_x5:
        _say("memory: the bench data set x5")
        points.append(memory_point(tap, bench_dataset(args.seed, anchor, args.scale * 5), start, "memory-x5"))
    results["memory"] = memory_figures(points)

    rows = judge(results) + lumpy_rows(results["lumpy"])
    partner = (full, results["incremental"]) if args.peer_on_bench else (small, small["incremental"])
    sides = side_by_side(*partner, results.get("published"),
                         "bench data set" if args.peer_on_bench else "fifth-size data set")
    results["side_by_side"] = sides
    results["targets"] = [{"target": name, "measured": figure, "limit": limit, "met": met}
                          for name, figure, limit, met in rows]
    results["meta"].update(seconds=time.monotonic() - began, out=args.out)
    write_json(args.out, results)
    print_report(results, rows, sides)
    print_lumpy(results["lumpy"])
    return 0


def _say(text):
    print(f"[bench] {text}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
