"""How a search stream is split into spans around the two-year horizon: pure planning, no requests."""
from datetime import datetime, timedelta, timezone

from tap_kustomer.sources import ARCHIVE_SEARCH_PATH, HORIZON, HORIZON_MARGIN, Checkpoint, ReadRange, Searched

NOW = datetime(2026, 12, 2, tzinfo=timezone.utc)
EDGE = NOW - HORIZON


def plan(start, owed=None, end=NOW, archive=True):
    reading = ReadRange(stream="customers", start=start, end=end, settled=end, now=NOW, page_size=500,
                        owed_sweep=owed)
    return [(span.span, span.lower, span.upper) for span in Searched("customer", archive=archive).spans(reading)]


def test_a_start_past_the_horizon_reads_search_then_the_archive_up_to_the_band_above_the_edge():
    start = NOW - timedelta(days=1_800)
    low, near = EDGE - HORIZON_MARGIN, EDGE + HORIZON_MARGIN
    assert plan(start) == [("standard", low, NOW), ("archive", start, near)]


def test_a_start_just_inside_the_horizon_still_reads_the_archive_from_there():
    # Records between the start and the real edge (729 to 731 days back) may be in the archive already.
    start = EDGE - HORIZON_MARGIN + timedelta(hours=6)
    assert plan(start) == [("standard", start, NOW), ("archive", start, EDGE + HORIZON_MARGIN)]


def test_a_start_well_inside_the_horizon_makes_no_archive_request():
    start = EDGE + 2 * HORIZON_MARGIN
    assert plan(start) == [("standard", start, NOW)]


def test_an_archive_span_an_earlier_run_owes_goes_on_from_where_it_stopped_with_the_ids_read_there():
    owed = EDGE - timedelta(days=300)
    reading = ReadRange(stream="customers", start=NOW - timedelta(days=10), end=NOW, settled=NOW, now=NOW,
                        page_size=500, owed_sweep=owed, owed_seen=("c1", "c2"), seen=("x",),
                        seen_at=NOW - timedelta(days=10))
    spans = Searched("customer").spans(reading)
    assert [(span.span, span.lower, span.upper) for span in spans] == [
        ("standard", NOW - timedelta(days=10), NOW), ("archive", owed, EDGE + HORIZON_MARGIN)]
    assert spans[0].resume == (("x",), NOW - timedelta(days=10))
    assert spans[1].resume == (("c1", "c2"), owed)


def test_an_owed_archive_span_and_a_start_past_the_horizon_read_the_archive_from_the_older():
    owed = EDGE - timedelta(days=3)
    start = EDGE - timedelta(days=30)
    assert plan(start, owed=owed)[-1] == ("archive", start, EDGE + HORIZON_MARGIN)
    assert plan(EDGE - timedelta(days=1), owed=owed)[-1] == ("archive", owed, EDGE + HORIZON_MARGIN)


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
        self.search_totals = {}

    def request(self, _method, path, _kind, params=None, body=None):
        self.asked.append((path, params, body))
        return {"data": [], "meta": {"total": self.total, "pageSize": params["pageSize"]}, "links": {"next": None}}


def test_the_old_notes_warning_reuses_a_count_of_archived_conversations_this_run_already_has():
    start = NOW - timedelta(days=1_800)
    reading = ReadRange(stream="notes", start=start, end=NOW, settled=NOW, now=NOW, page_size=500)
    notes = Searched("note", archive=False, holder="conversation")
    alone = CountingClient(2_453)
    assert "would cost 2,453 requests" in notes.out_of_reach(alone, reading)
    assert [(path, params) for path, params, _ in alone.asked] == [(ARCHIVE_SEARCH_PATH, {"page": 1, "pageSize": 1})]
    # The conversations stream's archive span asked the same query first: its page 1 gave the count.
    after_conversations = CountingClient(2_453)
    archive = next(span for span in Searched("conversation").spans(reading) if span.span == "archive")
    list(archive.pages(after_conversations))
    assert len(after_conversations.asked) == 1
    assert "would cost 2,453 requests" in notes.out_of_reach(after_conversations, reading)
    assert len(after_conversations.asked) == 1
