"""How often the search walk loses a record when records are updated while it pages: random walks of the
unit tests' search model, per API behaviour, printed as a table.

    .venv/bin/python -m bench.walk_gap [--walks 30000] [--seed 1] [--large]

Each walk: pages of 3 to 8 records (or 41 to 60 with --large), one to six timestamps each held by up to four
pages' worth of records, and after each request, with a probability drawn per walk between a fifth and a
half, one to three records updated to a stamp past the walk's end. Then, as later runs would, walks with
no updates start from each checkpoint until one reads to the end (at most four: a tie whose members keep
leaving, or one in a new order per request that twelve passes did not cover, is left to the next run). A
record is lost when it is still in range, none of them emits it, and the last one's bookmark has passed it.
One the bookmark has not passed yet is pending: a later run, whose end is later, reads it (here the end stays
where it was, so a member updated past it keeps the tie's end unsure). A walk that stops with a WalkError is
counted apart: it loses nothing, it stops the run.
"""
import argparse
import random
import time
from collections import Counter

from tap_kustomer.cursor import SearchEndpoint, SearchWalk
from tap_kustomer.errors import WalkError
from tests.unit.test_cursor import FakeSearch, Refused, at

# Runs after the first, each from the checkpoint of the one before, while a walk stops at a tie it could
# not prove whole.
LATER_RUNS = 4
# (label, FakeSearch options, tie order): the API behaviours the walk is built to tolerate.
MODES = (
    ("exact counts, ties in a stable order", {}, "stable"),
    ("exact counts, ties in a new order per request", {}, "shuffled"),
    ("meta.total capped at one or two pages", {"total_cap": "pages"}, "either"),
    ("equals refused on dates", {"refuse_equals": True}, "either"),
)


def walk(search, lower, end, page_size, update=None, **options):
    """Emitted ids and the walk, as the tap's SearchSpan drives it."""
    cursor = SearchWalk(lower, end, page_size, **options)
    emitted = []
    while (query := cursor.next_query()) is not None:
        try:
            page = search(query)
        except Refused:
            if not cursor.refused():
                raise
            continue
        emitted.extend(page.ids[index] for index in cursor.accept(page))
        if update:
            update(search)
    return emitted, cursor


def _records(rng, page_size):
    """One to six timestamps, each held by up to four pages' worth of records; and the walk's end."""
    records, stamp = {}, 0
    for _ in range(rng.randint(1, 6)):
        stamp += 1
        records.update({f"r{len(records) + index:05d}": at(stamp) for index in range(rng.randint(1, 4 * page_size))})
    return records, at(stamp + 1)


def one_walk(rng, quirks, order, large):
    """'lost' (the bookmark passed a record unread), 'pending' (records at the bookmark still unread: the next
    run, whose end is later, reads them), 'stopped' (a WalkError) or 'whole'."""
    page_size = rng.randint(41, 60) if large else rng.randint(3, 8)
    records, end = _records(rng, page_size)
    shuffled = order == "shuffled" or (order == "either" and rng.random() < 0.5)
    options = {key: (rng.randint(page_size, 2 * page_size) if value == "pages" else value)
               for key, value in quirks.items()}
    search = FakeSearch(records, shuffle_seed=rng.randint(0, 99) if shuffled else None, links=rng.random() < 0.5,
                        **options)
    share = rng.uniform(0.2, 0.5)

    def update(live):
        for _ in range(rng.choice((1, 1, 2, 3))):
            if rng.random() < share:
                live.records[rng.choice(sorted(live.records))] = at(10_000)

    # Tiny pages cannot hold 20 ids again; where the order is stable, one is enough to exercise that path.
    endpoint = SearchEndpoint(order_evidence=1) if not (large or shuffled) else SearchEndpoint()
    try:
        emitted, last = walk(search, at(0), end, page_size, update, endpoint=endpoint)
        for _ in range(LATER_RUNS):
            if last.complete:
                break
            moment, seen = last.checkpoint
            more, last = walk(search, moment, end, page_size, seen=seen, endpoint=endpoint)
            emitted += more
    except WalkError:
        return "stopped"
    moment, seen = last.checkpoint
    unread = {rid for rid, stamp in search.records.items() if stamp < end} - set(emitted)
    if any(search.records[rid] < moment for rid in unread):
        return "lost"
    return "pending" if unread else "whole"


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench.walk_gap", description=__doc__.splitlines()[0])
    parser.add_argument("--walks", type=int, default=30_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--large", action="store_true", help="pages of 41 to 60 records instead of 3 to 8")
    args = parser.parse_args(argv)
    print(f"{args.walks:,} random walks per row, pages of {'41 to 60' if args.large else '3 to 8'}, seed {args.seed}")
    print(f"{'API behaviour':48s} {'lost':>7s} {'share':>7s} {'pending':>8s} {'stopped':>8s} {'seconds':>8s}")
    for label, quirks, order in MODES:
        rng = random.Random(f"{args.seed}:{label}")
        started = time.process_time()
        outcomes = Counter(one_walk(rng, quirks, order, args.large) for _ in range(args.walks))
        print(f"{label:48s} {outcomes['lost']:7,d} {outcomes['lost'] / args.walks:7.2%} {outcomes['pending']:8,d} "
              f"{outcomes['stopped']:8,d} "
              f"{time.process_time() - started:8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
