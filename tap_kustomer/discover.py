"""Discovery: the catalog built from the bundled schemas. Offline: no token, no network."""
import json
from functools import lru_cache
from importlib import resources

from singer import metadata

from .conform import with_drift_field
from .streams import KEY_PROPERTIES, REPLICATION_KEY, STREAMS


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


def discover():
    streams = []
    for stream in STREAMS:
        schema = stream_schema(stream.name)
        streams.append({
            "tap_stream_id": stream.name,
            "stream": stream.name,
            "key_properties": list(KEY_PROPERTIES),
            "replication_key": REPLICATION_KEY,
            "replication_method": "INCREMENTAL",
            "schema": schema,
            "metadata": stream_metadata(schema),
        })
    return {"streams": streams}
