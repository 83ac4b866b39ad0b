"""Reading a user's catalog: which streams and which fields are selected."""
from dataclasses import dataclass

import orjson
from singer import metadata

from .discover import typed_schema
from .errors import CatalogError
from .streams import KEY_PROPERTIES, KLASS_METADATA, REPLICATION_KEY, STREAMS_BY_NAME, klass_stream

ALWAYS_EMITTED = frozenset(KEY_PROPERTIES) | {REPLICATION_KEY}


@dataclass(frozen=True)
class Selection:
    stream: object  # streams.Stream
    schema: dict  # the schema to announce and conform to: only the emitted fields
    fields: frozenset  # top-level fields to emit, or None for all of them


def load_catalog_file(path):
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise CatalogError(f"catalog file {path} cannot be read: {exc.strerror}") from None
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise CatalogError(f"catalog file {path} is not valid JSON ({exc}); create one with --discover") from None
    return parse_catalog(data)


def _entry_name(entry, position):
    if not isinstance(entry, dict):
        raise CatalogError(f"catalog: streams[{position}] must be an object")
    name = entry.get("tap_stream_id") or entry.get("stream")
    if not isinstance(name, str):
        raise CatalogError(f"catalog: unknown stream {name!r} at streams[{position}]; regenerate the catalog with "
                           f"--discover")
    if not isinstance(entry.get("schema"), dict) or not isinstance(entry.get("metadata", []), list):
        raise CatalogError(f"catalog: stream {name} needs a 'schema' object and a 'metadata' list")
    if not isinstance(entry["schema"].get("properties", {}), (dict, type(None))):
        raise CatalogError(f"catalog: stream {name}'s schema 'properties' must be an object")
    return name


def _metadata_map(entry, name):
    items = entry.get("metadata", [])
    if all(isinstance(item, dict) and isinstance(item.get("breadcrumb"), list)
           and isinstance(item.get("metadata"), dict) for item in items):
        try:
            return metadata.to_map(items)
        except TypeError:  # a breadcrumb part that cannot be part of a key
            pass
    raise CatalogError(f"catalog: stream {name} has malformed metadata (each item needs a 'breadcrumb' list "
                       f"and a 'metadata' object); regenerate it with --discover")


def _stream(name, mdata):
    if name in STREAMS_BY_NAME:
        return STREAMS_BY_NAME[name]
    klass = mdata.get((), {}).get(KLASS_METADATA)
    if not isinstance(klass, str) or not klass:
        raise CatalogError(f"catalog: unknown stream {name!r} (known: {', '.join(STREAMS_BY_NAME)}, and a stream "
                           f"per klass); regenerate the catalog with --discover")
    return klass_stream(name, klass)


def _catalog_custom(entry):
    custom = (entry["schema"].get("properties") or {}).get("custom")
    return custom if isinstance(custom, dict) and isinstance(custom.get("properties"), dict) else None


def _is_selected(entry, mdata):
    return bool(mdata.get((), {}).get("selected") or entry["schema"].get("selected"))


def _fields(entry, mdata, properties):
    user_properties = entry["schema"].get("properties") or {}
    keep = set()
    for name in properties:
        field_meta = mdata.get(("properties", name), {})
        if name in ALWAYS_EMITTED or field_meta.get("inclusion") == "automatic":
            keep.add(name)
        elif field_meta.get("inclusion") == "unsupported":
            continue
        elif field_meta.get("selected", _legacy_selected(user_properties.get(name))) is not False:
            keep.add(name)
    return keep


def _legacy_selected(subschema):
    return subschema.get("selected") if isinstance(subschema, dict) else None


def parse_catalog(data):
    """The selected streams in catalog order, each with its emitted fields."""
    if not isinstance(data, dict) or not isinstance(data.get("streams"), list):
        raise CatalogError("catalog must be a JSON object with a 'streams' list; create one with --discover")
    selections = []
    for position, entry in enumerate(data["streams"]):
        name = _entry_name(entry, position)
        mdata = _metadata_map(entry, name)
        stream = _stream(name, mdata)
        if not _is_selected(entry, mdata):
            continue
        # Our own schema, not the catalog's copy: a catalog from an older version must not shape records. Only
        # `custom` comes from the catalog: discovery typed it from the org's metadata, which we cannot reread.
        full = typed_schema(stream, _catalog_custom(entry))
        keep = _fields(entry, mdata, full["properties"])
        schema = dict(full, properties={k: v for k, v in full["properties"].items() if k in keep})
        fields = None if keep == set(full["properties"]) else frozenset(keep)
        selections.append(Selection(stream, schema, fields))
    return selections


def resume_order(selections, currently_syncing):
    """Start with the stream an interrupted run was in, then the rest: rotate, never skip."""
    names = [selection.stream.name for selection in selections]
    if currently_syncing not in names:
        return selections
    start = names.index(currently_syncing)
    return selections[start:] + selections[:start]
