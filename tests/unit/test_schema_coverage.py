"""Every key the simulator's records carry, at every depth, is declared in its stream's schema, and fits it.

A loader keeps only what the SCHEMA declares (with flattening on, not even an undeclared key inside an
object that lists its properties), so a key the API sends and the schema lacks is a column lost.
"""
import pytest

from tap_kustomer.conform import Conformer
from tap_kustomer.discover import stream_schema
from tap_kustomer.names import RENAMES
from tap_kustomer.transform import transform_record
from tests.sandbox.data import Dataset
from tests.sandbox.records import render

DATASET = Dataset.profile("small", seed=7)


def undeclared(schema, value, path, found):
    """Adds the dotted path of every key of `value` that `schema` does not list. Only an object schema
    without properties (an open block such as `custom`) may hold any key."""
    if isinstance(value, dict) and "properties" in schema:
        for name, item in value.items():
            if name in schema["properties"]:
                undeclared(schema["properties"][name], item, f"{path}.{name}", found)
            else:
                found.add(f"{path}.{name}")
    elif isinstance(value, dict) and value:
        assert schema.get("additionalProperties") is True, f"{path} holds an object its schema does not allow"
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            undeclared(schema["items"], item, f"{path}[]", found)


@pytest.mark.parametrize("stream", sorted(DATASET.records))
def test_every_simulated_key_is_declared_and_fits(stream):
    schema = stream_schema(stream)
    conform = Conformer(schema)
    found, misfits = set(), set()
    for skeleton in DATASET.records[stream]:
        record = transform_record(render(DATASET, stream, skeleton))
        for old, new in RENAMES.get(stream, {}).items():
            if old in record:
                record[new] = record.pop(old)
        undeclared(schema, record, stream, found)
        misfits.update(f"{path}: {reason}" for path, reason in conform(record))
    assert not found, sorted(found)
    assert not misfits, sorted(misfits)[:10]
