import datetime
import json
import pathlib
import re

import pytest
from jsonschema import Draft4Validator, FormatChecker

from tap_kustomer.transform import snake_case, transform_record

SCHEMA_DIR = pathlib.Path(__file__).resolve().parents[2] / "tap_kustomer" / "schemas"
FIXTURE_DIR = pathlib.Path(__file__).resolve().parent / "fixtures"
STREAMS = [
    "customers", "conversations", "messages", "notes", "kobjects", "companies",
    "users", "teams", "tags", "shortcuts", "brands",
]
# Schemas written ahead of their streams (org_metadata.attribute_rows and klass_rows feed them).
UNREGISTERED = ["custom_attributes", "klasses"]
NULLABLE_OPEN_OBJECT = {"type": ["null", "object"], "additionalProperties": True}

_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def _is_date_time(value):
    if not isinstance(value, str):
        return True
    if not _RFC3339.fullmatch(value):
        return False
    datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


def _format_checker():
    # jsonschema 2.6 only checks date-time when strict_rfc3339 or isodate is
    # installed; neither is a dependency, so without this the format would
    # silently go unchecked.
    checker = FormatChecker()
    checker.checks("date-time", raises=ValueError)(_is_date_time)
    return checker


def _load_schema(stream):
    return json.loads((SCHEMA_DIR / f"{stream}.json").read_text(encoding="utf-8"))


def _load_fixture(stream):
    return json.loads((FIXTURE_DIR / f"{stream}.json").read_text(encoding="utf-8"))


def _walk(schema, path=()):
    """Yield (path, subschema) for every subschema reachable via properties/items."""
    yield path, schema
    for name, sub in schema.get("properties", {}).items():
        yield from _walk(sub, path + (name,))
    if isinstance(schema.get("items"), dict):
        yield from _walk(schema["items"], path + ("[]",))


def _types(schema):
    declared = schema.get("type", [])
    return [declared] if isinstance(declared, str) else declared


def _per_klass_relationships(resource):
    # Customers carry one relationship per org-defined KObject klass
    # (``shopify-orders``...), flagged ``meta.kobject``; their names differ per
    # org, so the schema deliberately does not list them.
    return {
        snake_case(name)
        for name, rel in resource.get("relationships", {}).items()
        if rel.get("meta", {}).get("kobject")
    }


def test_one_schema_per_stream():
    assert sorted(p.stem for p in SCHEMA_DIR.glob("*.json")) == sorted(STREAMS + UNREGISTERED)


@pytest.mark.parametrize("stream", STREAMS)
def test_schema_is_valid_draft4(stream):
    Draft4Validator.check_schema(_load_schema(stream))


@pytest.mark.parametrize("stream", STREAMS)
def test_top_level_keys(stream):
    schema = _load_schema(stream)
    assert schema["type"] == "object"
    properties = schema["properties"]
    assert properties["id"] == {"type": "string"}
    assert properties["type"] == {"type": "string"}
    assert properties["updated_at"] == {"type": "string", "format": "date-time"}
    assert properties["links"]["properties"]["self"]["type"] == ["null", "string"]
    assert properties["links"]["additionalProperties"] is True
    for name, sub in properties.items():
        if name not in ("id", "type", "updated_at"):
            assert "null" in _types(sub), name


@pytest.mark.parametrize("stream", STREAMS)
def test_schema_conventions(stream):
    for path, sub in _walk(_load_schema(stream)):
        where = ".".join(path) or "<root>"
        assert sub.get("additionalProperties", True) is not False, where
        assert not {"anyOf", "oneOf", "allOf"} & set(sub), where
        types = _types(sub)
        assert not types or set(types) != {"null"}, f"{where} is null-only"
        if "array" in types:
            assert "items" in sub, where
        if "object" in types and "properties" not in sub:
            assert sub.get("additionalProperties") is True, f"{where} is an object with no shape"
        if path and path[-1].endswith("_at") and "string" in types:
            assert sub.get("format") == "date-time", where


@pytest.mark.parametrize("stream", STREAMS)
def test_custom_is_open(stream):
    custom = _load_schema(stream)["properties"].get("custom")
    if custom is not None:
        assert custom == NULLABLE_OPEN_OBJECT


def test_date_time_checker_rejects_non_timestamps():
    validator = Draft4Validator({"type": "string", "format": "date-time"}, format_checker=_format_checker())
    assert validator.is_valid("2016-11-09T02:46:29.789Z")
    assert validator.is_valid("2016-11-06T13:54:29-05:00")
    assert not validator.is_valid("2016-11-09")
    assert not validator.is_valid("2016-13-45T99:00:00Z")
    assert not validator.is_valid("yesterday")


@pytest.mark.parametrize("stream", STREAMS)
def test_sample_validates_and_is_fully_declared(stream):
    schema = _load_schema(stream)
    validator = Draft4Validator(schema, format_checker=_format_checker())
    resources = _load_fixture(stream)
    assert resources
    for resource in resources:
        undeclared_ok = _per_klass_relationships(resource)
        record = transform_record(resource)
        errors = [f"{'.'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(record)]
        assert not errors, (resource["id"], errors)
        undeclared = set(record) - set(schema["properties"]) - undeclared_ok
        assert not undeclared, (resource["id"], sorted(undeclared))
