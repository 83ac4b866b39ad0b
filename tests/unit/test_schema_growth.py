"""A key the schema lacks is declared, typed from its value, before the first record that carries it."""
import io
import json

from tap_kustomer.catalog import Selection
from tap_kustomer.discover import stream_schema
from tap_kustomer.output import SingerWriter
from tap_kustomer.schema_growth import SchemaGrowth, infer
from tap_kustomer.streams import STREAMS_BY_NAME
from tap_kustomer.summary import DriftLog
from tap_kustomer.sync import RecordWriter

NOTE = {"id": "n1", "type": "note", "body": "hi", "org": {"type": "org", "id": "o1"}}


def test_declared_records_add_nothing_and_leave_the_schema_alone():
    schema = stream_schema("notes")
    growth = SchemaGrowth(schema)
    assert not growth(dict(NOTE))
    assert growth.schema is schema


def test_new_keys_at_every_depth_are_declared_nullable_and_typed():
    schema = stream_schema("notes")
    growth = SchemaGrowth(schema)
    record = dict(NOTE, pinned_at="2024-01-02T03:04:05.000Z", score=1.5, org={"id": "o1", "plan": "pro"},
                  later=None)
    added = dict(growth(record))
    assert added == {"pinned_at": {"type": ["null", "string"], "format": "date-time"},
                     "score": {"type": ["null", "number"]}, "org.plan": {"type": ["null", "string"]},
                     }
    grown = growth.schema["properties"]
    assert grown["org"]["properties"]["plan"] == {"type": ["null", "string"]}
    assert "later" not in grown, "a null says nothing of the type: the key waits for a value"
    assert "pinned_at" not in schema["properties"], "the caller's schema is not changed"
    assert not growth(record)
    assert dict(growth(dict(NOTE, later={"n": 1}))) == {
        "later": {"type": ["null", "object"], "properties": {"n": {"type": ["null", "integer"]}},
                  "additionalProperties": True}}


def test_keys_of_objects_in_arrays_are_declared_once():
    growth = SchemaGrowth(stream_schema("messages"))
    added = growth({"id": "m1", "reactions": [{"emoji": "x", "by": None}, {"by": "u1"}, {"by": "u2"}]})
    assert added == [("reactions[].by", {"type": ["null", "string"]})]
    assert growth.schema["properties"]["reactions"]["items"]["properties"]["by"] == {"type": ["null", "string"]}


def test_open_objects_and_deselected_top_level_keys_are_left_alone():
    growth = SchemaGrowth(stream_schema("customers"), fields=frozenset({"id", "custom", "org"}))
    assert not growth({"id": "c1", "custom": {"newStr": "x"}, "brand_new": 1})


def test_a_key_whose_flattened_column_passes_63_bytes_is_not_declared():
    growth = SchemaGrowth(stream_schema("notes"))
    long_key = "k" * 60
    assert not growth(dict(NOTE, org={"id": "o1", long_key: "v"}))
    assert growth.skipped == {f"org.{long_key}"}


def test_infer_types():
    assert infer(None) is None
    assert infer(True) == {"type": ["null", "boolean"]}
    assert infer(3) == {"type": ["null", "integer"]}
    assert infer("x") == {"type": ["null", "string"]}
    assert infer([]) == {"type": ["null", "array"], "items": {}}
    assert infer([None, "2024-01-01T00:00:00Z"])["items"]["format"] == "date-time"


def test_drift_log_counts_new_keys():
    log = DriftLog()
    log.add_keys("notes", "n1", [("org.plan", {"type": ["null", "string"]})])
    assert (log.count, log.new_keys) == (1, 1)
    assert log.shown == [("notes", "n1", "org.plan", "not in the schema: declared as null/string")]


def test_sync_sends_the_grown_schema_before_the_first_record_carrying_the_key():
    sink, drift = io.BytesIO(), DriftLog()
    selection = Selection(STREAMS_BY_NAME["notes"], stream_schema("notes"), None)
    records = RecordWriter(selection, SingerWriter(sink), drift)
    records.write({"type": "note", "id": "n1", "attributes": {"body": "a", "updatedAt": "2024-01-01T00:00:00.000Z"}})
    records.write({"type": "note", "id": "n2", "attributes": {"body": "b", "pinnedAt": "2024-01-02T00:00:00.000Z",
                                                              "updatedAt": "2024-01-02T00:00:00.000Z"}})
    messages = [json.loads(line) for line in sink.getvalue().splitlines()]
    assert [m["type"] for m in messages] == ["RECORD", "SCHEMA", "RECORD"]
    assert messages[1]["schema"]["properties"]["pinned_at"]["format"] == "date-time"
    assert messages[2]["record"]["pinned_at"] == "2024-01-02T00:00:00.000Z"
    assert drift.new_keys == 1


def _object_paths(node, path=()):
    """Every object path growth visits: (path, node), `[]` for an array's items."""
    yield path, node
    for name, child in node.objects:
        yield from _object_paths(child, path + (name,))
    for name, child in node.arrays:
        yield from _object_paths(child, path + (name, "[]"))


def _record_at(path, leaf):
    """The smallest record holding `leaf` as the object at `path`."""
    if not path:
        return leaf
    head, rest = path[0], path[1:]
    if rest and rest[0] == "[]":
        return {head: [{"declared": None}, _record_at(rest[1:], leaf)]}
    return {head: _record_at(rest, leaf)}


def test_the_compiled_check_finds_an_undeclared_key_in_every_object_the_walk_visits():
    # Every search stream's schema, and one undeclared key placed in each object it describes: the compiled
    # check must send each record to the full walk, which names exactly that key; a record whose objects hold
    # only declared keys must pass the check.
    for stream in ("customers", "conversations", "messages", "notes", "kobjects", "companies"):
        schema = stream_schema(stream)
        root = SchemaGrowth(schema)._root  # pylint: disable=protected-access
        paths = list(_object_paths(root))
        assert len(paths) > 3, stream
        for path, node in paths:
            declared = {name: None for name in node.names}
            assert not SchemaGrowth(schema)(_record_at(path, dict(declared))), (stream, path)
            added = SchemaGrowth(schema)(_record_at(path, dict(declared, zz_new_key=1)))
            expected = ".".join(path + ("zz_new_key",)).replace(".[]", "[]")
            assert [name for name, _ in added] == [expected], (stream, path, added)
