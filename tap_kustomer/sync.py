"""Sync: one loop for every stream. Source pages → transform → conform → select fields → write → checkpoint."""
import time
from dataclasses import dataclass
from datetime import timedelta

from .catalog import resume_order
from .conform import Conformer
from .errors import AccessDenied, Interrupted
from .names import renamer
from .output import record_prefix
from .progress import Progress
from .roles import check_roles
from .schema_growth import SchemaGrowth
from .sources import ReadRange, source_of
from .state import ARCHIVE_OWED_KEY, get_bookmark, set_bookmark, set_currently_syncing
from .streams import KEY_PROPERTIES, REPLICATION_KEY
from .summary import DriftLog
from .timeutil import utc_now
from .transform import transform_record


@dataclass
class StreamSummary:
    stream: str
    records: int = 0
    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    seconds: float = 0.0
    bookmark: str = None
    archive_requests: int = 0
    archive_owed: str = None  # where the archive span goes on from, while a run still owes it


def read_range(config, state, stream_name, signpost):
    """The range a run that starts at `signpost` reads of a stream: from its bookmark (less the lookback), or
    start_date, to the signpost."""
    bookmark = get_bookmark(state, stream_name)
    start = config.start_date if bookmark.moment is None else max(
        config.start_date, bookmark.moment - timedelta(seconds=config.lookback_seconds))
    end = min(signpost, config.end_date) if config.end_date else signpost
    # An archive span owed from before a start_date raised since is owed from the start_date only.
    owed, archive_seen = bookmark.archive_owed, bookmark.archive_seen
    if owed is not None and owed < config.start_date:
        owed, archive_seen = config.start_date, ()
    return ReadRange(stream=stream_name, start=start, end=end,
                     # Search lags behind writes: a bookmark past this could skip updates shown late.
                     settled=signpost - timedelta(seconds=config.index_lag_seconds), now=signpost,
                     page_size=config.page_size_limit, archive_owed=owed, seen=bookmark.seen,
                     seen_at=bookmark.moment, archive_seen=archive_seen, read_to=bookmark.read_to)


class RecordWriter:
    """Turns one stream's API resources into the RECORD messages the catalog selected."""

    def __init__(self, selection, writer, drift):
        self.name = selection.stream.name
        self.fields = selection.fields
        self.writer = writer
        self.drift = drift
        self.prefix = record_prefix(self.name)
        self.conform = Conformer(selection.schema)
        self.growth = SchemaGrowth(selection.schema, self.fields, renamer(self.name))

    def write(self, resource):
        record = transform_record(resource)
        added = self.growth(record)
        if added:
            # Declared before the first record that carries it, so a loader adds the column, not drops the key;
            # checked from now on, so a later value of another type goes to schema_drift, not to the loader.
            self.writer.schema(self.name, self.growth.schema, KEY_PROPERTIES, [REPLICATION_KEY])
            self.conform = Conformer(self.growth.schema)
            self.drift.add_keys(self.name, record.get("id"), added)
        for field, reason in self.conform(record):
            self.drift.add(self.name, record.get("id"), field, reason)
        if self.fields is not None:
            record = {key: value for key, value in record.items() if key in self.fields}
        self.writer.record(self.prefix, record)


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
        check_roles(self.client, [selection.stream for selection in self.selections])
        for selection in resume_order(self.selections, self.state.get("currently_syncing")):
            self._run_stream(selection)
        set_currently_syncing(self.state, None)
        self.writer.state(self.state)
        return self.summaries

    def reading(self, stream_name):
        return read_range(self.config, self.state, stream_name, self.clock())

    def _run_stream(self, selection):
        stream = selection.stream
        summary = StreamSummary(stream.name)
        self.summaries.append(summary)
        started, before = time.monotonic(), self.client.stats.snapshot()
        self.writer.schema(stream.name, selection.schema, KEY_PROPERTIES, [REPLICATION_KEY])
        set_currently_syncing(self.state, stream.name)
        self.writer.state(self.state)
        reading = self.reading(stream.name)
        # A lookback reads before the bookmark, but never moves it back.
        floor = max(get_bookmark(self.state, stream.name).moment or reading.start, reading.start)
        records = RecordWriter(selection, self.writer, self.drift)
        progress = Progress(stream.name, reading.start, reading.end)
        try:
            for page in source_of(stream).read(self.client, reading):
                self.writer.extracted()
                for resource in page.resources:
                    records.write(resource)
                summary.records += len(page.resources)
                for record_id, reason in page.skipped:
                    self.drift.add(stream.name, record_id, REPLICATION_KEY, reason)
                if page.checkpoint is not None:
                    self._save(stream.name, page.checkpoint, floor, reading.settled)
                else:
                    # The page goes out now rather than sit in the buffer through a wait for the budget.
                    self.writer.flush()
                if page.span is not None:
                    # Pages of the archive span are archive search requests, which the summary counts apart.
                    summary.archive_requests += page.span == "archive"
                    progress.page(summary.records, page.span,
                                  reading.covered_to(page.checkpoint) if page.checkpoint is not None else None)
                self._check_stop()
        except Interrupted:
            # The same state once more keeps the last line a STATE, covering whatever was written since.
            self.writer.state(self.state)
            raise
        except AccessDenied as exc:
            raise AccessDenied(f"stream {stream.name}: the API key's role may not read it ({exc}); grant "
                               f"{stream.roles} to the key's role, or deselect the stream") from None
        finally:
            after = self.client.stats.snapshot()
            summary.requests, summary.retries, summary.rate_limited = (b - a for a, b in zip(before, after))
            summary.seconds = time.monotonic() - started
            bookmark = self.state["bookmarks"].get(stream.name) or {}
            summary.bookmark, summary.archive_owed = bookmark.get(REPLICATION_KEY), bookmark.get(ARCHIVE_OWED_KEY)
            self.writer.flush()

    def _save(self, stream_name, checkpoint, floor, settled):
        bookmark = get_bookmark(self.state, stream_name)
        # What an earlier run read whole stays read until this one has read it whole too.
        read_to = checkpoint.read_to or bookmark.read_to
        if checkpoint.moment < floor and checkpoint.archive_owed == bookmark.archive_owed:
            # Still reading the lookback before the bookmark: the bookmark, with its ids, stands as it is.
            if bookmark.moment is not None and read_to != bookmark.read_to:
                set_bookmark(self.state, stream_name, bookmark.moment, bookmark.archive_owed, bookmark.seen,
                             bookmark.archive_seen, read_to)
            self.writer.state(self.state)
            return
        moment = max(floor, min(checkpoint.moment, settled))
        # The ids read at the checkpoint's moment say nothing of another moment.
        seen = checkpoint.seen if moment == checkpoint.moment else ()
        set_bookmark(self.state, stream_name, moment, checkpoint.archive_owed, seen, checkpoint.archive_seen, read_to)
        self.writer.state(self.state)

    def _check_stop(self):
        reason = self.stop_requested()
        if reason:
            raise Interrupted(reason)
