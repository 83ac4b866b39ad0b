"""State: read (including the original tap's flat form), validate, and update bookmarks."""
import orjson

from .errors import StateError
from .streams import REPLICATION_KEY, STREAMS_BY_NAME
from .timeutil import format_timestamp, parse_timestamp


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
        if stream not in STREAMS_BY_NAME:
            raise StateError(f"state: unknown stream {stream!r} in bookmarks (known: "
                             f"{', '.join(STREAMS_BY_NAME)}); remove it from the state file")
        if isinstance(value, str):  # the original tap wrote {"customers": "2019-12-26T18:39:38.186Z"}
            value = {REPLICATION_KEY: value}
        if not isinstance(value, dict) or REPLICATION_KEY not in value:
            raise StateError(f"state: bookmark for {stream} must look like {{\"updated_at\": \"<timestamp>\"}}")
        try:
            moment = parse_timestamp(value[REPLICATION_KEY])
        except (ValueError, TypeError):
            raise StateError(f"state: bookmark for {stream} is not a date: {value[REPLICATION_KEY]!r}") from None
        clean["bookmarks"][stream] = {REPLICATION_KEY: format_timestamp(moment)}
    syncing = data.get("currently_syncing")
    if syncing is not None:
        if not isinstance(syncing, str) or syncing not in STREAMS_BY_NAME:
            raise StateError(f"state: currently_syncing names an unknown stream {syncing!r}")
        clean["currently_syncing"] = syncing
    return clean


def get_bookmark(state, stream):
    value = state["bookmarks"].get(stream)
    return parse_timestamp(value[REPLICATION_KEY]) if value else None


def set_bookmark(state, stream, moment):
    state["bookmarks"][stream] = {REPLICATION_KEY: format_timestamp(moment)}


def set_currently_syncing(state, stream):
    if stream is None:
        state.pop("currently_syncing", None)
    else:
        state["currently_syncing"] = stream
