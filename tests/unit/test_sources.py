"""How a search stream is split into spans around the two-year horizon: pure planning, no requests."""
from datetime import datetime, timedelta, timezone

from tap_kustomer.sources import HORIZON, HORIZON_MARGIN, ReadRange, Searched

NOW = datetime(2026, 12, 2, tzinfo=timezone.utc)
EDGE = NOW - HORIZON


def plan(start, owed=None, end=NOW, archive=True):
    reading = ReadRange(stream="customers", start=start, end=end, settled=end, now=NOW, page_size=500,
                        owed_sweep=owed)
    return [(span.span, span.lower, span.upper) for span in Searched("customer", archive=archive).spans(reading)]


def test_a_start_past_the_horizon_reads_the_archive_then_search_then_sweeps_the_band():
    start = NOW - timedelta(days=1_800)
    low = EDGE - HORIZON_MARGIN
    assert plan(start) == [("archive", start, low), ("standard", low, NOW), ("sweep", low, low)]


def test_a_start_just_inside_the_horizon_still_sweeps_what_may_have_left_search():
    # Records between the start and the real edge (729 to 731 days back) may be in the archive already.
    start = EDGE - HORIZON_MARGIN + timedelta(hours=6)
    assert plan(start) == [("standard", start, NOW), ("sweep", start, start)]


def test_a_start_well_inside_the_horizon_makes_no_archive_request():
    start = EDGE + 2 * HORIZON_MARGIN
    assert plan(start) == [("standard", start, NOW)]


def test_a_sweep_an_earlier_run_owes_is_made_from_where_it_was_owed():
    owed = EDGE - HORIZON_MARGIN - timedelta(days=3)
    start = EDGE - HORIZON_MARGIN - timedelta(days=1)
    assert plan(start, owed=owed)[-1] == ("sweep", owed, owed)
    assert plan(NOW - timedelta(days=10), owed=owed) == [("standard", NOW - timedelta(days=10), NOW),
                                                          ("sweep", owed, owed)]


def test_a_context_without_archive_search_is_read_by_search_alone():
    start = NOW - timedelta(days=1_800)
    assert plan(start, archive=False) == [("standard", start, NOW)]
