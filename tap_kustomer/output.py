"""Singer messages on stdout, one per line. Records are buffered; a STATE flushes what it covers."""
import re
import sys
import time
from datetime import datetime, timezone

import orjson


class SingerWriter:
    def __init__(self, sink=None, clock=time.time):
        self.sink = sink or sys.stdout.buffer
        self._clock = clock
        self._suffix = None
        self.extracted()

    def schema(self, stream, schema, key_properties, bookmark_properties):
        self._line({"type": "SCHEMA", "stream": stream, "schema": schema,
                    "key_properties": list(key_properties), "bookmark_properties": list(bookmark_properties)})

    def extracted(self):
        """The records written from now on were extracted now: called as each page arrives. Their
        `time_extracted` (loaders store it, target-postgres as `_sdc_extracted_at`) is the millisecond their
        page was read, and the tail of the RECORD line that carries it is built once a page."""
        millisecond = int(self._clock() * 1000)
        self._suffix = b',"time_extracted":"' + _rfc3339(millisecond).encode() + b'"}\n'

    def record(self, stream_prefix, record):
        """`stream_prefix` comes from record_prefix(): the constant head of every RECORD of a stream."""
        self.sink.write(stream_prefix + _escape_line_separators(orjson.dumps(record)) + self._suffix)

    def state(self, value):
        self._line({"type": "STATE", "value": value})
        self.sink.flush()

    def flush(self):
        self.sink.flush()

    def _line(self, message):
        self.sink.write(_escape_line_separators(orjson.dumps(message)) + b"\n")


# Both separators in one scan. Searching for either three-byte sequence with bytes' `in` costs more than
# this: text with many non-ASCII characters defeats its skip table (bench/README.md, "Where the CPU goes").
_LINE_SEPARATOR = re.compile(b"\xe2\x80[\xa8\xa9]")
_ESCAPED = {b"\xe2\x80\xa8": b"\\u2028", b"\xe2\x80\xa9": b"\\u2029"}


def _escaped(match):
    return _ESCAPED[match.group()]


def _escape_line_separators(line):
    """orjson writes U+2028 and U+2029 raw, as JSON allows; but a reader that splits lines with
    str.splitlines() breaks a message at them. Escaped, every message stays on one line for every reader."""
    return _LINE_SEPARATOR.sub(_escaped, line)


def _rfc3339(millisecond):
    moment = datetime.fromtimestamp(millisecond / 1000, timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def record_prefix(stream):
    return b'{"type":"RECORD","stream":' + orjson.dumps(stream) + b',"record":'
