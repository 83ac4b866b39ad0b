"""JSON schemas for custom attributes and stream names for klasses, from the org's metadata.

Pure functions: org_metadata.py reads what they take. A custom attribute's type is told twice: by its
metadata `type` and by its name's suffix (`orderNumberStr`, `placedAt`). The metadata wins where both
are known; the suffix serves where the metadata says nothing; where neither is known the schema accepts
anything, so a value is never refused because of a type the tap cannot tell.
"""
import hashlib
import re

from .transform import snake_case

# Kustomer names a custom attribute after its type; no suffix ends another, so their order is free.
SUFFIX_TYPES = (("Bool", "boolean"), ("Tree", "string"), ("Str", "string"), ("Txt", "string"),
                ("Num", "number"), ("Url", "string"), ("At", "date-time"), ("Id", "string"))
# Metadata `type` values, lower-cased, to the JSON type they carry.
METADATA_TYPES = {
    "string": "string", "str": "string", "text": "string", "txt": "string", "url": "string", "id": "string",
    "tree": "string", "email": "string", "phone": "string",
    "number": "number", "num": "number", "integer": "number", "float": "number", "decimal": "number",
    "boolean": "boolean", "bool": "boolean",
    "date": "date-time", "datetime": "date-time", "date-time": "date-time", "date_time": "date-time",
    "timestamp": "date-time", "at": "date-time",
}
KLASS_STREAM_PREFIX = "kobjects_"
_NOT_NAME = re.compile(r"[^a-z0-9]+")


def suffix_type(name):
    """The JSON type a name's suffix stands for (`boolean`, `string`, `number`, `date-time`), or None."""
    for suffix, kind in SUFFIX_TYPES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return kind
    return None


def metadata_type(meta):
    """The JSON type the metadata declares, None when it declares none, "unknown" for a type we do not know."""
    declared = meta.get("type") if isinstance(meta, dict) else None
    if not isinstance(declared, str) or not declared.strip():
        return None
    return METADATA_TYPES.get(declared.strip().lower(), "unknown")


def attribute_type(name, meta):
    """What a custom attribute holds: the metadata's type, else the suffix's; "unknown" when neither says."""
    return metadata_type(meta) or suffix_type(name) or "unknown"


def attribute_schema(name, meta):
    """The JSON schema of one custom attribute's value. Every type admits null; `multi` makes it an array.

    A sensitive attribute can arrive masked ("****"), so it also admits a string, and a masked date-time
    loses its format. An unknown type is `{}`: anything goes.
    """
    meta = meta if isinstance(meta, dict) else {}
    kind = attribute_type(name, meta)
    if kind == "unknown":
        item = {}
    elif kind == "date-time":
        item = {"type": ["null", "string"]} if meta.get("sensitive") else \
            {"type": ["null", "string"], "format": "date-time"}
    else:
        types = ["null", kind]
        if meta.get("sensitive") and kind != "string":
            types.append("string")
        item = {"type": types}
    if meta.get("multi") is True:
        return {"type": ["null", "array"], "items": item}
    return item


def custom_schema(properties):
    """The schema of a record's `custom` block from metadata `properties` ({attribute name: metadata}).

    Keys are snake_cased the way transform_record converts the record's keys. Deleted attributes stay
    declared: records written before the deletion still carry them. Two names that snake_case alike
    (`orderNumberStr`, `order_number_str`) share one key; if their schemas differ, that key takes anything.
    Attributes created after discovery arrive too (`additionalProperties`).
    """
    declared = {}
    for name, meta in (properties or {}).items():
        key = snake_case(name)
        schema = attribute_schema(name, meta)
        declared[key] = schema if declared.get(key, schema) == schema else {}
    return {"type": ["null", "object"], "properties": declared, "additionalProperties": True}


def klass_stream_name(klass_name):
    """`kobjects_<name>`: the klass name snake_cased, then every run of characters other than ASCII
    letters and digits made one `_` (`ecomm-order` → `kobjects_ecomm_order`, `ShopifyOrder` →
    `kobjects_shopify_order`). A name with no ASCII letter or digit at all is named by its hash.

    Different names can map to one stream name; klass_stream_names settles that.
    """
    slug = _NOT_NAME.sub("_", snake_case(klass_name)).strip("_")
    return KLASS_STREAM_PREFIX + (slug or _short_hash(klass_name))


def klass_stream_names(klass_names):
    """{klass name: stream name} for klasses given oldest first.

    The oldest klass keeps the plain klass_stream_name; a later klass whose name maps to a name already
    taken gets `_<8 hex of sha256(klass name)>` appended. A klass's name never changes and a newer klass
    never displaces an older one, so a stream keeps its name from run to run.
    """
    names = {}
    taken = set()
    for klass_name in klass_names:
        if klass_name in names:
            continue
        stream = klass_stream_name(klass_name)
        if stream in taken:
            stream = f"{stream}_{_short_hash(klass_name)}"
        # Only a klass named to look like a hashed name can collide still; a counter settles that.
        base, count = stream, 1
        while stream in taken:
            count += 1
            stream = f"{base}_{count}"
        taken.add(stream)
        names[klass_name] = stream
    return names


def _short_hash(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]
