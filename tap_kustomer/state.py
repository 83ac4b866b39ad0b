"""State: read (including the original tap's flat form), validate, and update bookmarks.

A bookmark is {"updated_at": ts}, plus {"archive_sweep_from": ts} while a run that crossed the search
horizon still owes its archive span (sources.py) from there: a resumed run goes on with it. (The name is
from when that span was a sweep of the day at the horizon; state written then is read the same way.)
{"read_to": ts} says that a run read both indexes whole up to there: a later run does not ask archive search
for what lies below it, even when the bookmark itself has stayed below the horizon (no update since).
"""
from typing import NamedTuple

import orjson

from .errors import StateError
from .custom_types import KLASS_STREAM_PREFIX
from .streams import REPLICATION_KEY, STREAMS_BY_NAME
from .timeutil import format_timestamp, parse_timestamp

ARCHIVE_OWED_KEY = "archive_sweep_from"
# Ids already read at the bookmark's moment, kept while a run is inside a tie: a resumed run skips them
# instead of reading the tie again. At most one search's results (10,000 ids, about 270 kB).
SEEN_KEY = "seen_at_bookmark"
# The same for the archive span: ids already read at `archive_sweep_from`.
ARCHIVE_SEEN_KEY = "archive_seen"
# Every record updated before this moment was read, from either index, by a run that lost nothing.
READ_TO_KEY = "read_to"


class Bookmark(NamedTuple):
    moment: object  # None: no bookmark yet
    archive_owed: object = None  # the archive span is owed from here
    seen: tuple = ()  # ids read at `moment`
    archive_seen: tuple = ()  # ids read at `archive_owed`
    read_to: object = None  # both indexes were read whole up to here


def load_state_file(path):
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise StateError(f"state file {path} cannot be read: {exc.strerror}") from None
    if not raw.strip():
        return normalise_state({})
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise StateError(f"state file {path} is not valid JSON ({exc}); pass the last STATE line's value, "
                         f"like state.sample.json") from None
    return normalise_state(data)


def normalise_state(data):
    """A clean copy: {"bookmarks": {stream: {"updated_at": ts}}, "currently_syncing": stream?}."""
    if not isinstance(data, dict):
        raise StateError("state must be a JSON object like state.sample.json")
    bookmarks = data.get("bookmarks")
    bookmarks = {} if bookmarks is None else bookmarks
    if not isinstance(bookmarks, dict):
        raise StateError("state: 'bookmarks' must be an object mapping stream names to bookmarks")
    clean = {"bookmarks": {}}
    for stream, value in bookmarks.items():
        if not _known(stream):
            raise StateError(f"state: unknown stream {stream!r} in bookmarks (known: "
                             f"{', '.join(STREAMS_BY_NAME)}, and {KLASS_STREAM_PREFIX}<klass>); remove it from "
                             f"the state file")
        if isinstance(value, str):  # the original tap wrote {"customers": "2019-12-26T18:39:38.186Z"}
            value = {REPLICATION_KEY: value}
        if not isinstance(value, dict) or REPLICATION_KEY not in value:
            raise StateError(f"state: bookmark for {stream} must look like {{\"updated_at\": \"<timestamp>\"}}")
        keys = [REPLICATION_KEY] + [key for key in (ARCHIVE_OWED_KEY, READ_TO_KEY) if value.get(key) is not None]
        clean["bookmarks"][stream] = {key: format_timestamp(_moment(stream, key, value[key])) for key in keys}
        for key in (SEEN_KEY, ARCHIVE_SEEN_KEY):
            seen = value.get(key)
            if seen:
                if not isinstance(seen, list) or not all(isinstance(item, str) for item in seen):
                    raise StateError(f"state: {key} for {stream} must be a list of record ids")
                clean["bookmarks"][stream][key] = list(seen)
    syncing = data.get("currently_syncing")
    if syncing is not None:
        if not isinstance(syncing, str) or not _known(syncing):
            raise StateError(f"state: currently_syncing names an unknown stream {syncing!r}")
        clean["currently_syncing"] = syncing
    return clean


def _known(stream):
    return stream in STREAMS_BY_NAME or (isinstance(stream, str) and stream.startswith(KLASS_STREAM_PREFIX))


def _moment(stream, key, value):
    try:
        return parse_timestamp(value)
    except (ValueError, TypeError):
        label = "bookmark" if key == REPLICATION_KEY else key
        raise StateError(f"state: {label} for {stream} is not a date: {value!r}") from None


def get_bookmark(state, stream):
    value = state["bookmarks"].get(stream)
    if not value:
        return Bookmark(None)
    owed, read_to = value.get(ARCHIVE_OWED_KEY), value.get(READ_TO_KEY)
    return Bookmark(parse_timestamp(value[REPLICATION_KEY]), None if owed is None else parse_timestamp(owed),
                    tuple(value.get(SEEN_KEY, ())), tuple(value.get(ARCHIVE_SEEN_KEY, ())),
                    None if read_to is None else parse_timestamp(read_to))


def set_bookmark(state, stream, moment, archive_owed=None, seen=(), archive_seen=(), read_to=None):
    value = {REPLICATION_KEY: format_timestamp(moment)}
    if archive_owed is not None:
        value[ARCHIVE_OWED_KEY] = format_timestamp(archive_owed)
    if read_to is not None:
        value[READ_TO_KEY] = format_timestamp(read_to)
    if seen:
        value[SEEN_KEY] = sorted(seen)
    if archive_owed is not None and archive_seen:
        value[ARCHIVE_SEEN_KEY] = sorted(archive_seen)
    state["bookmarks"][stream] = value


def set_currently_syncing(state, stream):
    if stream is None:
        state.pop("currently_syncing", None)
    else:
        state["currently_syncing"] = stream
