"""python -m tests.sandbox: serve a profile until SIGTERM/SIGINT, announcing `READY <url> <token>`."""
import argparse
import signal
import sys

from .data import PROFILES, Dataset
from .faults import KINDS
from .options import SimOptions
from .simulator import Simulator


def _mutation(text):
    after, stream, count = text.split(":")
    return int(after), stream, int(count)


def _kinds(text):
    return tuple(kind for kind in text.split(",") if kind)


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m tests.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--profile", choices=sorted(PROFILES), default="small")
    parser.add_argument("--pod", default="prod1")
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--fault-kinds", type=_kinds, default=KINDS, help=f"comma list from {','.join(KINDS)}")
    parser.add_argument("--stall-seconds", type=float, default=30.0)
    parser.add_argument("--rate-window", type=float, default=60.0, help="budget window in seconds")
    parser.add_argument("--org-limit", type=int, default=1000)
    parser.add_argument("--search-limit", type=int, default=100)
    parser.add_argument("--no-rate-limits", action="store_true")
    parser.add_argument("--reset-style", choices=("epoch", "delta"), default="epoch")
    parser.add_argument("--retry-after", action="store_true")
    parser.add_argument("--tie-order", choices=("id", "shuffle"), default="shuffle")
    parser.add_argument("--no-company-updated-at", action="store_true")
    parser.add_argument("--index-lag", type=float, default=0.0, help="seconds before search sees an update")
    parser.add_argument("--mutate", type=_mutation, action="append", default=[], metavar="AFTER:STREAM:COUNT",
                        help="after AFTER successful searches, update COUNT records of STREAM (repeatable)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    options = SimOptions(
        seed=args.seed, pod=args.pod, fault_rate=args.fault_rate, fault_kinds=args.fault_kinds,
        stall_seconds=args.stall_seconds, rate_window_seconds=args.rate_window, org_limit=args.org_limit,
        search_limit=args.search_limit, rate_limits=not args.no_rate_limits, reset_style=args.reset_style,
        retry_after=args.retry_after, tie_order=args.tie_order,
        company_updated_at_supported=not args.no_company_updated_at, index_lag_seconds=args.index_lag,
        mutations=tuple(args.mutate))
    # Blocked before any thread starts, so every thread inherits the mask and only sigwait() below sees
    # them: a handler could otherwise run on a server thread and leave the main thread waiting forever.
    stop_signals = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    with Simulator(Dataset.profile(args.profile, args.seed), options, args.host, args.port) as sim:
        print(f"READY {sim.url} {sim.token}", flush=True)
        signal.sigwait(stop_signals)
    return 0


if __name__ == "__main__":
    sys.exit(main())
