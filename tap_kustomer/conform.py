"""Schema drift: a value that does not fit its schema is moved aside, never dropped and never fatal.

Kustomer's shapes vary by org and over time. Rather than let one odd value fail the whole sync (or let
the target reject the record), the value is taken out of its place and kept under `schema_drift`, keyed
by its dotted path, and the run's summary names the stream, id and field.
"""
from datetime import timezone

import ciso8601

DRIFT_FIELD = "schema_drift"
DRIFT_SCHEMA = {"type": ["null", "object"], "additionalProperties": True,
                "description": "Values that did not fit this schema, by dotted path, kept as sent"}


def is_rfc3339(value):
    """A full RFC 3339 date-time with its offset, checked in C: six times faster than a regular
    expression, and stricter (no 30 February), as the targets' own date-time checks are. ciso8601 also
    takes a space for the T, which RFC 3339 allows only as a note and strict checkers refuse."""
    if value[10:11] not in ("T", "t"):
        return False
    try:
        ciso8601.parse_rfc3339(value)
    except ValueError:
        return False
    return True


def as_utc(value):
    """An RFC 3339 date-time with an offset, as the same instant in UTC with a Z."""
    text = ciso8601.parse_rfc3339(value).astimezone(timezone.utc).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


# orjson builds exact types, so `type(value) in accepted` is both the fastest test and the correct one:
# it also keeps bool out of integer and number, which isinstance would let in.
# pylint: disable=unidiomatic-typecheck
_PYTHON_TYPES = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
    "null": (type(None),),
}


class Node:
    """A compiled schema node: can it hold this value, and which children must be checked?"""

    __slots__ = ("type_names", "accepted", "date_time", "properties", "items", "drop_null", "item_objects")

    def __init__(self, schema):
        kind = schema.get("type")
        self.type_names = None if kind is None else ((kind,) if isinstance(kind, str) else tuple(kind))
        self.accepted = None if kind is None else frozenset(
            python for name in self.type_names for python in _PYTHON_TYPES.get(name, ()))
        self.date_time = schema.get("format") == "date-time"
        props = schema.get("properties") or {}
        self.properties = {name: Node(sub) for name, sub in props.items() if isinstance(sub, dict)} or None
        items = schema.get("items")
        self.items = Node(items) if isinstance(items, dict) else None
        # A null is left out where the schema has no null, and for an object whose properties include a
        # date-time (singer-check-tap 0.4.1 crashes on those); an absent key means the same to every target.
        self.drop_null = (self.accepted is not None and type(None) not in self.accepted) or any(
            child.date_time for child in (self.properties or {}).values())
        # Items that are objects are checked whole by problem(); visiting them only drops unsafe nulls.
        self.item_objects = self.items is not None and self.items.properties is not None

    def problem(self, value):
        """Why this value does not fit here (ignoring children), or None."""
        if self.accepted is not None and type(value) not in self.accepted:
            return f"expected {'/'.join(self.type_names)}, got {type(value).__name__}"
        if self.date_time and type(value) is str and not is_rfc3339(value):
            return f"not an RFC 3339 date-time: {value[:40]!r}"
        if self.items is not None and type(value) is list:
            for item in value:
                reason = self.items.problem(item) or self.items.nested_problem(item)
                if reason:
                    return f"an item: {reason}"
        return None

    def nested_problem(self, value):
        if self.properties is None or type(value) is not dict:
            return None
        for name, item in value.items():
            child = self.properties.get(name)
            if child is not None:
                reason = child.problem(item) or child.nested_problem(item)
                if reason:
                    return f"{name}: {reason}"
        return None


class Conformer:
    """Checks records against one schema with code generated from it once per stream.

    A sync checks every field of every record, so the check is compiled: one straight-line function per
    schema with each property's test spelled out, no per-field calls and no loop over the schema. Only a
    value that fails falls back to Node.problem(), which says why.
    """

    def __init__(self, schema):
        self.root = Node(schema)
        self._check = _compile(self.root, "") if self.root.properties else (lambda record: None)

    def __call__(self, record):
        """Fix the record in place; return [(dotted field, reason)] for what was moved aside."""
        moved = self._check(record)
        if not moved:
            return []
        drift = record.setdefault(DRIFT_FIELD, {})
        for path, _, value in moved:
            drift[path] = value
        return [(path, reason) for path, reason, _ in moved]


def _drift(moved, container, name, path, node):
    reason = node.problem(container[name])
    return (moved or []) + [(path, reason, container.pop(name))]


def _merge(moved, more):
    return (moved or []) + more if more else moved


class _Source:
    """The text of one generated check function, and the objects it refers to by name."""

    def __init__(self):
        self.lines = []
        self.names = {"_drift": _drift, "_merge": _merge, "RFC3339": is_rfc3339, "UTC": as_utc, "MISSING": object(),
                      "PARSE": ciso8601.parse_rfc3339}
        self.variables = 0

    def emit(self, depth, text):
        self.lines.append("    " * depth + text)

    def constant(self, value):
        name = f"k{len(self.names)}"
        self.names[name] = value
        return name

    def variable(self):
        self.variables += 1
        return f"v{self.variables}"


def _compile(node, prefix):
    """check(record): moves misfits aside, drops unsafe nulls, returns [(path, reason, value)] or None."""
    source = _Source()
    source.emit(0, "def check(v0):")
    source.emit(1, "moved = None")
    _object_body(source, node, "v0", prefix, 1)
    source.emit(1, "return moved")
    return _build(source, f"<conform {prefix or 'record'}>", "check")


def _compile_fits(node):
    """fits(value): True when Node.problem() would find nothing, for arrays, which move aside whole."""
    source = _Source()
    source.emit(0, "def fits(v0):")
    _fits_body(source, node, "v0", 1)
    source.emit(1, "return True")
    return _build(source, "<conform array>", "fits")


def _build(source, filename, name):
    # Property names reach the text only through repr(), so any name in any catalog stays a string literal.
    exec(compile("\n".join(source.lines), filename, "exec"), source.names)  # pylint: disable=exec-used
    return source.names[name]


def _refused(source, node, value, none_excluded):
    """The test that `value`'s type is not one the node accepts. With one type besides null it is an identity
    test (a set lookup costs more), which sees a null too unless the caller has excluded it already."""
    others = node.accepted - {type(None)}
    if len(others) != 1:
        return f"type({value}) not in {source.constant(node.accepted)}"
    test = f"type({value}) is not {source.constant(next(iter(others)))}"
    if none_excluded or type(None) not in node.accepted:
        return test
    return f"({value} is not None and {test})"


def _fits_body(source, node, value, depth):
    if node.accepted is not None:
        source.emit(depth, f"if {_refused(source, node, value, False)}: return False")
    if node.date_time:
        source.emit(depth, f"if type({value}) is str and not RFC3339({value}): return False")
    if node.items is not None:
        item = source.variable()
        source.emit(depth, f"if type({value}) is list:")
        source.emit(depth + 1, f"for {item} in {value}:")
        _fits_body(source, node.items, item, depth + 2)
        source.emit(depth + 2, "pass")
    if node.properties is not None:
        source.emit(depth, f"if type({value}) is dict:")
        source.emit(depth + 1, "pass")
        for name, child in node.properties.items():
            inner = source.variable()
            source.emit(depth + 1, f"{inner} = {value}.get({name!r}, MISSING)")
            source.emit(depth + 1, f"if {inner} is not MISSING:")
            _fits_body(source, child, inner, depth + 2)
            source.emit(depth + 2, "pass")


def _object_body(source, node, container, prefix, depth):
    for name, child in node.properties.items():
        value, key, path = source.variable(), repr(name), prefix + name
        plain = _plain_date_time(child)
        # A plain date-time has its own statements (_date_time_body), not these tests and their constants.
        failed = [] if plain else _failure_tests(source, child, value)
        nested = child.properties is not None
        item_visit = child.item_objects and _drops_nulls(child.items)
        if not (plain or failed or nested or item_visit or child.drop_null):
            continue
        source.emit(depth, f"{value} = {container}.get({key})")
        source.emit(depth, f"if {value} is not None:")
        if plain:
            _date_time_body(source, child, container, (value, key, path), depth + 1)
            if child.drop_null:
                source.emit(depth, f"elif {key} in {container}:")
                source.emit(depth + 1, f"del {container}[{key}]")
            continue
        branch = "if"
        if failed:
            source.emit(depth + 1, f"if {' or '.join(failed)}:")
            source.emit(depth + 2, f"moved = _drift(moved, {container}, {key}, {path!r}, {source.constant(child)})")
            branch = "elif"
        if child.date_time and child.items is None:
            # Loaders store date-times in columns without a zone and drop any offset: send them in UTC.
            source.emit(depth + 1, f"{branch} type({value}) is str and {value}[-1:] not in 'Zz':")
            source.emit(depth + 2, f"{container}[{key}] = UTC({value})")
            branch = "elif"
        if nested:
            source.emit(depth + 1, f"{branch} type({value}) is dict:")
            _object_body(source, child, value, path + ".", depth + 2)
            branch = "elif"
        if item_visit:
            check = source.constant(_compile(child.items, path + "[]."))
            source.emit(depth + 1, f"{branch} type({value}) is list:")
            source.emit(depth + 2, f"for item in {value}:")
            source.emit(depth + 3, f"if type(item) is dict: moved = _merge(moved, {check}(item))")
            branch = "elif"
        if branch == "if":
            source.emit(depth + 1, "pass")
        if child.drop_null:
            source.emit(depth, f"elif {key} in {container}:")
            source.emit(depth + 1, f"del {container}[{key}]")


def _failure_tests(source, node, value):
    """The tests, any of which moves a value that is not null aside."""
    if node.items is not None:
        fits = f"not {source.constant(_compile_fits(node))}({value})"
        # Most arrays are empty, and an empty list fits any schema that takes a list: no call for it.
        if node.accepted is None or list in node.accepted:
            fits = f"((type({value}) is not list or {value}) and {fits})"
        return [fits]
    failed = []
    if node.accepted is not None:
        failed.append(_refused(source, node, value, True))
    if node.date_time:
        failed.append(f"(type({value}) is str and not RFC3339({value}))")
    return failed


def _plain_date_time(node):
    """A date-time that is only ever a string (or null): checked by ciso8601 in place, not through a call."""
    return (node.date_time and node.items is None and node.properties is None and node.accepted is not None
            and node.accepted - {type(None)} == {str})


def _date_time_body(source, node, container, field, depth):
    """The check of a plain date-time in statements: the C parser is called from the generated code itself,
    as is_rfc3339() would call it, which saves a Python call on each of the nine date-times of a record."""
    value, key, path = field
    drift = f"moved = _drift(moved, {container}, {key}, {path!r}, {source.constant(node)})"
    source.emit(depth, f"if type({value}) is not str:")
    source.emit(depth + 1, drift)
    source.emit(depth, "else:")
    source.emit(depth + 1, "try:")
    # A short string slices to '', which passes here and fails in the parser.
    source.emit(depth + 2, f"if {value}[10:11] not in 'Tt': raise ValueError")
    source.emit(depth + 2, f"PARSE({value})")
    source.emit(depth + 1, "except ValueError:")
    source.emit(depth + 2, drift)
    # Loaders store date-times in columns without a zone and drop any offset: send them in UTC.
    source.emit(depth + 1, "else:")
    source.emit(depth + 2, f"if {value}[-1:] not in 'Zz': {container}[{key}] = UTC({value})")


def _drops_nulls(node):
    """Would visiting this object node leave out a null anywhere in it?"""
    return node.properties is not None and any(
        child.drop_null or _drops_nulls(child) or (child.item_objects and _drops_nulls(child.items))
        for child in node.properties.values())


def with_drift_field(schema):
    properties = dict(schema.get("properties") or {})
    properties[DRIFT_FIELD] = DRIFT_SCHEMA
    return dict(schema, properties=properties)
