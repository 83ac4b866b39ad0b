"""The search walk against an in-memory search that behaves like Kustomer's, edge cases first."""
import random
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tap_kustomer.cursor import SearchPage, SearchWalk, page_has_more
from tap_kustomer.errors import WalkError

T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)


def at(seconds):
    return T0 + timedelta(seconds=seconds)


class CapExceeded(Exception):
    pass


class FakeSearch:
    """Sorted by updatedAt; tie order stable by id or reshuffled per request; page and result caps.

    `shown` maps an id to a newer updatedAt that its attributes carry while the index still holds the
    old one, as an index that has not caught up with an update would return it.
    """

    def __init__(self, records, shuffle_seed=None, links=True, totals=True, cap=10_000, shown=None):
        self.records = dict(records)
        self.shown = shown or {}
        self.rng = random.Random(shuffle_seed) if shuffle_seed is not None else None
        self.links, self.totals, self.cap = links, totals, cap
        self.requests = 0

    def _matches(self, query, stamp):
        lower_ok = stamp >= query.lower if query.lower_inclusive else stamp > query.lower
        upper_ok = stamp <= query.upper if query.upper_inclusive else stamp < query.upper
        return lower_ok and upper_ok

    def __call__(self, query, page_size):
        self.requests += 1
        rows = [(stamp, record_id) for record_id, stamp in self.records.items() if self._matches(query, stamp)]
        tiebreak = (lambda row: (row[0], self.rng.random())) if self.rng else (lambda row: row)
        rows.sort(key=tiebreak)
        start = (query.page - 1) * page_size
        if start >= self.cap or query.page > 100:
            raise CapExceeded(query)
        chunk = rows[start:start + page_size]
        has_next = start + page_size < len(rows)
        return SearchPage([row[1] for row in chunk], [self.shown.get(row[1], row[0]) for row in chunk],
                          total=len(rows) if self.totals else None,
                          has_next=has_next if self.links else None, page_size=page_size)


def run_walk(search, lower, end, page_size, window_days=60, on_request=None, max_requests=None, **walk_options):
    walk = SearchWalk(lower, end, window_days, page_size, **walk_options)
    emitted, checkpoints = [], [walk.checkpoint]
    while (query := walk.next_query()) is not None:
        if max_requests is not None and search.requests >= max_requests:
            break
        page = search(query, page_size)
        emitted.extend(page.ids[index] for index in walk.accept(page))
        walk.check_invariants()
        checkpoints.append(walk.checkpoint)
        # The bookmark promise: everything strictly before the checkpoint is out.
        missing = [rid for rid, stamp in search.records.items()
                   if lower <= search.shown.get(rid, stamp) < walk.checkpoint and rid not in emitted]
        assert not missing, (walk.checkpoint, missing[:5])
        if on_request:
            on_request(search)
        assert search.requests < 5_000, "walk does not terminate"
    assert checkpoints == sorted(checkpoints), "checkpoint moved backwards"
    return emitted, walk


def spread(count, step=1.0, start=0):
    return {f"r{index:05d}": at(start + index * step) for index in range(count)}


def test_page_has_more_prefers_links_then_total_then_full_page():
    assert page_has_more(SearchPage(["a"], [T0], total=99, has_next=False), 1, 1) is False
    assert page_has_more(SearchPage(["a"], [T0], total=3, has_next=None, page_size=1), 2, 1) is True
    assert page_has_more(SearchPage(["a"], [T0], total=2, has_next=None, page_size=1), 2, 1) is False
    assert page_has_more(SearchPage(["a", "b"], [T0, T0]), 1, 2) is True
    assert page_has_more(SearchPage(["a"], [T0]), 1, 2) is False


@pytest.mark.parametrize("links,totals", [(True, True), (False, True), (True, False), (False, False)])
def test_plain_walk_emits_everything_once(links, totals):
    records = spread(1_234)
    search = FakeSearch(records, links=links, totals=totals)
    emitted, walk = run_walk(search, at(0), at(10_000), page_size=100)
    assert sorted(emitted) == sorted(records)
    assert len(emitted) == len(set(emitted))
    assert walk.checkpoint == at(10_000)
    # keyset pages: 1,234 records need 13 pages; a missing `next` costs at most one probe.
    assert search.requests <= 14


def test_empty_range_and_empty_windows_terminate():
    search = FakeSearch({})
    emitted, walk = run_walk(search, at(0), at(86_400 * 700), page_size=500, window_days=60)
    assert not emitted and walk.finished
    # the first query reaches to the end, so an empty range costs one request
    assert search.requests == 1


def test_records_long_after_start_date_cost_no_empty_windows():
    late = at(86_400 * 1500)
    search = FakeSearch({f"r{index}": late + timedelta(seconds=index) for index in range(1000)})
    emitted, _ = run_walk(search, at(0), at(86_400 * 1600), page_size=500, window_days=60)
    assert len(emitted) == 1000
    # the first query reaches to the end: pages of 500 and 499 (the cursor's record comes again), then the
    # last one; no request is spent on the empty years before
    assert search.requests == 3


def test_an_empty_window_after_the_first_asks_for_the_rest_at_once():
    records = spread(1_200)
    records.update({f"late{index}": at(86_400 * 900 + index) for index in range(10)})
    search = FakeSearch(records)
    emitted, _ = run_walk(search, at(0), at(86_400 * 1000), page_size=500, window_days=1)
    assert sorted(emitted) == sorted(records)
    # 500 to the end, then 1-day windows: 500 and the short rest, one empty window, then the rest in one
    # query, where doubling windows would have cost ten empty ones
    assert search.requests == 5, search.requests


def test_the_walk_names_its_mode_opening_window_tie_done():
    records = spread(600, start=10)
    records.update({f"t{index:03d}": at(5) for index in range(30)})
    search = FakeSearch(records)
    walk = SearchWalk(at(0), at(10_000), 1, 10)
    modes = [walk.mode]
    while (query := walk.next_query()) is not None:
        walk.accept(search(query, 10))
        walk.check_invariants()
        modes.append(walk.mode)
    assert modes[0] == "opening" and modes[-1] == "done"
    assert "tie" in modes and "window" in modes
    assert SearchWalk(at(5), at(5), 1, 10).mode == "done"


def test_records_outside_the_range_are_not_emitted():
    records = {"before": at(-1), "first": at(0), "last": at(9), "end": at(10), "after": at(11)}
    emitted, _ = run_walk(FakeSearch(records), at(0), at(10), page_size=2)
    assert sorted(emitted) == ["first", "last"]


@pytest.mark.parametrize("shuffle_seed", [None, 1, 2, 3])
@pytest.mark.parametrize("tie", [500, 501, 1_200])
def test_tie_longer_than_a_page(tie, shuffle_seed):
    records = spread(300, start=-400)
    records.update({f"t{index:05d}": at(0) for index in range(tie)})
    records.update(spread(300, start=100))
    records = {key: value for key, value in records.items() if value >= at(-400)}
    search = FakeSearch(records, shuffle_seed=shuffle_seed)
    emitted, _ = run_walk(search, at(-400), at(10_000), page_size=500)
    assert sorted(emitted) == sorted(records)
    assert len(emitted) == len(set(emitted))


def test_tie_beyond_the_result_cap_fails_loudly_instead_of_looping():
    records = {f"t{index}": at(0) for index in range(120)}
    search = FakeSearch(records)
    with pytest.raises(WalkError, match="share updatedAt"):
        run_walk(search, at(0), at(10), page_size=10, result_cap=50)


def test_tie_pages_never_request_past_the_cap():
    records = {f"t{index:03d}": at(0) for index in range(50)}
    records.update(spread(20, start=1))
    search = FakeSearch(records, cap=50)
    emitted, _ = run_walk(search, at(0), at(100), page_size=10, result_cap=50)
    assert sorted(emitted) == sorted(records)


def test_a_tie_that_fills_exactly_a_hundred_small_pages_is_read_whole():
    records = {f"t{index:04d}": at(0) for index in range(2_500)}
    records.update(spread(30, start=1))
    search = FakeSearch(records)
    emitted, _ = run_walk(search, at(0), at(100), page_size=25)
    assert sorted(emitted) == sorted(records)


def test_a_tie_the_page_cap_cannot_reach_fails_loudly():
    records = {f"t{index:04d}": at(0) for index in range(3_000)}
    with pytest.raises(WalkError, match="share updatedAt"):
        run_walk(FakeSearch(records), at(0), at(100), page_size=25)


@pytest.mark.parametrize("stale_id, shown_at", [("r00005", 5_000), ("r00009", 20_000), ("r00003", 20_000),
                                                ("r00009", 9_500), ("r00019", 9_900)])
def test_a_version_fresher_than_its_index_entry_does_not_move_the_cursor_past_the_rest(stale_id, shown_at):
    # Updated within the index lag: the search shows the new stamp where the index holds the old one.
    records = spread(40)
    search = FakeSearch(records, shown={stale_id: at(shown_at)})
    emitted, _ = run_walk(search, at(0), at(10_000), page_size=10, settled=at(9_000))
    # Shown beyond the walk's end, that version is read once the index places it (a later run).
    assert set(records) - {stale_id} <= set(emitted)
    # Only the newer version can come twice: each page that holds it in range emits it.
    assert {rid for rid in emitted if emitted.count(rid) > 1} <= {stale_id}


def test_a_full_page_of_versions_the_index_has_not_placed_stops_the_walk_instead_of_jumping():
    records = spread(40)
    search = FakeSearch(records, shown={f"r{index:05d}": at(20_000 + index) for index in range(10, 20)})
    with pytest.raises(WalkError, match="newer than the index"):
        run_walk(search, at(0), at(10_000), page_size=10)


def test_records_updated_mid_walk_do_not_shift_anything_out():
    records = spread(2_000)
    moved = set()

    def update_some(search):
        # A record updated during the sync leaves the range (its new updatedAt is after the signpost).
        if search.requests % 2 == 0:
            victim = sorted(search.records)[search.requests * 7 % len(search.records)]
            search.records[victim] = at(1_000_000)
            moved.add(victim)

    search = FakeSearch(records)
    emitted, _ = run_walk(search, at(0), at(100_000), page_size=100, on_request=update_some)
    unmoved = set(records) - moved
    assert unmoved <= set(emitted)
    assert len(emitted) == len(set(emitted))


def test_resume_from_any_checkpoint_loses_nothing():
    records = spread(700, step=0.5)
    records.update({f"t{index}": at(100) for index in range(40)})
    for cut in range(1, 30):
        first = FakeSearch(records)
        emitted, walk = run_walk(first, at(0), at(1_000), page_size=25, max_requests=cut)
        second = FakeSearch(records)
        rest, _ = run_walk(second, walk.checkpoint, at(1_000), page_size=25)
        assert set(emitted) | set(rest) == set(records)
        repeated = set(emitted) & set(rest)
        assert all(records[rid] == walk.checkpoint for rid in repeated), cut


@settings(max_examples=150, deadline=None)
@given(stamps=st.lists(st.integers(min_value=0, max_value=40), max_size=120),
       page_size=st.integers(min_value=1, max_value=9), window_days=st.integers(min_value=1, max_value=90),
       shuffle=st.one_of(st.none(), st.integers(0, 3)), links=st.booleans(), totals=st.booleans())
def test_any_data_is_walked_exactly_once(stamps, page_size, window_days, shuffle, links, totals):
    records = {f"r{index:04d}": at(stamp * 3_600 * 24) for index, stamp in enumerate(stamps)}
    search = FakeSearch(records, shuffle_seed=shuffle, links=links, totals=totals or shuffle is not None)
    emitted, _ = run_walk(search, at(0), at(41 * 3_600 * 24), page_size=page_size, window_days=window_days)
    assert sorted(emitted) == sorted(records)
    assert len(emitted) == len(set(emitted))


@pytest.mark.parametrize("shuffle_seed", [None, 4, 5])
def test_tie_members_updated_mid_walk_do_not_hide_the_rest(shuffle_seed):
    # Records leave a tie when updated (to a later time inside the range): the group shrinks while
    # it is being paged, so a count of ids seen so far must not be mistaken for completeness.
    records = {f"t{index:03d}": at(10) for index in range(60)}
    records.update(spread(30, start=20))

    def update_a_tie_member(search):
        members = sorted(rid for rid, stamp in search.records.items() if stamp == at(10))
        if members and search.requests % 2 == 1:
            search.records[members[search.requests % len(members)]] = at(500 + search.requests)

    search = FakeSearch(records, shuffle_seed=shuffle_seed)
    emitted, _ = run_walk(search, at(0), at(1_000), page_size=10, on_request=update_a_tie_member)
    assert set(emitted) == set(search.records)


@pytest.mark.parametrize("window_days", [1, 7, 60])
def test_windows_widen_before_a_short_page(window_days):
    # 4,000 records, one every 200 minutes: a window holds fewer or more than a page, never exactly one.
    search = FakeSearch(spread(4_000, step=12_000.0))
    emitted, _ = run_walk(search, at(0), at(12_000 * 4_000), page_size=100, window_days=window_days)
    assert sorted(emitted) == sorted(search.records)
    # the ideal is 40 pages (41 with the cursor's record asked for again), plus a few short pages while a
    # 1-day window doubles to hold a page; a short page per window would cost over five hundred more
    assert search.requests <= 45, search.requests
