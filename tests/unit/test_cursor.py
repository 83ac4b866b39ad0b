"""The search walk against an in-memory search that behaves like Kustomer's, edge cases first."""
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tap_kustomer.cursor import TICK, SearchEndpoint, SearchPage, SearchWalk, page_has_more
from tap_kustomer.errors import WalkError

T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)


def at(seconds):
    return T0 + timedelta(seconds=seconds)


class CapExceeded(Exception):
    pass


@dataclass(frozen=True)
class Quirks:
    links: bool = True
    totals: bool = True
    cap: int = 10_000
    total_cap: int = None
    refuse_large_pages: bool = False
    refuse_equals: bool = False


class FakeSearch:
    """Sorted by updatedAt; tie order stable by id or reshuffled per request; page and result caps.

    `shown` maps an id to a newer updatedAt that its attributes carry while the index still holds the
    old one, as an index that has not caught up with an update would return it. `total_cap` caps
    meta.total the way an Elasticsearch count stops at a limit; `refuse_large_pages` answers page 2 and
    later at a page size above 100 with a refusal, as an API might.
    """

    def __init__(self, records, shuffle_seed=None, shown=None, **quirks):
        self.records = dict(records)
        self.shown = shown or {}
        self.rng = random.Random(shuffle_seed) if shuffle_seed is not None else None
        self.quirks = Quirks(**quirks)
        self.requests = 0
        self.asked = []

    def __call__(self, query):
        self.requests += 1
        self.asked.append(query)
        if self.quirks.refuse_large_pages and query.page > 1 and query.page_size > 100:
            raise Refused(query)
        if query.exact and self.quirks.refuse_equals:
            raise Refused(query)
        rows = [(stamp, record_id) for record_id, stamp in self.records.items()
                if (stamp == query.lower if query.exact else stamp >= query.lower)]
        tiebreak = (lambda row: (row[0], self.rng.random())) if self.rng else (lambda row: row)
        rows.sort(key=tiebreak)
        start = (query.page - 1) * query.page_size
        if start >= self.quirks.cap or query.page > 100:
            raise CapExceeded(query)
        chunk = rows[start:min(start + query.page_size, self.quirks.cap)]
        # As the API does: the last page inside the cap still points past it.
        has_next = start + query.page_size < len(rows)
        total = len(rows) if self.quirks.total_cap is None else min(len(rows), self.quirks.total_cap)
        return SearchPage([row[1] for row in chunk], [self.shown.get(row[1], row[0]) for row in chunk],
                          total=total if self.quirks.totals else None,
                          has_next=has_next if self.quirks.links else None, page_size=query.page_size)


class Refused(Exception):
    pass


def run_walk(search, lower, end, page_size, on_request=None, max_requests=None, **walk_options):
    walk = SearchWalk(lower, end, page_size, **walk_options)
    emitted, checkpoints = [], [walk.checkpoint[0]]
    done_before = set(walk_options.get("seen", ()))
    while (query := walk.next_query()) is not None:
        if max_requests is not None and search.requests >= max_requests:
            break
        try:
            page = search(query)
        except Refused:
            assert walk.refused(), "a refusal the walk cannot work around"
            continue
        emitted.extend(page.ids[index] for index in walk.accept(page))
        walk.check_invariants()
        moment, seen = walk.checkpoint
        checkpoints.append(moment)
        # The bookmark promise: everything strictly before the checkpoint is out, and so are its ids.
        missing = [rid for rid, stamp in search.records.items()
                   if lower <= search.shown.get(rid, stamp) < moment and rid not in emitted and rid not in done_before]
        assert not missing, (moment, missing[:5])
        assert seen <= set(emitted) | done_before, "ids at the checkpoint never emitted"
        if on_request:
            on_request(search)
        assert search.requests < 5_000, "walk does not terminate"
    assert checkpoints == sorted(checkpoints), "checkpoint moved backwards"
    return emitted, walk


def spread(count, step=1.0, start=0):
    return {f"r{index:05d}": at(start + index * step) for index in range(count)}


def test_page_has_more_prefers_links_then_a_full_page_and_never_a_capped_total():
    assert page_has_more(SearchPage(["a"], [T0], total=99, has_next=False), 1) is False
    assert page_has_more(SearchPage(["a", "b"], [T0, T0], total=2), 2) is True
    assert page_has_more(SearchPage(["a"], [T0]), 2) is False


@pytest.mark.parametrize("links,totals", [(True, True), (False, True), (True, False), (False, False)])
def test_plain_walk_emits_everything_once(links, totals):
    records = spread(1_234)
    search = FakeSearch(records, links=links, totals=totals)
    emitted, walk = run_walk(search, at(0), at(10_000), page_size=100)
    assert sorted(emitted) == sorted(records)
    assert len(emitted) == len(set(emitted))
    # never past the newest record read: an update the index shows late is read next run
    assert walk.checkpoint == (at(1_233), frozenset({"r01233"}))
    # keyset pages of 100 from the last one's stamp: 99 new records each after the first
    assert search.requests <= 13


def test_an_empty_range_costs_one_request_and_keeps_the_bookmark():
    search = FakeSearch({})
    emitted, walk = run_walk(search, at(0), at(86_400 * 700), page_size=500)
    assert not emitted and walk.finished
    assert search.requests == 1
    assert walk.checkpoint == (at(0), frozenset())


def test_records_long_after_start_date_cost_no_empty_queries():
    late = at(86_400 * 1500)
    search = FakeSearch({f"r{index}": late + timedelta(seconds=index) for index in range(1000)})
    emitted, _ = run_walk(search, at(0), at(86_400 * 1600), page_size=500)
    assert len(emitted) == 1000
    # pages of 500, 499 (the cursor's record comes again) and the short rest
    assert search.requests == 3


def test_a_walk_stops_at_the_first_record_past_its_end_without_asking_again():
    records = spread(150)
    search = FakeSearch(records)
    emitted, walk = run_walk(search, at(0), at(120), page_size=100)
    assert sorted(emitted) == sorted(rid for rid, stamp in records.items() if stamp < at(120))
    assert search.requests == 2 and walk.finished


def test_records_outside_the_range_are_not_emitted():
    records = {"before": at(-1), "first": at(0), "last": at(9), "end": at(10), "after": at(11)}
    emitted, _ = run_walk(FakeSearch(records), at(0), at(10), page_size=2)
    assert sorted(emitted) == ["first", "last"]


def test_the_walk_names_its_mode_keyset_tie_done():
    records = spread(600, start=10)
    records.update({f"t{index:03d}": at(5) for index in range(30)})
    search = FakeSearch(records)
    walk = SearchWalk(at(0), at(10_000), 10)
    modes = [walk.mode]
    while (query := walk.next_query()) is not None:
        walk.accept(search(query))
        walk.check_invariants()
        modes.append(walk.mode)
    assert modes[0] == "keyset" and modes[-1] == "done" and "tie" in modes
    assert SearchWalk(at(5), at(5), 10).mode == "done"


@pytest.mark.parametrize("shuffle_seed", [None, 1, 2, 3])
@pytest.mark.parametrize("tie", [500, 501, 1_200])
def test_tie_longer_than_a_page(tie, shuffle_seed):
    records = spread(300, start=-400)
    records.update({f"t{index:05d}": at(0) for index in range(tie)})
    records.update(spread(300, start=100))
    search = FakeSearch(records, shuffle_seed=shuffle_seed)
    emitted, _ = run_walk(search, at(-400), at(10_000), page_size=500)
    assert sorted(emitted) == sorted(records)
    assert len(emitted) == len(set(emitted))


@pytest.mark.parametrize("tie", [300, 1_200])
def test_a_tie_costs_at_most_two_requests_beyond_the_ideal_when_its_order_is_stable(tie):
    # A bulk import across a page boundary: the keyset page that shows it repeats the part of it already
    # read, and its last page is short; everything else is whole pages (less the cursor's own record).
    records = spread(250, start=-400)
    records.update({f"t{index:05d}": at(0) for index in range(tie)})
    records.update(spread(1_990, start=100))
    search = FakeSearch(records)
    emitted, _ = run_walk(search, at(-400), at(100_000), page_size=500)
    assert sorted(emitted) == sorted(records)
    ideal = -(-len(records) // 500)
    assert search.requests <= ideal + 2, (search.requests, ideal)


def test_a_capped_total_does_not_end_a_tie_early():
    records = {f"t{index:05d}": at(0) for index in range(1_200)}
    records.update(spread(100, start=1))
    search = FakeSearch(records, shuffle_seed=3, total_cap=1_000)
    emitted, _ = run_walk(search, at(0), at(1_000), page_size=500)
    assert sorted(emitted) == sorted(records)


def test_a_refused_large_page_inside_a_tie_is_read_again_in_smaller_pages():
    records = {f"t{index:05d}": at(0) for index in range(1_200)}
    records.update(spread(100, start=1))
    search = FakeSearch(records, refuse_large_pages=True)
    emitted, _ = run_walk(search, at(0), at(1_000), page_size=500)
    assert sorted(emitted) == sorted(records)


def test_tie_beyond_the_result_cap_fails_loudly_instead_of_looping():
    records = {f"t{index}": at(0) for index in range(120)}
    search = FakeSearch(records, cap=50)
    with pytest.raises(WalkError, match="share updatedAt"):
        run_walk(search, at(0), at(10), page_size=10, endpoint=SearchEndpoint(result_cap=50))


def test_tie_pages_never_request_past_the_cap():
    records = {f"t{index:03d}": at(0) for index in range(50)}
    records.update(spread(20, start=1))
    search = FakeSearch(records, cap=60)
    emitted, _ = run_walk(search, at(0), at(100), page_size=10, endpoint=SearchEndpoint(result_cap=60))
    assert sorted(emitted) == sorted(records)


def test_a_tie_that_fills_a_hundred_small_pages_but_one_is_read_whole():
    records = {f"t{index:04d}": at(0) for index in range(2_490)}
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


def test_a_full_page_of_versions_the_index_has_not_placed_leaves_the_checkpoint_before_them():
    records = spread(40)
    search = FakeSearch(records, shown={f"r{index:05d}": at(8_000 + index) for index in range(10, 20)})
    emitted, walk = run_walk(search, at(0), at(10_000), page_size=10, settled=at(7_000))
    moment, _ = walk.checkpoint
    # what this walk could not reach lies after its checkpoint, so the next run reads it
    assert all(rid in emitted or stamp >= moment for rid, stamp in records.items())
    assert moment <= at(9)


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


def test_resume_from_any_checkpoint_loses_nothing_and_repeats_at_most_a_page():
    records = spread(700, step=0.5)
    records.update({f"t{index}": at(100) for index in range(90)})
    for cut in range(1, 40):
        first = FakeSearch(records, shuffle_seed=cut)
        emitted, walk = run_walk(first, at(0), at(1_000), page_size=25, max_requests=cut)
        moment, seen = walk.checkpoint
        second = FakeSearch(records, shuffle_seed=cut + 100)
        rest, _ = run_walk(second, moment, at(1_000), page_size=25, seen=seen)
        assert set(emitted) | set(rest) == set(records)
        assert len(set(emitted) & set(rest)) <= 25, cut


def test_a_walk_resumed_inside_a_tie_skips_the_ids_it_was_given():
    records = {f"t{index:04d}": at(5) for index in range(1_000)}
    records.update(spread(50, start=10))
    done = {f"t{index:04d}" for index in range(0, 1_000, 2)}
    emitted, _ = run_walk(FakeSearch(records, shuffle_seed=9), at(5), at(1_000), page_size=100, seen=done)
    assert set(emitted) == set(records) - done
    assert len(emitted) == len(set(emitted))


def test_after_a_tie_the_checkpoint_is_just_after_it_not_the_whole_tie():
    records = {f"t{index:04d}": at(5) for index in range(700)}
    search = FakeSearch(records)
    _, walk = run_walk(search, at(0), at(1_000), page_size=500)
    assert walk.checkpoint == (at(5) + TICK, frozenset())


@settings(max_examples=150, deadline=None)
@given(stamps=st.lists(st.integers(min_value=0, max_value=40), max_size=120),
       page_size=st.integers(min_value=1, max_value=9),
       shuffle=st.one_of(st.none(), st.integers(0, 3)), links=st.booleans(), totals=st.booleans(),
       total_cap=st.one_of(st.none(), st.integers(1, 30)))
def test_any_data_is_walked_exactly_once(stamps, page_size, shuffle, links, totals, total_cap):
    records = {f"r{index:04d}": at(stamp * 3_600 * 24) for index, stamp in enumerate(stamps)}
    search = FakeSearch(records, shuffle_seed=shuffle, links=links, totals=totals, total_cap=total_cap)
    endpoint = SearchEndpoint(order_evidence=1) if shuffle is None else SearchEndpoint()
    emitted, _ = run_walk(search, at(0), at(41 * 3_600 * 24), page_size=page_size, endpoint=endpoint)
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
    emitted, walk = run_walk(search, at(0), at(1_000), page_size=10, on_request=update_a_tie_member)
    # A tie that keeps changing is given up on for the run, just before it; the next runs read on from there.
    for _ in range(20):
        moment, seen = walk.checkpoint
        if moment >= at(1_000) or set(emitted) >= set(search.records):
            break
        more, walk = run_walk(search, moment, at(1_000), page_size=10, seen=seen, on_request=update_a_tie_member)
        emitted += more
    assert set(emitted) == set(search.records)
    assert search.requests < 1_000


@pytest.mark.parametrize("total_cap", [None, 20])
def test_a_tie_that_shrinks_mid_pass_is_read_whole_even_with_a_capped_count(total_cap):
    # Members updated away (to a stamp past the end) between two pages shift the rest back by as many
    # places: the pass that spans it cannot vouch for what it read, counted or not.
    records = {f"t{index:03d}": at(10) for index in range(95)}
    records.update(spread(30, start=20))

    def update_members_once(search):
        if search.requests == 3:
            for rid in sorted(rid for rid, stamp in search.records.items() if stamp == at(10))[:7]:
                search.records[rid] = at(50_000)

    search = FakeSearch(records, shuffle_seed=None, total_cap=total_cap)
    emitted, _ = run_walk(search, at(0), at(1_000), page_size=20, on_request=update_members_once)
    still = {rid for rid, stamp in search.records.items() if stamp < at(1_000)}
    assert still <= set(emitted)


def test_a_tie_read_with_gte_stops_before_a_version_it_cannot_place_instead_of_passing_the_rest():
    # `equals` refused: the tie is read with `>= T`. A member shows a version newer than its place (it was
    # updated after the sync began): where the tie ends cannot be told, so the walk stops at T.
    records = {f"t{index:02d}": at(5) for index in range(7)}
    records.update(spread(3, start=10))
    search = FakeSearch(records, refuse_equals=True, shown={"t03": at(5_000)})
    emitted, walk = run_walk(search, at(0), at(1_000), page_size=3, settled=at(900))
    moment, seen = walk.checkpoint
    assert moment == at(5) and seen <= set(emitted)
    assert all(rid in emitted or stamp >= moment for rid, stamp in records.items())


def test_a_ties_last_page_is_asked_with_gte_and_carries_what_follows_it():
    records = spread(100, start=-400)
    records.update({f"t{index:05d}": at(0) for index in range(1_200)})
    records.update(spread(1_700, start=100))
    search = FakeSearch(records)
    emitted, _ = run_walk(search, at(-400), at(100_000), page_size=500)
    asked = search.asked
    assert sorted(emitted) == sorted(records) and len(emitted) == len(set(emitted))
    tie_pages = [(query.page, query.page_size, query.exact) for query in asked if query.lower == at(0)]
    # keyset page 1 at T shows the tie's first 500; then 480-record pages from place 480: `equals` page 2
    # (its first 20 ids are the keyset page's last 20, in place), and page 3 as `>= T` with the tie's last
    # 240 and the first 240 records after it, so the keyset goes on from there.
    assert tie_pages == [(1, 500, False), (2, 480, True), (3, 480, False)]
    assert len(asked) == 7


def test_a_tie_at_the_end_of_the_results_ends_the_walk_on_its_last_page():
    records = {"before": at(-1), **{f"t{index:05d}": at(0) for index in range(1_200)}}
    search = FakeSearch(records)
    emitted, walk = run_walk(search, at(-1), at(100), page_size=500)
    assert sorted(emitted) == sorted(records) and walk.finished
    # keyset pages from `before` and from the tie, `equals` page 2 from place 480, and a short `>= T` page 3:
    # nothing after the tie. The first page counted 1,201, so the tie's count of 1,200 is below any cap.
    assert search.requests == 4


def test_a_count_no_larger_count_vouches_for_is_not_trusted_alone():
    # The walk starts at the tie and nothing follows it: every count it sees is 1,200, which a count capped
    # at 1,200 would also say. So the tie is read twice, and the second pass must end where the first did.
    records = {f"t{index:05d}": at(0) for index in range(1_200)}
    search = FakeSearch(records)
    emitted, walk = run_walk(search, at(0), at(100), page_size=500)
    assert sorted(emitted) == sorted(records) and walk.finished
    # The keyset page; the `equals` page from place 480, which without a count it can trust cannot tell that
    # pages of 480 reach the tie's end before the result cap, so the tie is paged from its start at 500; a
    # second pass; and the keyset page after the tie, empty.
    asked = [(query.page, query.page_size, query.exact) for query in search.asked]
    assert asked == [(1, 500, False), (2, 480, True), (1, 500, True), (2, 500, True), (3, 500, True),
                     (1, 500, True), (2, 500, True), (3, 500, True), (1, 500, False)]


def test_a_capped_count_that_a_shrinking_tie_comes_down_to_does_not_hide_a_member():
    # Six records share T; counts stop at 4. One member leaves after the first keyset page, another after
    # the tie's first page: the count reads 4 throughout, the second leaving shifts r5 back past the pass's
    # end, and the pass's ids (r1 among them, no longer in the tie) number 4. Taken as exact, the count would
    # end the tie there and lose r5.
    records = {f"r{index}": at(1) for index in range(6)}

    def update(search):
        leaving = {1: "r2", 3: "r1"}.get(search.requests)
        if leaving:
            search.records[leaving] = at(10_000)

    search = FakeSearch(records, total_cap=4)
    emitted, _ = run_walk(search, at(0), at(2), page_size=3, on_request=update,
                          endpoint=SearchEndpoint(order_evidence=1))
    assert {"r0", "r3", "r4", "r5"} <= set(emitted)


@pytest.mark.parametrize("quirks", [{"refuse_equals": True}, {"links": False, "totals": False}])
def test_a_straddle_never_asks_a_page_size_the_api_refused(quirks):
    # Pages of 100 after a refusal of larger ones; without a count the tie's end shows on place 9,900, which
    # no page of 100 or less can straddle. A straddle at 101 would be refused, its fallback at 100 would not
    # straddle, and the walk asked the same pages for ever (found by an independent review). Now no pass can
    # prove the tie whole: after MAX_TIE_PASSES the walk stops just before it, and the next run starts there.
    records = {f"t{index:05d}": at(0) for index in range(9_900)}
    records.update(spread(50, start=1))
    search = FakeSearch(records, refuse_large_pages=True, **quirks)
    emitted, walk = run_walk(search, at(0), at(1_000), page_size=100)
    assert not any(query.page > 1 and query.page_size > 100 for query in search.asked[1:])
    moment, seen = walk.checkpoint
    assert walk.finished and not walk.complete and moment == at(0) and seen <= set(emitted)


def test_a_tie_that_seems_to_end_on_a_pages_first_place_is_shown_ending_on_one_page():
    # `equals` refused: the tie (r0 to r2) is read with `>= T`, and ends at the first record after it. On the
    # second pass r0 leaves between its pages, so page 2 starts one place later: it shows r5 first, and r4,
    # now at the tie's end, on neither page. Ending the tie at page 2's first place, as the first pass did,
    # would take the pass as steady and go on after r5, past r4.
    records = {"r0": at(1), "r1": at(1), "r2": at(1), "r3": at(2), "r4": at(2),
               "r5": at(3), "r6": at(3), "r7": at(3), "r8": at(4), "r9": at(4)}

    def update(search):
        leaving = {2: "r3", 6: "r0"}.get(search.requests)
        if leaving:
            search.records[leaving] = at(10_000)

    search = FakeSearch(records, refuse_equals=True, links=True)
    emitted, _ = run_walk(search, at(0), at(5), page_size=3, on_request=update)
    assert "r4" in emitted
    assert {rid for rid, stamp in search.records.items() if stamp < at(5)} <= set(emitted)


@pytest.mark.parametrize("shuffle_seed", range(5))
def test_ties_in_a_new_order_per_request_are_read_again_from_their_first_place(shuffle_seed):
    records = {f"t{index:05d}": at(0) for index in range(1_200)}
    records.update(spread(300, start=10))
    search = FakeSearch(records, shuffle_seed=shuffle_seed)
    emitted, _ = run_walk(search, at(0), at(100_000), page_size=500)
    assert sorted(emitted) == sorted(records) and len(emitted) == len(set(emitted))
    equals_pages = [(query.page, query.page_size) for query in search.asked if query.exact]
    # The first `equals` page does not show the keyset page's last 20 in place: its pass goes on (page 3, as
    # `>= T`), and the next pass reads the tie from page 1.
    assert equals_pages[:2] == [(2, 480), (1, 480)]


@pytest.mark.parametrize("move", ["before the keyset page's last places", "among them", "after them"])
def test_members_updated_away_before_the_first_equals_page_are_noticed(move):
    # Between the keyset page that shows the tie and the `equals` page that shows its last 20 places
    # again, members leave the tie: before those places the rest shift back.
    records = {f"t{index:05d}": at(0) for index in range(1_200)}
    records.update(spread(300, start=10))
    # Thirty leaving before those places would shift records past them unread, were the shift not noticed.
    victims = {"before the keyset page's last places": [f"t{index:05d}" for index in range(10, 40)],
               "among them": ["t00490"], "after them": ["t00700"]}[move]

    def update_once(search):
        if search.requests == 1:
            search.records.update((victim, at(1_000_000)) for victim in victims)

    search = FakeSearch(records)
    emitted, walk = run_walk(search, at(0), at(100_000), page_size=500, on_request=update_once)
    in_range = {rid for rid, stamp in search.records.items() if stamp < at(100_000)}
    assert in_range <= set(emitted) and len(emitted) == len(set(emitted)) and walk.finished
    equals_pages = [(query.page, query.page_size) for query in search.asked if query.exact]
    # A shift moves other ids into those places: the next pass reads the tie from page 1.
    assert equals_pages[0] == (2, 480)
    assert ((1, 480) in equals_pages) == (move != "after them")


@pytest.mark.parametrize("tie", [11, 12, 13])
def test_a_tie_the_smaller_pages_would_only_just_reach_is_paged_at_the_keyset_pages_size(tie):
    # Pages of 4 reach 12 places before a result cap of 15: a tie of 12 would fill the last of them exactly,
    # which reads as cut off by the cap. (Found by review: the walk stopped with "more than 12 records".)
    records = {f"t{index:03d}": at(0) for index in range(tie)}
    records.update(spread(20, start=10))
    search = FakeSearch(records, cap=15)
    emitted, walk = run_walk(search, at(0), at(100), page_size=5,
                             endpoint=SearchEndpoint(result_cap=15, order_evidence=1))
    assert sorted(emitted) == sorted(records) and len(emitted) == len(set(emitted)) and walk.finished


def test_a_result_cap_too_small_for_a_second_smaller_page_pages_the_tie_from_page_1():
    # At 9 records a page a result cap of 15 allows page 1 only: the first `equals` page cannot be page 2.
    # The keyset page shows a tie of 10; one member leaves before the tie is paged, so page 1 holds it all.
    records = {f"t{index:03d}": at(0) for index in range(10)}
    records.update(spread(20, start=10))

    def shrink_once(search):
        if search.requests == 1:
            search.records["t003"] = at(1_000_000)

    search = FakeSearch(records, cap=15)
    emitted, walk = run_walk(search, at(0), at(100), page_size=10, on_request=shrink_once,
                             endpoint=SearchEndpoint(result_cap=15, order_evidence=1))
    in_range = {rid for rid, stamp in search.records.items() if stamp < at(100)}
    assert in_range <= set(emitted) and walk.finished
    assert [(query.page, query.page_size) for query in search.asked if query.exact][0] == (1, 10)


def test_a_tie_member_counted_but_never_returned_stops_the_run_loudly():
    # The API counts a member it never returns: no pass can complete. The run stops with one line, rather
    # than end every run at T in silence (it did, while the idle limit was above the pass limit).
    class Phantom(FakeSearch):
        def __call__(self, query):
            page = super().__call__(query)
            kept = [index for index, record_id in enumerate(page.ids) if record_id != "t05"]
            return SearchPage([page.ids[index] for index in kept], [page.timestamps[index] for index in kept],
                              page.total, page.has_next, page.page_size)

    records = {f"t{index:02d}": at(0) for index in range(12)}
    records.update(spread(10, start=1))
    with pytest.raises(WalkError, match="could be read after repeated passes"):
        run_walk(Phantom(records), at(0), at(1_000), page_size=5)


@pytest.mark.parametrize("change", ["leave", "join", "leave and join"])
@pytest.mark.parametrize("shuffle_seed", [None, 6])
def test_a_tie_that_changes_before_its_last_page_is_read_again(change, shuffle_seed):
    # The last `equals` page counted the tie; before the `>= T` page that should close it, a member is
    # updated away, or a record the index places late joins it (so T is not settled yet).
    records = {f"t{index:05d}": at(10) for index in range(1_200)}
    records.update(spread(900, start=20))

    def change_the_tie(search):
        # after the keyset pages at 0 and at T and the `equals` pages 1 and 2
        if search.requests != 4:
            return
        if "leave" in change:
            search.records["t00003"] = at(50_000)
        if "join" in change:
            search.records["late"] = at(10)

    search = FakeSearch(records, shuffle_seed=shuffle_seed)
    emitted, walk = run_walk(search, at(0), at(1_000), page_size=500, on_request=change_the_tie,
                             settled=at(5) if "join" in change else None)
    assert len(emitted) == len(set(emitted))
    # An unsettled stamp may stop the walk: the next run, from its checkpoint, reads the rest.
    moment, seen = walk.checkpoint
    rest, _ = run_walk(search, moment, at(1_000), page_size=500, seen=seen)
    assert {rid for rid, stamp in search.records.items() if stamp < at(1_000)} <= set(emitted) | set(rest)


@pytest.mark.parametrize("total_cap", [1_100, 1_150])
def test_a_count_capped_inside_the_last_page_is_caught_by_where_the_tie_ends(total_cap):
    records = {f"t{index:05d}": at(0) for index in range(1_200)}
    records.update(spread(400, start=1))
    search = FakeSearch(records, total_cap=total_cap)
    emitted, _ = run_walk(search, at(0), at(1_000), page_size=500)
    assert sorted(emitted) == sorted(records)
    assert len(emitted) == len(set(emitted))


def test_a_member_shown_newer_where_a_capped_count_ends_the_tie_does_not_end_it():
    # The count (11) is capped below the tie (13); the member at place 11 shows a version the index has
    # not placed yet, so it looks like the first record after the tie. It is not: the tie goes on.
    records = {f"t{index:02d}": at(0) for index in range(13)}
    records.update(spread(5, start=1))
    search = FakeSearch(records, total_cap=11, shown={"t11": at(500)})
    emitted, _ = run_walk(search, at(0), at(1_000), page_size=5, settled=at(400))
    assert set(records) - {"t11"} <= set(emitted)


def test_a_tie_that_grows_and_shrinks_back_to_its_last_size_is_read_again():
    # One member leaves and a record joins between passes, then another leaves before the closing page:
    # the tie ends where the pass before ended, but this pass's own counts said it had changed.
    records = {f"a{index:02d}": at(10) for index in range(9)}
    records.update(spread(6, start=20))

    def change(search):
        moves = {3: ("a00", at(50_000)), 4: ("a99", at(10)), 6: ("a05", at(50_000))}
        if search.requests in moves:
            record_id, stamp = moves[search.requests]
            search.records[record_id] = stamp

    search = FakeSearch(records)
    emitted, _ = run_walk(search, at(0), at(1_000), page_size=4, on_request=change)
    assert {rid for rid, stamp in search.records.items() if stamp < at(1_000)} <= set(emitted)


@pytest.mark.parametrize("total_cap", [None, 1_100])
def test_a_settled_tie_before_unsettled_records_is_finished_in_the_run(total_cap):
    # A member leaves before the closing page, or the count is capped: the tie is read with `equals`
    # again, not with `>= T`, which would stop at the unsettled records after it and leave the tie unsure.
    records = {f"t{index:05d}": at(10) for index in range(1_200)}
    records.update(spread(300, start=20))

    def leave(search):
        if search.requests == 4 and total_cap is None:
            search.records["t00003"] = at(50_000)

    search = FakeSearch(records, total_cap=total_cap)
    emitted, walk = run_walk(search, at(0), at(1_000), page_size=500, on_request=leave, settled=at(15))
    assert walk.complete and walk.checkpoint[0] == at(10) + TICK
    assert {rid for rid, stamp in search.records.items() if stamp == at(10)} <= set(emitted)


@settings(max_examples=300, deadline=None)
@given(page_size=st.integers(min_value=2, max_value=8),
       groups=st.lists(st.integers(min_value=1, max_value=32), min_size=1, max_size=6),
       shuffle=st.one_of(st.none(), st.integers(0, 99)), links=st.booleans(),
       updated_after=st.sets(st.integers(min_value=1, max_value=40), max_size=12), picker=st.randoms())
def test_with_exact_counts_records_updated_mid_walk_lose_nothing(page_size, groups, shuffle, links, updated_after,
                                                                  picker):
    # Stamps held by up to four pages' worth of records; after some requests a record is updated (to a
    # stamp past the walk's end). Every record still in range is read this run or by the next, which
    # starts at this run's checkpoint.
    records, stamp = {}, 0
    for size in groups:
        stamp += 1
        records.update({f"r{len(records) + index:04d}": at(stamp) for index in range(size)})
    end = at(stamp + 1)

    def update(search):
        if search.requests in updated_after:
            search.records[picker.choice(sorted(search.records))] = at(10_000)

    search = FakeSearch(records, shuffle_seed=shuffle, links=links)
    # With pages this small, a tie's first `equals` page shows one id of the keyset page again, where the
    # order is stable; in a new order per request no page is that long.
    endpoint = SearchEndpoint(order_evidence=1) if shuffle is None else SearchEndpoint()
    emitted, walk = run_walk(search, at(0), end, page_size, on_request=update, endpoint=endpoint)
    moment, seen = walk.checkpoint
    rest, _ = run_walk(search, moment, end, page_size, seen=seen, endpoint=endpoint)
    assert {rid for rid, stamp in search.records.items() if stamp < end} <= set(emitted) | set(rest)
