"""Schema drift is moved aside under schema_drift, never dropped, and the record then fits its schema."""
import copy
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft4Validator, FormatChecker

from tap_kustomer.conform import DRIFT_FIELD, Conformer, with_drift_field
from tap_kustomer.discover import load_schema
from tap_kustomer.streams import STREAMS as TAP_STREAMS
from tap_kustomer.summary import DRIFT_SHOWN, DriftLog

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "tap_kustomer" / "schemas"
STREAMS = sorted(path.stem for path in SCHEMA_DIR.glob("*.json"))
# Values of every JSON type but null: for each typed field, one of them does not fit.
MISFITS = ({"unexpected": [1]}, ["x"], "text", 1.5, True)

SCHEMA = with_drift_field({
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "updated_at": {"type": "string", "format": "date-time"},
        "count": {"type": ["null", "integer"]},
        "score": {"type": ["null", "number"]},
        "done": {"type": ["null", "boolean"]},
        "tags": {"type": ["null", "array"], "items": {"type": "string"}},
        "meta": {"type": ["null", "object"], "properties": {
            "to": {"type": ["null", "array"], "items": {"type": "object"}},
            "sent_at": {"type": ["null", "string"], "format": "date-time"},
        }},
        "custom": {"type": ["null", "object"], "additionalProperties": True},
    },
})


@pytest.mark.parametrize("field,value,path", [
    ("count", "12", "count"),
    ("count", True, "count"),
    ("count", 1.5, "count"),
    ("score", "high", "score"),
    ("done", 1, "done"),
    ("tags", "a,b", "tags"),
    ("tags", ["a", 2], "tags"),
    ("meta", "plain", "meta"),
    ("meta", {"to": "x@y.z"}, "meta.to"),
    ("meta", {"sent_at": "yesterday"}, "meta.sent_at"),
])
def test_misfits_move_to_schema_drift(field, value, path):
    record = {"id": "1", "updated_at": "2024-01-01T00:00:00.000Z", field: copy.deepcopy(value)}
    moved = Conformer(SCHEMA)(record)
    assert [entry[0] for entry in moved] == [path]
    drifted = record[DRIFT_FIELD][path]
    expected = value if path == field else value[path.split(".")[1]]
    assert drifted == expected
    Draft4Validator(SCHEMA, format_checker=FormatChecker()).validate(record)


def test_fitting_records_are_untouched():
    record = {"id": "1", "updated_at": "2023-12-31T22:00:00Z", "count": 3, "score": 2, "done": False,
              "tags": ["a"], "meta": {"to": [{"email": "a@b.c"}], "sent_at": None}, "custom": {"anyKey": [1]}}
    before = copy.deepcopy(record)
    assert not Conformer(SCHEMA)(record)
    assert record == before


def test_the_schema_files_are_the_streams_schemas():
    assert STREAMS == sorted(stream.name for stream in TAP_STREAMS)


@pytest.mark.parametrize("stream", STREAMS)
def test_every_stream_schema_keeps_fitting_records_and_moves_misfits_aside(stream):
    schema = with_drift_field(load_schema(stream))
    validator = Draft4Validator(schema, format_checker=FormatChecker())
    record = {"id": "x", "updated_at": "2024-01-01T00:00:00Z"}
    assert not Conformer(schema)(record)
    assert record == {"id": "x", "updated_at": "2024-01-01T00:00:00Z"}
    misfits = {}
    for name, subschema in schema["properties"].items():
        field_validator = Draft4Validator(subschema, format_checker=FormatChecker())
        misfit = next((value for value in MISFITS if not field_validator.is_valid(value)), None)
        if misfit is not None and name != DRIFT_FIELD:
            misfits[name] = misfit
    assert len(misfits) >= 5, sorted(misfits)
    record.update(copy.deepcopy(misfits))
    moved = Conformer(schema)(record)
    assert sorted(path for path, _ in moved) == sorted(misfits)
    assert record[DRIFT_FIELD] == misfits
    validator.validate(record)


def test_null_objects_with_date_time_children_are_left_out():
    record = {"id": "1", "updated_at": "2024-01-01T00:00:00Z", "meta": None, "count": None}
    assert not Conformer(SCHEMA)(record)
    assert "meta" not in record and record["count"] is None


def test_drift_log_counts_everything_but_keeps_only_the_first_few():
    log = DriftLog()
    for index in range(10_000):
        log.add("customers", str(index), "custom.x", "expected string, got int")
    assert log.count == 10_000
    assert len(log.shown) == DRIFT_SHOWN and log.shown[0][1] == "0"


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=5)
    | st.sampled_from(["2024-01-01T00:00:00Z", "2024-01-01 00:00:00Z", "2024-02-30T00:00:00Z", "2024-01-01"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(["to", "sent_at", "x"]),
                                                                     children, max_size=3),
    max_leaves=8)


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(st.sampled_from(sorted(SCHEMA["properties"])), JSON_VALUES, max_size=6))
def test_any_record_fits_its_schema_after_conform_and_nothing_is_lost(fields):
    record = {"id": "1", "updated_at": "2024-01-01T00:00:00.000Z", **fields}
    record.pop(DRIFT_FIELD, None)
    before = copy.deepcopy(record)
    moved = Conformer(SCHEMA)(record)
    Draft4Validator(SCHEMA, format_checker=FormatChecker()).validate(record)
    drift = record.pop(DRIFT_FIELD, {})
    assert sorted(drift) == sorted(path for path, _ in moved)
    for path, value in drift.items():
        head, _, tail = path.partition(".")
        assert (before[head][tail] if tail else before[head]) == value


def test_a_date_time_with_an_offset_is_sent_as_the_same_instant_in_utc():
    schema = {"type": "object", "properties": {
        "at": {"type": ["null", "string"], "format": "date-time"},
        "custom": {"type": ["null", "object"], "properties": {"due_at": {"type": ["null", "string"],
                                                                            "format": "date-time"}}}}}
    record = {"at": "2024-03-04T07:27:53.120+01:00", "custom": {"due_at": "2024-03-04T07:27:53Z"}}
    assert Conformer(schema)(record) == []
    assert record == {"at": "2024-03-04T06:27:53.120000Z", "custom": {"due_at": "2024-03-04T07:27:53Z"}}
