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


def _caps(text):
    if text == "same":
        return text
    pages, results = text.split(":")
    return int(pages), int(results)


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
    parser.add_argument("--reset-style", choices=("epoch", "delta", "epoch_ms", "http_date"), default="epoch")
    parser.add_argument("--retry-after", action="store_true")
    parser.add_argument("--retry-after-style", choices=("seconds", "date"), default="seconds")
    parser.add_argument("--rate-clock", choices=("wall", "requests"), default="wall",
                        help="requests: a budget window ends after --rate-window-requests requests")
    parser.add_argument("--rate-window-requests", type=int, default=100)
    parser.add_argument("--archive-budget", choices=("search", "separate"), default="search")
    parser.add_argument("--tie-order", choices=("id", "shuffle"), default="shuffle")
    parser.add_argument("--no-company-updated-at", action="store_true")
    parser.add_argument("--klass-updated-at", choices=("generic", "prefixed", "both"), default="both")
    parser.add_argument("--bound-semantics", choices=("intersect", "first", "last"), default="intersect")
    parser.add_argument("--total-cap", type=int, default=None, help="cap meta.total (default: exact)")
    parser.add_argument("--large-page-refused", action="store_true", help="400 for page >= 2 with pageSize > 100")
    parser.add_argument("--search-horizon-days", type=float, default=730.0)
    parser.add_argument("--horizon-edge", choices=("fixed", "moving"), default="fixed")
    parser.add_argument("--horizon-overlap", type=float, default=0.0,
                        help="seconds around the edge in both indexes (negative: in neither)")
    parser.add_argument("--horizon-speed", type=float, default=1.0,
                        help="moving edge: data seconds it advances per real second")
    parser.add_argument("--archive-caps", type=_caps, default="same", metavar="same|PAGES:RESULTS")
    parser.add_argument("--index-lag", type=float, default=0.0, help="seconds before search sees an update")
    parser.add_argument("--index-lag-mode", choices=("constant", "varying"), default="constant")
    parser.add_argument("--index-lag-searches", type=int, default=0,
                        help="searches served before search sees an update")
    parser.add_argument("--missing-role", choices=("403", "401", "filtered"), default="403")
    parser.add_argument("--list-order", choices=("creation", "newest", "unstable"), default="creation")
    parser.add_argument("--list-hard-deletes", type=int, default=0,
                        help="records of a list hard-deleted once its first page was served")
    parser.add_argument("--mutate", type=_mutation, action="append", default=[], metavar="AFTER:STREAM:COUNT",
                        help="after AFTER successful searches, update COUNT records of STREAM (repeatable)")
    return parser.parse_args(argv)


def options_from(args):
    return SimOptions(
        seed=args.seed, pod=args.pod, fault_rate=args.fault_rate, fault_kinds=args.fault_kinds,
        stall_seconds=args.stall_seconds, rate_window_seconds=args.rate_window, org_limit=args.org_limit,
        search_limit=args.search_limit, rate_limits=not args.no_rate_limits, reset_style=args.reset_style,
        retry_after=args.retry_after, retry_after_style=args.retry_after_style, rate_clock=args.rate_clock,
        rate_window_requests=args.rate_window_requests, archive_budget=args.archive_budget,
        tie_order=args.tie_order, company_updated_at_supported=not args.no_company_updated_at,
        klass_updated_at=args.klass_updated_at, bound_semantics=args.bound_semantics, total_cap=args.total_cap,
        large_page_refused=args.large_page_refused, search_horizon_days=args.search_horizon_days,
        horizon_edge=args.horizon_edge, horizon_overlap_seconds=args.horizon_overlap,
        horizon_speed=args.horizon_speed, archive_caps=args.archive_caps, index_lag_seconds=args.index_lag,
        index_lag_mode=args.index_lag_mode, index_lag_searches=args.index_lag_searches,
        missing_role=args.missing_role, list_order=args.list_order, list_hard_deletes=args.list_hard_deletes,
        mutations=tuple(args.mutate))


def main(argv=None):
    args = parse_args(argv)
    options = options_from(args)
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
