"""Where the tap's CPU goes: cProfile on the tap subprocess, one unthrottled sync of every stream of the
bench data set (or --scale of it), against the simulator. Prints the top functions by own time and the
cumulative time of the record path's stages; writes the raw profile to bench/work/tap.prof.

    .venv/bin/python -m bench.profile_tap [--scale 0.5] [--top 25] [--py-spy]

cProfile adds a fixed cost per Python call (it made the tap six times slower here), so many small calls
read far heavier than they are. With --py-spy (`.venv/bin/pip install py-spy`, not a project dependency)
the tap is sampled instead, 250 times a second of its CPU (idle samples dropped), which leaves its speed
alone: prefer it when it is available. Shares are of the profiled process's total.
"""
import argparse
import pstats
import sys
from datetime import datetime, timezone
from pathlib import Path

from tests.sandbox import SimOptions, Simulator

from .common import LISTS, SEARCH, WORK, bench_dataset, measured, select, start_before_oldest, write_json
from .ours import UNTHROTTLED, OurTap

# The profiler's clock is the process's CPU time: waiting for the simulator's pages costs the tap nothing.
PY_SPY = Path(sys.executable).with_name("py-spy")
RUNNER = ("import cProfile, sys, time; from tap_kustomer.cli import main; out = sys.argv[1]; sys.argv = sys.argv[1:]; "
          "profile = cProfile.Profile(time.process_time)\ntry:\n    profile.runcall(main)\n"
          "finally:\n    profile.dump_stats(out)")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.profile_tap", description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--py-spy", action="store_true", help="sample with py-spy instead of cProfile")
    args = parser.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    today = datetime.now(timezone.utc).date()
    anchor = int(datetime(today.year, today.month, today.day, tzinfo=timezone.utc).timestamp()) * 1000
    dataset = bench_dataset(args.seed, anchor, args.scale)
    start = start_before_oldest(dataset)
    tap = OurTap()
    prof = WORK / ("tap.stacks" if args.py_spy else "tap.prof")
    with Simulator(dataset, SimOptions(rate_limits=False)) as sim:
        config = write_json(WORK / "profile.config.json", tap.config(sim, start, **UNTHROTTLED))
        catalog = write_json(WORK / "profile.catalog.json", select(tap.catalog(sim), SEARCH + LISTS))
        files = ["--config", config, "--catalog", catalog]
        if args.py_spy:
            argv = [PY_SPY, "record", "--rate", "250", "--format", "raw", "--output", prof, "--",
                    sys.executable, "-m", "tap_kustomer.cli", *files]
        else:
            argv = [sys.executable, "-c", RUNNER, prof, *files]
        run = measured(argv, WORK / "profile.out.jsonl", WORK / "profile.err.txt", 1800)
    if args.py_spy:
        print(f"tap exit {run.exit_code}, CPU {run.cpu:.1f} s with py-spy sampling beside it")
        print_samples(prof, args.top)
        return 0
    print(f"tap exit {run.exit_code}, CPU {run.cpu:.1f} s under cProfile")
    print_stats(prof, args.top)
    return 0


def print_stats(dump, top):
    """Own and cumulative times per function from cProfile's dump."""
    stats = pstats.Stats(str(dump))
    total = stats.total_tt
    print(f"profiled total {total:.1f} s")
    rows = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)
    print(f"\ntop {top} by own time\n{'own s':>7} {'share':>6} {'cum s':>7} {'calls':>10}  function")
    for (path, line, name), (_, calls, own, cumulative, _) in rows[:top]:
        print(f"{own:7.2f} {100 * own / total:5.1f}% {cumulative:7.2f} {calls:10,}  {_short(path)}:{line} {name}")
    print(f"\nby cumulative time (functions of tap_kustomer)\n{'cum s':>7} {'share':>6}  function")
    ours = [item for item in stats.stats.items() if "tap_kustomer" in item[0][0]]
    for (path, line, name), (_, _, _, cumulative, _) in sorted(ours, key=lambda item: item[1][3],
                                                                  reverse=True)[:top]:
        print(f"{cumulative:7.2f} {100 * cumulative / total:5.1f}%  {_short(path)}:{line} {name}")


def print_samples(path, top):
    """Own (innermost frame) and inclusive shares per function from py-spy's collapsed stacks."""
    own, inclusive, total = {}, {}, 0
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        stack, _, count = line.rpartition(" ")
        frames = [_frame(frame) for frame in stack.split(";")]
        count = int(count)
        total += count
        own[frames[-1]] = own.get(frames[-1], 0) + count
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + count
    print(f"{total:,} samples\n\ntop {top} by own samples\n{'share':>6}  function")
    for frame, count in sorted(own.items(), key=lambda item: item[1], reverse=True)[:top]:
        print(f"{100 * count / total:5.1f}%  {frame}")
    print(f"\ntop {top} by inclusive samples (functions of tap_kustomer)\n{'share':>6}  function")
    ours = [item for item in inclusive.items() if "tap_kustomer" in item[0]]
    for frame, count in sorted(ours, key=lambda item: item[1], reverse=True)[:top]:
        print(f"{100 * count / total:5.1f}%  {frame}")


def _frame(frame):
    # py-spy writes "function (path:line)"; the line moves within a function, so drop it.
    name, _, where = frame.partition(" (")
    return f"{_short(where.rsplit(':', 1)[0])} {name}"


def _short(path):
    marker = "site-packages/"
    if marker in path:
        return path.split(marker, 1)[1]
    return path.split("wt-bench13/", 1)[-1] if "tap_kustomer" in path else path


if __name__ == "__main__":
    sys.exit(main())
