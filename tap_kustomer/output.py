"""Singer messages on stdout, one per line. Records are buffered; a STATE flushes what it covers."""
import sys

import orjson


class SingerWriter:
    def __init__(self, sink=None):
        self.sink = sink or sys.stdout.buffer

    def schema(self, stream, schema, key_properties, bookmark_properties):
        self._line({"type": "SCHEMA", "stream": stream, "schema": schema,
                    "key_properties": list(key_properties), "bookmark_properties": list(bookmark_properties)})

    def record(self, stream_prefix, record):
        """`stream_prefix` comes from record_prefix(): the constant head of every RECORD of a stream."""
        self.sink.write(stream_prefix + _escape_line_separators(orjson.dumps(record)) + b"}\n")

    def state(self, value):
        self._line({"type": "STATE", "value": value})
        self.sink.flush()

    def flush(self):
        self.sink.flush()

    def _line(self, message):
        self.sink.write(_escape_line_separators(orjson.dumps(message)) + b"\n")


def _escape_line_separators(line):
    """orjson writes U+2028 and U+2029 raw, as JSON allows; but a reader that splits lines with
    str.splitlines() breaks a message at them. Escaped, every message stays on one line for every reader."""
    if b"\xe2\x80" not in line:  # one scan for the common line, instead of two replaces
        return line
    return line.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")


def record_prefix(stream):
    return b'{"type":"RECORD","stream":' + orjson.dumps(stream) + b',"record":'
