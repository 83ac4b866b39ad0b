"""Read pages from the API for one stream: the envelope, links and timestamps; nothing about Singer."""
import logging

from .cursor import SearchPage
from .errors import WalkError
from .timeutil import format_timestamp, parse_timestamp

LOGGER = logging.getLogger("tap_kustomer")


def search_body(context, query):
    field = f"{context}_updated_at"
    lower = {"gte" if query.lower_inclusive else "gt": format_timestamp(query.lower)}
    upper = {"lte" if query.upper_inclusive else "lt": format_timestamp(query.upper)}
    return {
        "and": [{field: lower}, {field: upper}],
        "sort": [{field: "asc"}],
        "queryContext": context,
    }


def _links_next(payload):
    links = payload.get("links")
    if isinstance(links, dict) and "next" in links:
        return bool(links["next"])
    return None


def _meta(payload, key):
    meta = payload.get("meta")
    value = meta.get(key) if isinstance(meta, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def updated_at(resource):
    attributes = resource.get("attributes")
    value = attributes.get("updatedAt") if isinstance(attributes, dict) else None
    return parse_timestamp(value)


class SearchPages:
    """Runs a SearchWalk against the API; yields (resources to emit, checkpoint) per page."""

    def __init__(self, client, context, walk, page_size):
        self.client = client
        self.context = context
        self.walk = walk
        self.page_size = page_size
        self.skipped = []  # (id, reason) of records that cannot be placed in the sort order

    def __iter__(self):
        while (query := self.walk.next_query()) is not None:
            payload = self.client.search(search_body(self.context, query), query.page, self.page_size)
            data = payload.get("data")
            if data is None or not isinstance(data, list):
                raise WalkError(f"search for {self.context} answered without a data list")
            placed, ids, stamps = [], [], []
            for resource in data:
                try:
                    stamp = updated_at(resource)
                except (ValueError, TypeError, AttributeError):
                    self.skipped.append((resource.get("id") if isinstance(resource, dict) else None,
                                         "no readable updatedAt"))
                    continue
                placed.append(resource)
                ids.append(resource.get("id"))
                stamps.append(stamp)
            page = SearchPage(ids, stamps, total=_meta(payload, "total"), has_next=_links_next(payload),
                              page_size=_meta(payload, "pageSize"))
            yield [placed[index] for index in self.walk.accept(page)], self.walk.checkpoint


def list_pages(client, path, page_size):
    """Yield each page's payload of a paged GET list, following links.next (or a full page) to the end."""
    page, previous_first = 1, None
    while True:
        payload = client.get(path, {"page": page, "pageSize": page_size})
        data = payload.get("data")
        if not isinstance(data, list):
            raise WalkError(f"GET {path} answered without a data list")
        yield payload
        more = _links_next(payload)
        if more is None:
            more = len(data) >= (_meta(payload, "pageSize") or page_size)
        if not data or not more:
            return
        first = data[0].get("id") if isinstance(data[0], dict) else None
        if first is not None and first == previous_first:
            raise WalkError(f"GET {path} returned the same page twice (page {page}); stopping instead of looping")
        previous_first = first
        page += 1
