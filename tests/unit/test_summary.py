"""The end-of-run summary: what it tells people and machines beyond the table's numbers."""
import json
import logging

from tap_kustomer.summary import DriftLog, log_summary
from tap_kustomer.sync import StreamSummary


def test_the_summary_says_when_a_stream_still_owes_its_archive_span(caplog):
    owing = StreamSummary("customers", records=10, bookmark="2026-11-30T00:00:00.000Z",
                          archive_owed="2022-03-01T00:00:00.000Z")
    with caplog.at_level(logging.INFO, logger="tap_kustomer"):
        log_summary([owing, StreamSummary("tags", records=3)], DriftLog(), 0)
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 1 and "customers" in warnings[0] and "2022-03-01T00:00:00.000Z" in warnings[0]
    metric = next(record.getMessage() for record in caplog.records if record.getMessage().startswith("METRIC"))
    streams = json.loads(metric.split(" ", 1)[1])["streams"]
    assert [item["archive_owed"] for item in streams] == ["2022-03-01T00:00:00.000Z", None, None]
