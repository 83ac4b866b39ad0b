"""Column names that fit PostgreSQL: 63 bytes, after a loader flattens nested objects to depth 3.

target-postgres (and any Meltano SDK target) with flattening on names a nested value by joining its path
with `__`. PostgreSQL cuts identifiers at 63 bytes, and the target then looks the full name up, misses it,
and adds the column again: `DuplicateColumn`, even when the cut names stay distinct. So every such name
must fit whole. Where a path is too long, the tap renames one property on it, by the rule in short_name(),
and the bundled schemas declare the short name. RENAMES records each rename so that records follow.
"""
import hashlib

PG_NAME_BYTES = 63
SEPARATOR = "__"
FLATTEN_DEPTH = 3
_VOWELS = frozenset("aeiou")

# {stream: {snake_case name as transform_record makes it: name in the schema}}, from shorten() on the
# schema as it would be; tests/unit/test_names.py holds the two together.
RENAMES = {
    "conversations": {"last_message_unresponded_to_since_last_done": "lst_mssg_unrspndd_t_snc_lst_dn"},
}


def column_names(schema, depth=FLATTEN_DEPTH):
    """(path, column name) for every column a loader flattening to `depth` makes of this schema."""
    return list(_columns(schema, depth, (), 0))


def _columns(schema, depth, parents, level):
    for name, sub in (schema.get("properties") or {}).items():
        path = parents + (name,)
        if level < depth and _is_flattened(sub):
            yield from _columns(sub, depth, path, level + 1)
        else:
            yield path, SEPARATOR.join(path)


def _is_flattened(sub):
    # Loaders flatten only objects that declare properties; an open object stays one JSON column.
    kind = sub.get("type") or ()
    return "object" in kind and "properties" in sub


def short_name(name, budget):
    """`name` in at most `budget` bytes: each word keeps its first letter and its consonants
    (`last_message_unresponded` → `lst_mssg_unrspndd`); if that is still too long, it is cut and ends
    in `_` and six hex digits of the SHA-1 of the full name, so two cut names never meet."""
    short = "_".join(word[:1] + "".join(c for c in word[1:] if c not in _VOWELS) for word in name.split("_"))
    if len(short.encode("utf-8")) <= budget:
        return short
    tag = "_" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:6]
    return short.encode("utf-8")[:max(1, budget - len(tag))].decode("utf-8", "ignore") + tag


def shorten(schema, depth=FLATTEN_DEPTH):
    """(schema, {path: new name}): while a column name is too long, the longest property on its path
    (the outermost of equals) is renamed by short_name(), just short enough for that column to fit."""
    schema = _copy(schema)
    renames = {}
    while True:
        long_paths = [path for path, name in column_names(schema, depth)
                      if len(name.encode("utf-8")) > PG_NAME_BYTES]
        if not long_paths:
            return schema, renames
        path = long_paths[0]
        index = max(range(len(path)), key=lambda i: (len(path[i].encode("utf-8")), -i))
        excess = len(SEPARATOR.join(path).encode("utf-8")) - PG_NAME_BYTES
        old = path[index]
        new = short_name(old, len(old.encode("utf-8")) - excess)
        parent = _node(schema, path[:index])
        parent["properties"] = {new if key == old else key: value for key, value in parent["properties"].items()}
        renames[path[:index + 1]] = new


def _copy(schema):
    if isinstance(schema, dict):
        return {key: _copy(value) for key, value in schema.items()}
    if isinstance(schema, list):
        return [_copy(value) for value in schema]
    return schema


def _node(schema, path):
    for name in path:
        schema = schema["properties"][name]
    return schema


def renamer(stream):
    """A function that renames a record's keys in place to the schema's names, or None where none differ."""
    renames = RENAMES.get(stream)
    if not renames:
        return None
    pairs = tuple(renames.items())

    def rename(record):
        for old, new in pairs:
            if old in record:
                record[new] = record.pop(old)
    return rename
