"""Progress lines on stderr while a stream syncs: at most one every few seconds."""
import logging
import time

LOGGER = logging.getLogger("tap_kustomer")
INTERVAL = 5.0
# What a progress line calls the span being read (sources.Page.span).
SPAN_NAMES = {"archive": "archive search (past the two-year horizon)", "standard": "standard search", "list": "list"}


class Progress:
    """A search stream walks [start, end) of updatedAt, so the share of that span behind its checkpoint
    (sources.ReadRange.covered_to) is how far it has come. A query's meta.total would only count the current
    window, and a count of the whole span would cost a search per stream."""

    def __init__(self, stream, start=None, end=None, clock=time.monotonic):
        self.stream = stream
        self.span = (start, end) if start is not None and end is not None and end > start else None
        self.clock = clock
        self.started = clock()
        self.last_log = self.started
        self.pages = 0

    def page(self, records, span, position=None):
        self.pages += 1
        now = self.clock()
        if now - self.last_log < INTERVAL:
            return
        self.last_log = now
        elapsed = max(now - self.started, 1e-9)
        ahead = ""
        if self.span is not None and position is not None:
            start, end = self.span
            done = min(max((position - start) / (end - start), 0.0), 1.0)
            if done > 0:
                ahead = f", {done:.0%} of the updatedAt span, ~{_duration(elapsed * (1 - done) / done)} left"
        LOGGER.info("%s: %s records, %d pages, %.0f records/s, %s%s", self.stream, f"{records:,}", self.pages,
                    records / elapsed, SPAN_NAMES.get(span, span), ahead)


def _duration(seconds):
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
