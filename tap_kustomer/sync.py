"""Sync: stream order, currently_syncing, bookmarks written only after their records, the run summary."""
import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from .catalog import resume_order
from .conform import Conformer
from .cursor import SearchWalk
from .errors import AccessDenied, BadRequest, Interrupted
from .extract import SearchPages, list_pages, updated_at
from .names import renamer
from .output import record_prefix
from .progress import Progress
from .schema_growth import SchemaGrowth
from .state import get_bookmark, set_bookmark, set_currently_syncing
from .streams import KEY_PROPERTIES, LIST_FALLBACK_PAGE_MAX, REPLICATION_KEY
from .summary import DriftLog
from .timeutil import utc_now
from .transform import transform_record

LOGGER = logging.getLogger("tap_kustomer")


@dataclass
class StreamSummary:
    stream: str
    records: int = 0
    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    seconds: float = 0.0
    bookmark: str = None


class Sync:
    def __init__(self, config, selections, state, client, writer, stop_requested=lambda: None, clock=utc_now):
        self.config = config
        self.selections = selections
        self.state = state
        self.client = client
        self.writer = writer
        self.stop_requested = stop_requested
        self.clock = clock
        self.summaries = []
        self.drift = DriftLog()

    def run(self):
        for selection in resume_order(self.selections, self.state.get("currently_syncing")):
            self._run_stream(selection)
        set_currently_syncing(self.state, None)
        self.writer.state(self.state)
        return self.summaries

    def _run_stream(self, selection):
        stream = selection.stream
        summary = StreamSummary(stream.name)
        self.summaries.append(summary)
        started, before = time.monotonic(), self.client.stats.snapshot()
        self.writer.schema(stream.name, selection.schema, KEY_PROPERTIES, [REPLICATION_KEY])
        set_currently_syncing(self.state, stream.name)
        self.writer.state(self.state)
        signpost = self.clock()
        run = StreamRun(self, selection, summary, signpost)
        try:
            if stream.is_search:
                run.search()
            else:
                run.listing(stream.path, stream.page_max)
        except AccessDenied as exc:
            raise AccessDenied(f"stream {stream.name}: the API key's role may not read it ({exc}); grant "
                               f"{stream.roles} to the key's role, or deselect the stream") from None
        finally:
            after = self.client.stats.snapshot()
            summary.requests, summary.retries, summary.rate_limited = (b - a for a, b in zip(before, after))
            summary.seconds = time.monotonic() - started
            summary.bookmark = (self.state["bookmarks"].get(stream.name) or {}).get(REPLICATION_KEY)
            self.writer.flush()

    def check_stop(self):
        reason = self.stop_requested()
        if reason:
            raise Interrupted(reason)


class StreamRun:
    """One stream's pass: bookmarks move only after their records are out, and never past the signpost."""

    def __init__(self, sync, selection, summary, signpost):
        self.sync = sync
        self.config = sync.config
        self.stream = selection.stream
        self.fields = selection.fields
        self.summary = summary
        self.prefix = record_prefix(self.stream.name)
        self.start = get_bookmark(sync.state, self.stream.name) or self.config.start_date
        self.end = min(signpost, self.config.end_date) if self.config.end_date else signpost
        # Search lags behind writes: a bookmark past this could skip updates the index shows late.
        self.safe = signpost - timedelta(seconds=self.config.index_lag_seconds)
        self.progress = Progress(self.stream.name, self.start, self.end)
        self.conform = Conformer(selection.schema)
        self.growth = SchemaGrowth(selection.schema, self.fields, renamer(self.stream.name))

    def emit(self, resource):
        record = transform_record(resource)
        added = self.growth(record)
        if added:
            self.sync.writer.schema(self.stream.name, self.growth.schema, KEY_PROPERTIES, [REPLICATION_KEY])
            self.conform = Conformer(self.growth.schema)
            self.sync.drift.add_keys(self.stream.name, record.get("id"), added)
        for field, reason in self.conform(record):
            self.sync.drift.add(self.stream.name, record.get("id"), field, reason)
        if self.fields is not None:
            record = {key: value for key, value in record.items() if key in self.fields}
        self.sync.writer.record(self.prefix, record)
        self.summary.records += 1

    def save(self, moment):
        bookmark = max(self.start, min(moment, self.safe))
        set_bookmark(self.sync.state, self.stream.name, bookmark)
        self.sync.writer.state(self.sync.state)

    def search(self):
        if self.start >= self.end:
            return
        page_size = self.stream.page_size(self.config.page_size_limit)
        walk = SearchWalk(self.start, self.end, self.config.date_window_size, page_size, settled=self.safe)
        pages = SearchPages(self.sync.client, self.stream.context, walk, page_size)
        try:
            for resources, checkpoint in pages:
                for resource in resources:
                    self.emit(resource)
                self.save(checkpoint)
                self.progress.page(self.summary.records, checkpoint)
                self.sync.check_stop()
        except BadRequest as exc:
            if self.stream.path is None or self.summary.records or walk.checkpoint != self.start:
                raise
            LOGGER.warning("%s: search refused %s_updated_at (%s); reading GET %s instead",
                           self.stream.name, self.stream.context, exc.detail, self.stream.path)
            self.listing(self.stream.path, LIST_FALLBACK_PAGE_MAX)
            return
        for record_id, reason in pages.skipped:
            self.sync.drift.add(self.stream.name, record_id, REPLICATION_KEY, reason)
        self.save(self.end)

    def listing(self, path, page_max):
        """A list cannot be filtered or sorted by updatedAt: read it all, emit what changed, bookmark at the end."""
        page_size = max(1, min(self.config.page_size_limit, page_max))
        try:
            newest = self._read_list(path, page_size)
        except Interrupted:
            # No STATE mid-list (see _read_list), so the records read so far come again on resume; the
            # same state written once more keeps the last line a STATE, covering them.
            self.sync.writer.state(self.sync.state)
            raise
        if newest is not None:
            self.save(newest)

    def _read_list(self, path, page_size):
        newest = None
        for payload in list_pages(self.sync.client, path, page_size):
            for resource in payload["data"]:
                try:
                    stamp = updated_at(resource)
                except (ValueError, TypeError, AttributeError):
                    self.sync.drift.add(self.stream.name, resource.get("id"), REPLICATION_KEY,
                                        "no readable updatedAt")
                    continue
                if stamp < self.start or (self.config.end_date and stamp >= self.config.end_date):
                    continue
                self.emit(resource)
                if stamp < self.end and (newest is None or stamp > newest):
                    newest = stamp
            self.progress.page(self.summary.records)
            # No STATE mid-list: the list is unsorted, so a mid-way bookmark could hide unread records.
            # The page still goes out now rather than sit in the buffer through a wait for the budget.
            self.sync.writer.flush()
            self.sync.check_stop()
        return newest
