"""Discovery: the catalog from the bundled schemas, and, given the org's metadata, a stream per klass and
`custom` blocks typed from the custom attribute metadata."""
import json
from functools import lru_cache
from importlib import resources

from singer import metadata

from .conform import with_drift_field
from .streams import KEY_PROPERTIES, KLASS_METADATA, REPLICATION_KEY, STREAMS, klass_stream


@lru_cache(maxsize=None)
def load_schema(stream_name):
    text = resources.files("tap_kustomer").joinpath("schemas", f"{stream_name}.json").read_text("utf-8")
    return json.loads(text)


def stream_schema(stream_name):
    """The schema a stream's records follow, with the field that keeps drifted values."""
    return with_drift_field(load_schema(stream_name))


def stream_metadata(schema):
    entries = metadata.to_map(metadata.get_standard_metadata(
        schema=schema, key_properties=list(KEY_PROPERTIES), valid_replication_keys=[REPLICATION_KEY],
        replication_method="INCREMENTAL"))
    # singer-python marks only the key automatic; the bookmark field must always be emitted too.
    entries[("properties", REPLICATION_KEY)]["inclusion"] = "automatic"
    entries[()]["selected-by-default"] = False
    return metadata.to_list(entries)


def typed_schema(stream, custom):
    """The stream's bundled schema, with `custom` typed from the org's metadata when there is any."""
    schema = stream_schema(stream.schema_file)
    if custom is None or "custom" not in schema["properties"]:
        return schema
    return dict(schema, properties=dict(schema["properties"], custom=custom))


def _entry(stream, schema, extra=None):
    entries = metadata.to_map(stream_metadata(schema))
    entries[()].update(extra or {})
    return {"tap_stream_id": stream.name, "stream": stream.name, "key_properties": list(KEY_PROPERTIES),
            "replication_key": REPLICATION_KEY, "replication_method": "INCREMENTAL", "schema": schema,
            "metadata": metadata.to_list(entries)}


def discover(org=None):
    """The catalog: the static streams, and with `org` (org_metadata.OrgMetadata) one stream per klass."""
    def custom(stream):
        return org.custom_schema(stream.custom_of) if org is not None and stream.custom_of else None

    streams = [_entry(stream, typed_schema(stream, custom(stream))) for stream in STREAMS]
    if org is not None:
        for klass_name, name in org.stream_names().items():
            stream = klass_stream(name, klass_name)
            streams.append(_entry(stream, typed_schema(stream, custom(stream)), {KLASS_METADATA: klass_name}))
    return {"streams": streams}
