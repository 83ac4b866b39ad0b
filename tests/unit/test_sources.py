"""How a search stream is split into spans around the two-year horizon: pure planning, no requests."""
from datetime import datetime, timedelta, timezone

from tap_kustomer.config import parse_config
from tap_kustomer.errors import BadRequest
from tap_kustomer.sources import (ARCHIVE_SEARCH_PATH, HORIZON, HORIZON_MARGIN, Checkpoint, ReadRange, Searched,
                                  WithFallback)
from tap_kustomer.sync import Sync

NOW = datetime(2026, 12, 2, tzinfo=timezone.utc)
EDGE = NOW - HORIZON


def plan(start, owed=None, end=NOW, archive=True, read_to=None):
    reading = ReadRange(stream="customers", start=start, end=end, settled=end, now=NOW, page_size=500,
                        archive_owed=owed, read_to=read_to)
    return [(span.span, span.lower, span.upper) for span in Searched("customer", archive=archive).spans(reading)]


def test_a_start_past_the_horizon_reads_search_then_the_archive_to_its_end():
    # To the archive's end, not to where this clock puts the edge: wherever the edge has moved meanwhile,
    # what crossed it is in the archive (where it is as documented, the archive holds nothing past it).
    start = NOW - timedelta(days=1_800)
    assert plan(start) == [("standard", EDGE - HORIZON_MARGIN, NOW), ("archive", start, NOW)]


def test_a_start_just_inside_the_horizon_still_reads_the_archive_from_there():
    # Records between the start and the real edge (729 to 731 days back) may be in the archive already.
    start = EDGE - HORIZON_MARGIN + timedelta(hours=6)
    assert plan(start) == [("standard", start, NOW), ("archive", start, NOW)]


def test_a_start_well_inside_the_horizon_makes_no_archive_request():
    start = EDGE + 2 * HORIZON_MARGIN
    assert plan(start) == [("standard", start, NOW)]


def test_a_bookmark_left_below_the_horizon_asks_the_archive_only_past_what_an_earlier_run_read_whole():
    # A stream with no update in two years keeps its bookmark where its last run's standard span began.
    bookmark = EDGE - HORIZON_MARGIN - timedelta(hours=1)
    assert plan(bookmark, read_to=NOW - timedelta(hours=1)) == [("standard", EDGE - HORIZON_MARGIN, NOW)]
    # Read whole only up to a day below the edge (an end_date, then lifted): the archive from there.
    read_to = EDGE - timedelta(days=1)
    assert plan(bookmark, read_to=read_to) == [("standard", EDGE - HORIZON_MARGIN, NOW),
                                               ("archive", read_to, NOW)]
    # State without it, as earlier versions wrote it: the archive from the bookmark.
    assert plan(bookmark)[1] == ("archive", bookmark, NOW)


def test_an_archive_span_an_earlier_run_owes_goes_on_from_where_it_stopped_with_the_ids_read_there():
    owed = EDGE - timedelta(days=300)
    reading = ReadRange(stream="customers", start=NOW - timedelta(days=10), end=NOW, settled=NOW, now=NOW,
                        page_size=500, archive_owed=owed, archive_seen=("c1", "c2"), seen=("x",),
                        seen_at=NOW - timedelta(days=10))
    spans = Searched("customer").spans(reading)
    assert [(span.span, span.lower, span.upper) for span in spans] == [
        ("standard", NOW - timedelta(days=10), NOW), ("archive", owed, NOW)]
    assert spans[0].resume == (("x",), NOW - timedelta(days=10))
    assert spans[1].resume == (("c1", "c2"), owed)


def test_an_owed_archive_span_and_a_start_past_the_horizon_read_the_archive_from_the_older():
    owed = EDGE - timedelta(days=3)
    start = EDGE - timedelta(days=30)
    assert plan(start, owed=owed)[-1] == ("archive", start, NOW)
    assert plan(EDGE - timedelta(days=1), owed=owed)[-1] == ("archive", owed, NOW)


def test_progress_counts_what_the_archive_span_still_owes_as_unread():
    start = NOW - timedelta(days=1_000)
    reading = ReadRange(stream="customers", start=start, end=NOW, settled=NOW, now=NOW, page_size=500)
    near = EDGE + HORIZON_MARGIN
    # The standard span is done; the archive span has read half of what it owes.
    halfway = start + (near - start) / 2
    assert reading.covered_to(Checkpoint(NOW, halfway)) == NOW - (near - halfway)
    assert reading.covered_to(Checkpoint(NOW)) == NOW


def test_a_context_without_archive_search_is_read_by_search_alone():
    start = NOW - timedelta(days=1_800)
    assert plan(start, archive=False) == [("standard", start, NOW)]


class CountingClient:
    """Answers every search with `total` and no records, and keeps what it was asked."""

    def __init__(self, total):
        self.total = total
        self.asked = []
        self.known = {}

    def request(self, _method, path, _kind, params=None, body=None):
        self.asked.append((path, params, body))
        return {"data": [], "meta": {"total": self.total, "pageSize": params["pageSize"]}, "links": {"next": None}}


def test_the_old_notes_warning_reuses_a_count_of_archived_conversations_this_run_already_has():
    start = NOW - timedelta(days=1_800)
    reading = ReadRange(stream="notes", start=start, end=NOW, settled=NOW, now=NOW, page_size=500)
    notes = Searched("note", archive=False, holder="conversation")
    alone = CountingClient(2_453)
    assert "at least 2,453, the conversations last updated" in notes.out_of_reach(alone, reading)
    assert [(path, params) for path, params, _ in alone.asked] == [(ARCHIVE_SEARCH_PATH, {"page": 1, "pageSize": 1})]
    # The conversations stream's archive span asked the same query first: its page 1 gave the count.
    after_conversations = CountingClient(2_453)
    archive = next(span for span in Searched("conversation").spans(reading) if span.span == "archive")
    list(archive.pages(after_conversations))
    assert len(after_conversations.asked) == 1
    assert "at least 2,453, the conversations last updated" in notes.out_of_reach(after_conversations, reading)
    assert len(after_conversations.asked) == 1


class OnePageClient(CountingClient):
    """Answers every search with the same records, on one last page."""

    def __init__(self, stamps):
        super().__init__(len(stamps))
        self.data = [{"id": f"c{index}", "type": "customer", "attributes": {"updatedAt": stamp}}
                     for index, stamp in enumerate(stamps)]

    def request(self, _method, path, _kind, params=None, body=None):
        self.asked.append((path, params, body))
        return {"data": self.data, "meta": {"total": len(self.data), "pageSize": params["pageSize"]},
                "links": {"next": None}}


def test_an_end_date_before_the_horizon_reads_the_archive_alone_and_the_bookmark_follows_it():
    start, end = NOW - timedelta(days=1_800), NOW - timedelta(days=1_000)
    assert plan(start, end=end) == [("archive", start, end)]
    reading = ReadRange(stream="customers", start=start, end=end, settled=end, now=NOW, page_size=500)
    client = OnePageClient(["2022-01-01T00:00:00.000Z", "2023-01-01T00:00:00.000Z"])
    pages = list(Searched("customer").read(client, reading))
    assert [path for path, _, _ in client.asked] == [ARCHIVE_SEARCH_PATH]
    # The last page is the read's end: nothing new, and both indexes read whole up to the end_date.
    assert [len(page.resources) for page in pages] == [2, 0]
    assert pages[-1].checkpoint.moment == datetime(2023, 1, 1, tzinfo=timezone.utc)
    assert pages[-1].checkpoint.archive_owed is None
    assert pages[-1].checkpoint.read_to == end


class ShiftingTieClient(CountingClient):
    """Standard search: nothing. Archive search: three customers on one stamp, more than a page of 2,
    whose count changes between every two requests, as if a bulk job kept updating them."""

    STAMP = "2022-03-01T00:00:00.000Z"

    def __init__(self):
        super().__init__(0)
        self.calls = 0

    def request(self, _method, path, _kind, params=None, body=None):
        self.asked.append((path, params, body))
        if path != ARCHIVE_SEARCH_PATH:
            return {"data": [], "meta": {"total": 0, "pageSize": params["pageSize"]}, "links": {"next": None}}
        self.calls += 1
        ids = ["a", "b", "c"][(params["page"] - 1) * 2:params["page"] * 2]
        return {"data": [{"id": rid, "type": "customer", "attributes": {"updatedAt": self.STAMP}} for rid in ids],
                "meta": {"total": 3 + self.calls % 2, "pageSize": params["pageSize"]},
                "links": {"next": "more" if params["page"] == 1 else None}}


def test_an_archive_span_stopped_at_a_tie_it_cannot_prove_whole_stays_owed_from_the_tie():
    start = NOW - timedelta(days=1_800)
    reading = ReadRange(stream="customers", start=start, end=NOW, settled=NOW, now=NOW, page_size=2)
    pages = list(Searched("customer").read(ShiftingTieClient(), reading))
    last = pages[-1].checkpoint
    assert last.archive_owed == datetime(2022, 3, 1, tzinfo=timezone.utc), last
    assert set(last.archive_seen) == {"a", "b", "c"}


def test_a_fallback_after_a_refusal_also_reads_what_the_archive_span_owed():
    owed = NOW - timedelta(days=1_500)
    reading = ReadRange(stream="companies", start=NOW - timedelta(days=3), end=NOW, settled=NOW, now=NOW,
                        page_size=100, archive_owed=owed)
    starts = []

    class Refused:
        def read(self, _client, _reading):
            raise BadRequest("company_updated_at is not an archive attribute")
            yield  # pylint: disable=unreachable

    class Fallback:
        path = "/v1/companies"

        def read(self, _client, fallback_reading):
            starts.append(fallback_reading.start)
            yield from ()

    list(WithFallback(Refused(), Fallback(), "companies").read(None, reading))
    assert starts == [owed]


def test_an_archive_span_owed_from_before_a_raised_start_date_is_read_from_the_start_date_only():
    config = parse_config({"token": "t", "start_date": "2023-01-01T00:00:00Z"})
    state = {"bookmarks": {"customers": {"updated_at": "2026-11-29T00:00:00.000Z",
                                         "archive_sweep_from": "2019-01-01T00:00:00.000Z", "archive_seen": ["c1"]}}}
    reading = Sync(config, [], state, None, None, clock=lambda: NOW).reading("customers")
    assert reading.archive_owed == config.start_date and not reading.archive_seen
    state["bookmarks"]["customers"]["archive_sweep_from"] = "2024-01-01T00:00:00.000Z"
    reading = Sync(config, [], state, None, None, clock=lambda: NOW).reading("customers")
    assert reading.archive_owed == datetime(2024, 1, 1, tzinfo=timezone.utc) and reading.archive_seen == ("c1",)
