"""Singer lines: one message per line for any reader, and the same JSON value orjson was given."""
import io
import json

from tap_kustomer.output import SingerWriter, record_prefix


def test_line_separators_are_escaped_and_values_kept():
    sink = io.BytesIO()
    writer = SingerWriter(sink, clock=lambda: 1_700_000_000.5)
    record = {"id": "1", "body": "one\u2028two\u2029three, größe 名前 😀"}
    writer.record(record_prefix("messages"), record)
    writer.state({"bookmarks": {"messages": {"updated_at": "2024-01-01T00:00:00.000Z"}}, "note": "\u2028"})
    text = sink.getvalue().decode("utf-8")
    lines = text.splitlines()  # splits at U+2028 and U+2029 too, unlike file iteration
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first == {"type": "RECORD", "stream": "messages", "record": record,
                     "time_extracted": "2023-11-14T22:13:20.500Z"}
    assert second["value"]["note"] == "\u2028"


def test_time_extracted_is_when_the_page_was_read_to_the_millisecond():
    sink = io.BytesIO()
    moments = iter([99.0, 100.0004, 101.25])
    writer = SingerWriter(sink, clock=lambda: next(moments))
    for page in (["a", "b"], ["c"]):
        writer.extracted()
        for record_id in page:
            writer.record(record_prefix("tags"), {"id": record_id})
    stamps = [json.loads(line)["time_extracted"] for line in sink.getvalue().splitlines()]
    assert stamps == ["1970-01-01T00:01:40.000Z", "1970-01-01T00:01:40.000Z", "1970-01-01T00:01:41.250Z"]
