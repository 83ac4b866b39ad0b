"""The end-of-run summary on stderr: a table for people, one JSON line for machines."""
import logging

import orjson

LOGGER = logging.getLogger("tap_kustomer")
# Its own logger, so that --quiet can keep the one line machines read while hiding the table.
METRICS_LOGGER = logging.getLogger("tap_kustomer.metrics")
COLUMNS = ("stream", "records", "requests", "archive", "retries", "429s", "seconds", "bookmark")
DRIFT_SHOWN = 50


class DriftLog:
    """Schema drift seen in the run: every case counted, the first few kept to name in the summary.

    Kept bounded on purpose: an org whose every record drifts must not grow the tap's memory."""

    def __init__(self):
        self.shown = []
        self.count = 0
        self.new_keys = 0

    def add(self, stream, record_id, field, reason):
        self.count += 1
        if len(self.shown) < DRIFT_SHOWN:
            self.shown.append((stream, record_id, field, reason))

    def add_keys(self, stream, record_id, added):
        """Keys the schema lacked, now declared (see schema_growth): counted apart from misfits too."""
        self.new_keys += len(added)
        for path, schema in added:
            self.add(stream, record_id, path, f"not in the schema: declared as {'/'.join(schema['type'])}")


def summary_rows(summaries, requests=None):
    """One row per stream and a TOTAL row; `requests` is the run's own count, which also holds the
    requests made outside any stream (the key's roles)."""
    rows = [(s.stream, s.records, s.requests, s.archive_requests, s.retries, s.rate_limited, round(s.seconds, 1),
             s.bookmark or "") for s in summaries]
    totals = [sum(row[i] for row in rows) for i in range(1, 6)]
    if requests is not None:
        totals[1] = requests
    rows.append(("TOTAL", *totals, round(sum(row[6] for row in rows), 1), ""))
    return rows


def log_summary(summaries, drift, slept, requests=None):
    if not summaries:
        return
    rows = summary_rows(summaries, requests)
    text = [COLUMNS] + [tuple(str(cell) for cell in row) for row in rows]
    widths = [max(len(row[i]) for row in text) for i in range(len(COLUMNS))]
    LOGGER.info("sync summary:")
    for row in text:
        LOGGER.info("  %s", "  ".join(cell.rjust(width) if index else cell.ljust(width)
                                      for index, (cell, width) in enumerate(zip(row, widths))))
    if slept:
        LOGGER.info("  paced by the rate budgets for %.1f s", slept)
    for summary in summaries:
        if summary.archive_owed:
            # The bookmark column alone would read as if everything before it had been read.
            LOGGER.warning("stream %s: records before the search horizon are still owed from %s (the run stopped "
                           "in the archive span, or at a tie there it could not prove whole); the next run reads "
                           "them from there", summary.stream, summary.archive_owed)
    for stream, record_id, field, reason in drift.shown:
        LOGGER.warning("schema drift: stream %s, id %s, field %s: %s", stream, record_id, field, reason)
    if drift.count > len(drift.shown):
        LOGGER.warning("schema drift: %d more not shown", drift.count - len(drift.shown))
    streams = [dict(zip(COLUMNS, row)) for row in rows]
    for item, owed in zip(streams, [summary.archive_owed for summary in summaries] + [None]):
        item["archive_owed"] = owed
    metrics = {"type": "summary", "streams": streams, "drift": drift.count,
               "new_keys": drift.new_keys}
    METRICS_LOGGER.info("METRIC: %s", orjson.dumps(metrics).decode())
