"""Keys the schema does not declare yet are declared before the first record that carries them.

A loader keeps only what the SCHEMA declares: a new top-level field is dropped, and with flattening on so
is a new key inside an object that lists its properties (only an object without properties stays one JSON
value, whatever it holds). So before such a record goes out, the stream's schema gains the key, typed from
its value and nullable, and the tap sends the SCHEMA again.

The check runs on every record, so it is cheap: per object, one C-level comparison of the record's key set
with the declared names (a frozenset), in one straight-line function generated from the schema (no call
per nested object), and it only goes down into objects and arrays of objects whose schema lists
properties. Only a record that has an undeclared key is walked again to find which.
"""
from .conform import is_rfc3339
from .names import FLATTEN_DEPTH, PG_NAME_BYTES, SEPARATOR

# pylint: disable=unidiomatic-typecheck
# orjson builds exact types, and bool must not pass for integer.


_SCALARS = {bool: "boolean", int: "integer", float: "number"}


def infer(value):
    """A nullable schema for `value`, or None for a null, which says nothing about the type."""
    kind = type(value)
    if kind is str:
        return ({"type": ["null", "string"], "format": "date-time"} if is_rfc3339(value)
                else {"type": ["null", "string"]})
    if kind is dict:
        properties = {}
        for name, item in value.items():
            sub = infer(item)
            if sub is not None:
                properties[name] = sub
        return {"type": ["null", "object"], "properties": properties, "additionalProperties": True}
    if kind is list:
        first = next((item for item in value if item is not None), None)
        return {"type": ["null", "array"], "items": infer(first) or {}}
    return {"type": ["null", _SCALARS[kind]]} if kind in _SCALARS else None


class _Node:
    """The declared names of one object schema, and the children worth visiting."""

    __slots__ = ("schema", "names", "objects", "arrays")

    def __init__(self, schema):
        self.schema = schema
        properties = schema["properties"]
        self.names = frozenset(properties)
        self.objects = tuple((name, _Node(sub)) for name, sub in properties.items() if _listed(sub))
        self.arrays = tuple((name, _Node(sub["items"])) for name, sub in properties.items()
                            if isinstance(sub.get("items"), dict) and _listed(sub["items"]))


def _listed(schema):
    return isinstance(schema.get("properties"), dict) and "object" in (schema.get("type") or ())


class SchemaGrowth:
    """Declares undeclared keys of transformed records in a copy of a stream's schema.

    `fields`, when not None, are the top-level fields the stream emits (the catalog's selection): a new
    top-level key is not among them, so it is left undeclared, as the record will not carry it.
    `rename`, from names.renamer(), first gives the record the schema's names where they differ.
    """

    def __init__(self, schema, fields=None, rename=None):
        self.schema = schema
        self.fields = fields
        self.rename = rename
        self.skipped = set()
        self._root = _Node(schema)
        self._undeclared = _compile_undeclared(self._root)

    def __call__(self, record):
        """[(dotted path, schema)] of the keys declared for this record; [] when it had none to declare.

        A null says nothing of a key's type: the key waits for a value. A key whose column would pass
        PostgreSQL's 63 bytes after flattening is not declared (the loader would fail on it): it stays
        in its parent's JSON where the parent is one column, and `skipped` names it."""
        if self.rename is not None:
            self.rename(record)
        if not self._undeclared(record):
            return []
        found = []
        _missing(self._root, record, (), found)
        if not found:
            return found
        added, declared = [], set()
        for path, value in found:
            sub = infer(value)
            if sub is None or path in declared or (self.fields is not None and len(path) == 1):
                continue
            dotted = ".".join(path).replace(".[]", "[]")
            if dotted in self.skipped:
                continue
            if _column_bytes(path) > PG_NAME_BYTES:
                self.skipped.add(dotted)
                continue
            self.schema = _with_property(self.schema, path, sub)
            declared.add(path)
            added.append((dotted, sub))
        if added:
            self._root = _Node(self.schema)
            self._undeclared = _compile_undeclared(self._root)
        return added


def _column_bytes(path):
    """Length of the column a flattening loader makes for `path`: it stops at an array and at the depth."""
    parts = path[:path.index("[]")] if "[]" in path else path
    return len(SEPARATOR.join(parts[:FLATTEN_DEPTH + 1]).encode("utf-8"))


def _with_property(schema, path, sub):
    """A copy of `schema` with `sub` declared at `path` (property names, `[]` for an array's items); the
    schema passed in, which a Conformer or a Selection may share, is left as it was."""
    head, rest = path[0], path[1:]
    properties = dict(schema["properties"])
    if not rest:
        properties[head] = sub
    elif rest[0] == "[]":
        properties[head] = dict(properties[head], items=_with_property(properties[head]["items"], rest[1:], sub))
    else:
        properties[head] = _with_property(properties[head], rest, sub)
    return dict(schema, properties=properties)


def _missing(node, value, path, found):
    """Appends (path, value) for each undeclared key under `node`; `[]` in a path stands for an item."""
    names = node.names
    if not value.keys() <= names:
        found.extend((path + (name,), item) for name, item in value.items() if name not in names)
    for name, child in node.objects:
        item = value.get(name)
        if type(item) is dict:
            _missing(child, item, path + (name,), found)
    for name, child in node.arrays:
        items = value.get(name)
        if type(items) is list:
            for item in items:
                if type(item) is dict:
                    _missing(child, item, path + (name, "[]"), found)


def _compile_undeclared(root):
    """undeclared(record): True when any object _missing() would visit has a key its schema does not name."""
    lines, names = ["def undeclared(v0):"], {}

    def constant(value):
        names[f"k{len(names)}"] = value
        return f"k{len(names) - 1}"

    def body(node, value, depth):
        pad = "    " * depth
        lines.append(f"{pad}if not {constant(node.names)}.issuperset({value}): return True")
        for index, (name, child) in enumerate(node.objects):
            inner = f"{value}o{index}"
            lines.append(f"{pad}{inner} = {value}.get({name!r})")
            lines.append(f"{pad}if type({inner}) is dict:")
            body(child, inner, depth + 1)
        for index, (name, child) in enumerate(node.arrays):
            items, item = f"{value}a{index}", f"{value}i{index}"
            lines.append(f"{pad}{items} = {value}.get({name!r})")
            lines.append(f"{pad}if type({items}) is list:")
            lines.append(f"{pad}    for {item} in {items}:")
            lines.append(f"{pad}        if type({item}) is dict:")
            body(child, item, depth + 3)

    body(root, "v0", 1)
    lines.append("    return False")
    # Property names reach the text only through repr(), so any name stays a string literal.
    exec(compile("\n".join(lines), "<undeclared keys>", "exec"), names)  # pylint: disable=exec-used
    return names["undeclared"]
