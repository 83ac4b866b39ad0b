"""The org's klasses and custom attribute metadata, read through KustomerClient.get.

Discovery types `custom` blocks and names one stream per klass from this; the rows below feed the
`klasses` and `custom_attributes` streams. Reading costs the klass list's pages plus one request per
resource (customer, conversation, message, company) and one per klass.
"""
import copy
import logging
from dataclasses import dataclass
from urllib.parse import quote

import orjson

from .custom_types import attribute_type, custom_schema, klass_stream_names
from .transform import snake_case, transform_record

LOGGER = logging.getLogger("tap_kustomer")
KLASSES_PATH = "/v1/klasses"
METADATA_PATH = "/v1/metadata/"
STANDARD_RESOURCES = ("customer", "conversation", "message", "company")
KOBJECT_PREFIX = "kobject."
# The documented maximum of most GET lists; an org has a handful of klasses.
KLASS_PAGE_SIZE = 100


@dataclass(frozen=True)
class Klass:
    id: str
    name: str
    display_name: str
    status: str
    created_at: str
    resource: dict  # the klass as the API sent it

    @property
    def metadata_resource(self):
        return KOBJECT_PREFIX + self.name


@dataclass(frozen=True)
class OrgMetadata:
    klasses: tuple  # Klass, oldest first
    attributes: dict  # resource ("customer", "kobject.<klass name>") -> {attribute name: metadata}

    def properties(self, resource):
        return self.attributes.get(resource, {})

    def custom_schema(self, resource):
        return custom_schema(self.properties(resource))

    def stream_names(self):
        """{klass name: stream name}, stable across runs (custom_types.klass_stream_names)."""
        return klass_stream_names(k.name for k in self.klasses)


def read_org_metadata(client, status=None, page_size=KLASS_PAGE_SIZE):
    """Every klass (optionally only those with `status` enabled, disabled or existing_only) and the
    custom attributes of the standard resources and of each klass."""
    klasses = read_klasses(client, status, page_size)
    resources = STANDARD_RESOURCES + tuple(klass.metadata_resource for klass in klasses)
    attributes = {resource: metadata_properties(client.get(METADATA_PATH + quote(resource, safe="")))
                  for resource in resources}
    return OrgMetadata(klasses, attributes)


def read_klasses(client, status=None, page_size=KLASS_PAGE_SIZE):
    """All pages of GET /v1/klasses, oldest klass first. Stops on an empty page, on a page without
    `links.next`, or on a page that holds only klasses read already (an API that ignores `page`)."""
    params = {"pageSize": page_size}
    if status is not None:
        params["status"] = status
    found = {}
    page = 1
    while True:
        payload = client.get(KLASSES_PATH, {**params, "page": page})
        data = [item for item in _items(payload.get("data")) if isinstance(item.get("id"), str)]
        fresh = [item for item in data if item["id"] not in found]
        if data and not fresh:
            LOGGER.warning("GET %s: page %d repeats klasses already read; taking the list as complete",
                           KLASSES_PATH, page)
            break
        for item in fresh:
            klass = _klass(item)
            if klass is not None:
                found[klass.id] = klass
        if not data or not _has_next(payload, len(data), page_size):
            break
        page += 1
    # Stream names are settled oldest first, and the list's order is not documented.
    return tuple(sorted(found.values(), key=lambda k: (k.created_at or "", k.id)))


def metadata_properties(payload):
    """{attribute name: metadata} from a GET /v1/metadata/{resource} body, whose `data` may be the
    metadata object or a one-item list of it."""
    data = payload.get("data")
    if isinstance(data, list):
        data = next((item for item in data if isinstance(item, dict)), {})
    if not isinstance(data, dict):
        return {}
    attributes = data.get("attributes")
    properties = (attributes if isinstance(attributes, dict) else data).get("properties")
    if not isinstance(properties, dict):
        return {}
    return {name: meta if isinstance(meta, dict) else {} for name, meta in properties.items()}


def attribute_rows(org_metadata):
    """One row per resource and custom attribute, for the custom_attributes stream."""
    klass_of = {klass.metadata_resource: klass.name for klass in org_metadata.klasses}
    rows = []
    for resource, properties in org_metadata.attributes.items():
        for name, meta in properties.items():
            declared = meta.get("type")
            deleted_at = meta.get("deletedAt")
            rows.append({
                "id": f"{resource}/{name}", "resource": resource, "klass": klass_of.get(resource), "name": name,
                "column": snake_case(name), "attribute_type": declared if isinstance(declared, str) else "unknown",
                "json_type": attribute_type(name, meta), "display_name": meta.get("displayName"),
                "enumeration": _options(meta), "multi": meta.get("multi") is True,
                "tree": isinstance(meta.get("tree"), dict), "sensitive": meta.get("sensitive") is True,
                "deleted": bool(deleted_at or meta.get("deleted")), "deleted_at": deleted_at,
                "created_at": meta.get("createdAt"),
                "updated_at": meta.get("updatedAt") or deleted_at or meta.get("createdAt"),
            })
    return rows


def klass_rows(org_metadata):
    """One record per klass, for the klasses stream: the klass resource flattened as any record is,
    plus the name of the klass's own stream."""
    streams = org_metadata.stream_names()
    rows = []
    for klass in org_metadata.klasses:
        # transform_record rewrites lists in place; OrgMetadata outlives these rows.
        row = transform_record(copy.deepcopy(klass.resource))
        row["stream_name"] = streams[klass.name]
        rows.append(row)
    return rows


def _items(data):
    if isinstance(data, dict):
        data = [data]
    return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []


def _has_next(payload, count, page_size):
    links = payload.get("links")
    if isinstance(links, dict) and "next" in links:
        return bool(links["next"])
    # Without links, only a full page can have a successor.
    return count >= page_size


def _klass(item):
    attributes = item.get("attributes")
    attributes = attributes if isinstance(attributes, dict) else {}
    name = attributes.get("name")
    if not isinstance(name, str) or not name:
        LOGGER.warning("GET %s: klass %s has no name; it is left out", KLASSES_PATH, item["id"])
        return None
    return Klass(id=item["id"], name=name, display_name=attributes.get("displayName"),
                 status=attributes.get("status"), created_at=attributes.get("createdAt"), resource=item)


def _options(meta):
    """Enumeration values, or a tree's node values (dotted paths), as strings; None when it has neither."""
    tree = meta.get("tree")
    if isinstance(tree, dict):
        nodes = []
        _tree_values(tree.get("children"), nodes)
    elif isinstance(meta.get("enumeration"), list):
        nodes = [item.get("value") if isinstance(item, dict) else item for item in meta["enumeration"]]
    else:
        return None
    return [value if isinstance(value, str) else orjson.dumps(value).decode() for value in nodes
            if value is not None]


def _tree_values(children, out):
    for node in children if isinstance(children, list) else ():
        if isinstance(node, dict):
            out.append(node.get("value"))
            _tree_values(node.get("children"), out)
