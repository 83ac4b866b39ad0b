"""Where our tap's CPU goes per record, without a profiler's overhead: each stage of the record path timed
in-process over the very bodies the simulator served, next to the json.loads floor.

Uses the tap's own functions (parse, transform, conform, serialise), so it measures the code as it is
today; if their names move, the breakdown is reported as unavailable instead of failing the bench.
"""
import gc
import json
import time

import orjson

STREAM_OF_TYPE = {"customer": "customers", "conversation": "conversations", "message": "messages",
                  "note": "notes", "company": "companies", "user": "users", "team": "teams", "tag": "tags",
                  "shortcut": "shortcuts", "brand": "brands"}


def _stream_of(resource):
    kind = resource.get("type") or ""
    return "kobjects" if kind.startswith("kobject") else STREAM_OF_TYPE.get(kind)


def breakdown(bodies, catalog, every=1):
    """CPU seconds per stage over every `every`-th body, scaled back up to all of them."""
    # pylint: disable=import-outside-toplevel
    try:
        from tap_kustomer.catalog import parse_catalog
        from tap_kustomer.conform import Conformer
        from tap_kustomer.output import record_prefix
        from tap_kustomer.transform import transform_record
    except ImportError as exc:
        return {"error": f"the tap's record path moved ({exc})"}
    path = {item.stream.name: (Conformer(item.schema), record_prefix(item.stream.name))
            for item in parse_catalog(catalog)}
    sample = bodies[::every]
    spent = {"json_loads": 0.0, "orjson_loads": 0.0, "transform": 0.0, "conform": 0.0, "serialise": 0.0}
    gc.collect()
    gc.freeze()
    try:
        records = sum(_body(body, path, transform_record, spent) for body in sample)
    finally:
        gc.unfreeze()
    scale = len(bodies) / max(1, len(sample))
    return {"sampled_bodies": len(sample), "records": round(records * scale),
            "seconds": {stage: value * scale for stage, value in spent.items()}}


def _body(body, path, transform_record, spent):
    """Time one body through each stage; returns the records it held."""
    clock = time.thread_time
    mark = clock()
    json.loads(body)
    spent["json_loads"] += clock() - mark
    mark = clock()
    payload = orjson.loads(body)
    spent["orjson_loads"] += clock() - mark
    records = 0
    data = payload.get("data") if isinstance(payload, dict) else None
    # Metadata answers with one object as `data`; only lists of resources go down the record path.
    for resource in data if isinstance(data, list) else ():
        if not isinstance(resource, dict):
            continue
        conform, prefix = path.get(_stream_of(resource), (None, None))
        if conform is None:
            continue
        records += 1
        mark = clock()
        record = transform_record(resource)
        middle = clock()
        conform(record)
        late = clock()
        line = prefix + orjson.dumps(record) + b"}\n"
        spent["serialise"] += clock() - late
        spent["transform"] += middle - mark
        spent["conform"] += late - middle
        del line
    return records
