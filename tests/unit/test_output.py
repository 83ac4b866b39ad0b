"""Singer lines: one message per line for any reader, and the same JSON value orjson was given."""
import io
import json

from tap_kustomer.output import SingerWriter, record_prefix


def test_line_separators_are_escaped_and_values_kept():
    sink = io.BytesIO()
    writer = SingerWriter(sink)
    record = {"id": "1", "body": "one\u2028two\u2029three, größe 名前 😀"}
    writer.record(record_prefix("messages"), record)
    writer.state({"bookmarks": {"messages": {"updated_at": "2024-01-01T00:00:00.000Z"}}, "note": "\u2028"})
    text = sink.getvalue().decode("utf-8")
    lines = text.splitlines()  # splits at U+2028 and U+2029 too, unlike file iteration
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first == {"type": "RECORD", "stream": "messages", "record": record}
    assert second["value"]["note"] == "\u2028"
