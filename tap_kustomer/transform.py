"""Flatten Kustomer JSON:API resources into snake_case records.

``transform_record`` runs on every record of syncs with millions of records, so
the hot path is tuned for CPython: key conversions are memoised in module-level
dicts, containers are walked with exact type tests, leaf values are reused and
lists are rewritten in place instead of being copied.
"""
# JSON decoders only ever produce exact dict/list/str instances, and in the hot
# loop ``type(x) is dict`` is measurably cheaper than isinstance().
# pylint: disable=unidiomatic-typecheck
import re

# Top-level names an attribute cannot keep. ``sla`` is renamed even when the
# conversation has no ``sla`` relationship, so the column name never depends
# on whether the relationship happens to be present. ``id``, ``type`` and
# ``links`` belong to the resource object itself and must not be overwritten.
_ATTRIBUTE_RENAMES = {
    "sla": "sla_data",
    "id": "id_attribute",
    "type": "type_attribute",
    "links": "links_attribute",
}
_RELATIONSHIP_SUFFIX = "_relationship"
_RECIPIENT_FIELDS = ("to", "cc", "bcc")

_SEPARATORS = re.compile(r"\W+")
# The plural "s" of an acronym (``IDs``, ``URLs``) belongs to the acronym, not
# to a new word.
_ACRONYM_PLURAL = re.compile(r"([A-Z]{2,})s(?=[A-Z0-9_]|$)")
_ACRONYM_END = re.compile(r"([A-Z]+)([A-Z][a-z])")
# Any letter or digit that is not an ASCII capital ends a word before a capital,
# so ``größeStr`` and ``名前Str`` split like ``sizeStr``.
_WORD_START = re.compile(r"([^\W_A-Z])([A-Z])")

# Objects keyed by data rather than by schema (maps keyed by ids or channel
# names) could otherwise grow the caches without bound; past the limit names
# are still converted, just no longer remembered.
_CACHE_LIMIT = 50_000
_KEYS = {}
_ATTRIBUTE_KEYS = {}


def snake_case(name: str) -> str:
    """Convert a camelCase, PascalCase, kebab-case or dotted name to snake_case.

    ``externalID`` -> ``external_id``, ``HTMLBody`` -> ``html_body``,
    ``address2Line`` -> ``address2_line``, ``userIDs`` -> ``user_ids``,
    ``shopify-orders`` -> ``shopify_orders``. Each run of characters that are
    not letters, digits or ``_`` becomes a single ``_``; existing underscores
    are kept so that names such as ``_id`` and ``id`` stay distinct.
    """
    text = _SEPARATORS.sub("_", name)
    text = _ACRONYM_PLURAL.sub(r"\1S", text)
    text = _ACRONYM_END.sub(r"\1_\2", text)
    return _WORD_START.sub(r"\1_\2", text).lower()


def _key(name):
    converted = snake_case(name)
    if len(_KEYS) < _CACHE_LIMIT:
        _KEYS[name] = converted
    return converted


def _attribute_key(name):
    converted = snake_case(name)
    converted = _ATTRIBUTE_RENAMES.get(converted, converted)
    if len(_ATTRIBUTE_KEYS) < _CACHE_LIMIT:
        _ATTRIBUTE_KEYS[name] = converted
    return converted


def _convert_dict(source):
    keys = _KEYS
    result = {}
    for name, value in source.items():
        kind = type(value)
        if kind is dict:
            value = _convert_dict(value)
        elif kind is list and value:
            value = _convert_list(value)
        try:
            result[keys[name]] = value
        except KeyError:
            result[_key(name)] = value
    return result


def _convert_list(items):
    # Rewriting the caller's list in place keeps lists of ids, by far the most
    # common list, free of any allocation.
    for index, value in enumerate(items):
        kind = type(value)
        if kind is dict:
            items[index] = _convert_dict(value)
        elif kind is list:
            items[index] = _convert_list(value)
    return items


def _as_recipient(value):
    return {"email": value} if type(value) is str else value


def _normalize_recipients(meta):
    """Make ``to``/``cc``/``bcc`` of a message meta a list of objects.

    Kustomer sends a list of ``{email}`` objects, a single object or a bare
    string (sms, voice and whatsapp put phone numbers there); without
    ``anyOf`` a schema can describe only one of those shapes.
    """
    for field in _RECIPIENT_FIELDS:
        value = meta.get(field)
        kind = type(value)
        if kind is list:
            if any(type(item) is str for item in value):
                meta[field] = [_as_recipient(item) for item in value]
        elif kind is dict:
            meta[field] = [value]
        elif kind is str:
            meta[field] = [{"email": value}] if value else []


def _add_attributes(record, attributes):
    keys = _ATTRIBUTE_KEYS
    for name, value in attributes.items():
        kind = type(value)
        if kind is dict:
            value = _convert_dict(value)
            # Conversations embed messages (firstMessageIn, lastMessageOut...)
            # whose meta has the same polymorphic recipients as a message.
            meta = value.get("meta")
            if type(meta) is dict:
                _normalize_recipients(meta)
        elif kind is list and value:
            value = _convert_list(value)
        try:
            record[keys[name]] = value
        except KeyError:
            record[_attribute_key(name)] = value
    meta = record.get("meta")
    if type(meta) is dict:
        _normalize_recipients(meta)


def _add_relationships(record, relationships):
    for name, relationship in relationships.items():
        # Only ``data`` carries a value; ``links``/``link``/``meta`` are
        # navigation and a links-only relationship has nothing to store.
        if type(relationship) is not dict or "data" not in relationship:
            continue
        data = relationship["data"]
        kind = type(data)
        if kind is dict:
            # Nearly every relationship is a plain {type, id}, whose keys are snake_case already.
            if len(data) != 2 or "id" not in data or "type" not in data:
                data = _convert_dict(data)
        elif kind is list:
            data = _convert_list(data)
        try:
            key = _KEYS[name]
        except KeyError:
            key = _key(name)
        # ``links`` is added after the relationships, hence the explicit check.
        if key in record or key == "links":
            key += _RELATIONSHIP_SUFFIX
        record[key] = data


def transform_record(resource: dict) -> dict:
    """Flatten one JSON:API resource into a snake_case record.

    ``{"type", "id", "attributes", "relationships", "links"}`` becomes
    ``{"id", "type", <attributes>, <relationship data>, "links"}`` with every
    key snake_cased at every depth. Values are reused, not copied: the input
    must not be used afterwards (its nested lists are rewritten in place).
    """
    record = {"id": resource.get("id"), "type": resource.get("type")}
    attributes = resource.get("attributes")
    if attributes:
        _add_attributes(record, attributes)
    relationships = resource.get("relationships")
    if relationships:
        _add_relationships(record, relationships)
    links = resource.get("links")
    if links is not None:
        record["links"] = _convert_dict(links) if type(links) is dict else links
    return record
