"""The dataset the warehouse tests load, the records the tap makes of it, and rows read back as nested values."""
import json

from tap_kustomer.names import RENAMES
from tap_kustomer.timeutil import parse_timestamp
from tap_kustomer.transform import transform_record
from tests.sandbox import Dataset
from tests.sandbox.records import render

DATASET = Dataset.profile("small", seed=7)


def tap_record(stream, skeleton):
    """The record the tap emits for a skeleton the simulator has not changed: rendered, transformed, renamed."""
    record = transform_record(render(DATASET, stream, skeleton))
    for old, new in RENAMES.get(stream, {}).items():
        if old in record:
            record[new] = record.pop(old)
    return record


def leaves(value, path=()):
    """(path, value) of every non-null scalar, list items by position."""
    if isinstance(value, dict):
        for name, item in value.items():
            yield from leaves(item, path + (name,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaves(item, path + (index,))
    elif value is not None:
        yield path, value


def unflatten(row):
    """A flattened row (a__b columns, JSON text past the depth) back to nested values."""
    nested = {}
    for column, value in row.items():
        parts = column.split("__")
        node = nested
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        if isinstance(value, str) and value[:1] in ("{", "["):
            value = json.loads(value)
        node[parts[-1]] = value
    return nested


def same(expected, got):
    if isinstance(expected, str) and isinstance(got, str) and got[:2] == expected[:2] and "T" in expected[8:]:
        try:
            return parse_timestamp(expected) == parse_timestamp(got if got[-1:] == "Z" or "+" in got[19:]
                                                              else got + "Z")
        except ValueError:
            pass
    return expected == got


def missing_values(record, row):
    """(path, value in the record, value in the row) of each of the record's values the row lacks."""
    missing = []
    for path, value in leaves(record):
        got = row
        for part in path:
            got = got.get(part) if isinstance(got, dict) else (
                got[part] if isinstance(got, list) and part < len(got) else None)
        if not same(value, got):
            missing.append((".".join(map(str, path)), value, got))
    return missing
