"""Schema drift: a value that does not fit its schema is moved aside, never dropped and never fatal.

Kustomer's shapes vary by org and over time. Rather than let one odd value fail the whole sync (or let
the target reject the record), the value is taken out of its place and kept under `schema_drift`, keyed
by its dotted path, and the run's summary names the stream, id and field.
"""
import re

DRIFT_FIELD = "schema_drift"
DRIFT_SCHEMA = {"type": ["null", "object"], "additionalProperties": True,
                "description": "Values that did not fit this schema, by dotted path, kept as sent"}
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})\Z")

_PYTHON_TYPES = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "null": (type(None),),
}


def _fits_types(value, types):
    if isinstance(value, bool) and "boolean" not in types:
        return False  # bool is an int to Python, never to JSON Schema
    return any(isinstance(value, _PYTHON_TYPES[name]) for name in types if name in _PYTHON_TYPES)


class Node:
    """A compiled schema node: can it hold this value, and which children must be checked?"""

    __slots__ = ("types", "date_time", "properties", "items", "null_unsafe")

    def __init__(self, schema):
        kind = schema.get("type")
        self.types = None if kind is None else ((kind,) if isinstance(kind, str) else tuple(kind))
        self.date_time = schema.get("format") == "date-time"
        props = schema.get("properties") or {}
        self.properties = {name: Node(sub) for name, sub in props.items() if isinstance(sub, dict)} or None
        items = schema.get("items")
        self.items = Node(items) if isinstance(items, dict) else None
        # singer-check-tap 0.4.1 crashes on a null object whose properties include a date-time;
        # an absent key means the same to every target, so such nulls are left out instead.
        self.null_unsafe = any(child.date_time for child in (self.properties or {}).values())

    def problem(self, value):
        """Why this value does not fit here (ignoring children), or None."""
        if self.types is not None and not _fits_types(value, self.types):
            return f"expected {'/'.join(self.types)}, got {type(value).__name__}"
        if self.date_time and isinstance(value, str) and not RFC3339.match(value):
            return f"not an RFC 3339 date-time: {value[:40]!r}"
        if self.items is not None and isinstance(value, list):
            for item in value:
                reason = self.items.problem(item) or self.items.nested_problem(item)
                if reason:
                    return f"an item: {reason}"
        return None

    def nested_problem(self, value):
        if self.properties is None or not isinstance(value, dict):
            return None
        for name, child in self.properties.items():
            if name in value:
                reason = child.problem(value[name]) or child.nested_problem(value[name])
                if reason:
                    return f"{name}: {reason}"
        return None


class Conformer:
    def __init__(self, schema):
        self.root = Node(schema)

    def __call__(self, record):
        """Fix the record in place; return [(dotted field, reason)] for what was moved aside."""
        moved = []
        self._visit(record, self.root, "", record, moved)
        return moved

    def _visit(self, container, node, prefix, record, moved):
        for name, child in node.properties.items():
            if name not in container:
                continue
            value = container[name]
            if value is None:
                if child.null_unsafe:
                    del container[name]
                continue
            reason = child.problem(value)
            if reason is None:
                if child.properties is not None and isinstance(value, dict):
                    self._visit(value, child, f"{prefix}{name}.", record, moved)
                elif child.items is not None and child.items.properties is not None and isinstance(value, list):
                    for item in value:
                        if isinstance(item, dict):
                            self._visit(item, child.items, f"{prefix}{name}[].", record, moved)
                continue
            path = prefix + name
            record.setdefault(DRIFT_FIELD, {})[path] = value
            del container[name]
            moved.append((path, reason))


def with_drift_field(schema):
    properties = dict(schema.get("properties") or {})
    properties[DRIFT_FIELD] = DRIFT_SCHEMA
    return dict(schema, properties=properties)
