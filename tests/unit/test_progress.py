"""Progress lines: how often, and how far along the updatedAt span a search stream is."""
import logging
from datetime import datetime, timedelta, timezone

from tap_kustomer.progress import INTERVAL, Progress

T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_one_line_per_interval_with_the_share_of_the_span_and_what_is_left(caplog):
    clock = Clock()
    progress = Progress("customers", T0, T0 + timedelta(days=100), clock=clock)
    with caplog.at_level(logging.INFO, logger="tap_kustomer"):
        clock.now = INTERVAL / 2
        progress.page(500, "standard", T0 + timedelta(days=10))
        assert not caplog.records
        clock.now = 40.0
        progress.page(1_000, "archive", T0 + timedelta(days=25))
    assert [r.getMessage() for r in caplog.records] == [
        "customers: 1,000 records, 2 pages, 25 records/s, archive search (past the two-year horizon), 25% of the "
        "updatedAt span, ~2 min left"]


def test_a_list_stream_reports_no_span(caplog):
    clock = Clock()
    progress = Progress("tags", clock=clock)
    with caplog.at_level(logging.INFO, logger="tap_kustomer"):
        clock.now = INTERVAL
        progress.page(100, "list")
    assert caplog.records[0].getMessage() == "tags: 100 records, 1 pages, 20 records/s, list"
