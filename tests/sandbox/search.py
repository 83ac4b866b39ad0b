"""POST /v1/customers/search and /v1/customers/archive/search: body validation (the OpenAPI schema is
additionalProperties:false), the criteria grammar, and evaluation against a context's sorted index.

Supported attributes per context: `<ctx>_updated_at` / `<ctx>_created_at` (datetime operators
equals/gte/gt/lte/lt/in) and `<ctx>_id` (equals/in); a `kobject_<klass>` context names its updated-at
`kobject_updated_at` and/or `kobject_<klass>_updated_at` (SimOptions.klass_updated_at). Anything else is
a 400, as the real API answers for attributes it does not know. Sorting is by updated-at only; like the
real API, only the first sort key has an effect. Without `sort`, results come newest first. Archive
search takes the same body but fewer contexts (no `note`, `work_item`, ...).
"""
import json
import operator
import re
from bisect import bisect_left
from datetime import timezone
from itertools import groupby

from .catalog import SEARCH_STREAMS
from .errors import bad_request
from .timefmt import parse_criterion, zone

CONTEXT_PATTERN = re.compile(
    r"^(company|customer|message|conversation|conversation_time|note|kobject|kobject_.*|work_session|work_item)$")
ARCHIVE_CONTEXT_PATTERN = re.compile(r"^(message|conversation|customer|kobject|kobject_.*|company)$")
BODY_KEYS = ("queryContext", "and", "or", "not", "sort", "timeZone", "includeDeleted", "searchHash", "aggs",
             "fields")
DATETIME_OPS = ("equals", "gte", "gt", "lte", "lt", "in")
ID_OPS = ("equals", "in")
MAX_PAGE_SIZE = 500
MAX_PAGES = 100
MAX_RESULTS = 10_000
_NEVER = 1 << 62
_OPS = {"equals": operator.eq, "in": lambda actual, values: actual in values, "gte": operator.ge,
        "gt": operator.gt, "lte": operator.le, "lt": operator.lt}
_SLOTS = {"updated": 0, "created": 1, "id": 2}


class Criterion:
    """One `{attribute: {op: value}}` test on field "updated", "created" or "id"."""
    __slots__ = ("field", "op", "value", "_slot", "_check")

    def __init__(self, field, op, value):
        self.field = field
        self.op = op
        self.value = value
        self._slot = _SLOTS[field]
        self._check = _OPS[op]

    def test(self, row):
        """row: (updated_ms, created_ms, id)."""
        return self._check(row[self._slot], self.value)


class Dialect:
    """What one search endpoint accepts: its contexts, plus the options deciding the UNCERTAIN parts."""
    __slots__ = ("context_pattern", "company_updated_at", "klass_updated_at", "bound_semantics")

    def __init__(self, context_pattern, options):
        self.context_pattern = context_pattern
        self.company_updated_at = options.company_updated_at_supported
        self.klass_updated_at = options.klass_updated_at
        self.bound_semantics = options.bound_semantics


class Query:
    def __init__(self, context, prefix, stream, klass):
        self.context = context
        self.prefix = prefix
        self.stream = stream
        self.klass = klass
        self.low = -_NEVER
        self.high = _NEVER
        self.must = []
        self.any_of = []
        self.none_of = []
        self.descending = True


def parse(body, dialect):
    """A validated Query, or ApiError(400) naming the offending part of the body."""
    if not isinstance(body, dict):
        raise bad_request("Request body must be a JSON object")
    for key in body:
        if key not in BODY_KEYS:
            raise bad_request(f"should NOT have additional properties: '{key}'", f"/{key}")
    context = body.get("queryContext")
    pattern = dialect.context_pattern
    if not isinstance(context, str) or not pattern.match(context):
        raise bad_request(f"queryContext should match pattern \"{pattern.pattern}\"", "/queryContext")
    tz = _time_zone(body)
    _check_types(body)
    prefix = "kobject" if context.startswith("kobject") else context
    attributes = _attributes(context, prefix, dialect)
    # Pattern-valid contexts the simulator holds no data for (work_item, ...) search an empty index.
    query = Query(context, prefix, SEARCH_STREAMS.get(prefix),
                  context[len("kobject_"):] if context.startswith("kobject_") else None)
    for _, criteria in _bounds(_groups(body.get("and"), "/and", attributes, tz), dialect.bound_semantics):
        for criterion in criteria:
            _narrow(query, criterion)
    query.any_of = [_flat(_groups(item, f"/or/{i}", attributes, tz)) for i, item in enumerate(_as_list(body.get("or")))]
    query.none_of = [_flat(_groups(item, f"/not/{i}", attributes, tz))
                     for i, item in enumerate(_as_list(body.get("not")))]
    sort = [_sort_key(item, i, attributes) for i, item in enumerate(_as_list(body.get("sort")))]
    if sort:
        if attributes[sort[0][0]] != "updated":
            raise bad_request(f"Sorting by '{sort[0][0]}' is not supported", "/sort/0")
        # Later keys are validated but, as in the real API, have no effect.
        query.descending = sort[0][1] == "desc"
    return query


def _attributes(context, prefix, dialect):
    """attribute name -> field ("updated", "created" or "id") for one context."""
    updated = [f"{prefix}_updated_at"]
    if context.startswith("kobject_"):
        prefixed = f"{context}_updated_at"
        updated = {"generic": updated, "prefixed": [prefixed], "both": [*updated, prefixed]}[dialect.klass_updated_at]
    if prefix == "company" and not dialect.company_updated_at:
        updated = []
    return {**dict.fromkeys(updated, "updated"), f"{prefix}_created_at": "created", f"{prefix}_id": "id"}


def _bounds(groups, semantics):
    """The `and` criteria that count: all of them ("intersect"), or per field only the first or the last."""
    groups = list(groups)
    if semantics == "intersect":
        return groups
    chosen = {}
    for field, criteria in groups:
        if semantics == "last" or field not in chosen:
            chosen[field] = (field, criteria)
    return list(chosen.values())


def _flat(groups):
    return [criterion for _, criteria in groups for criterion in criteria]


def _time_zone(body):
    """Zone that bare `YYYY-MM-DD` criteria are local to (GMT unless the body says otherwise)."""
    if "timeZone" not in body:
        return timezone.utc
    try:
        if not isinstance(body["timeZone"], str):
            raise ValueError("timeZone should be string")
        return zone(body["timeZone"])
    except ValueError as exc:
        raise bad_request(str(exc), "/timeZone") from exc


def _check_types(body):
    for key, limit in (("and", 20), ("or", 20), ("not", 20), ("sort", 5)):
        value = body.get(key)
        if value is None:
            continue
        items = value if isinstance(value, list) else [value]
        if not isinstance(value, (list, dict)) or not all(isinstance(i, dict) for i in items):
            raise bad_request(f"{key} should be object or array of objects", f"/{key}")
        if len(items) > limit:
            raise bad_request(f"{key} should NOT have more than {limit} items", f"/{key}")
        if len({json.dumps(i, sort_keys=True) for i in items}) != len(items):
            raise bad_request(f"{key} should NOT have duplicate items", f"/{key}")
    for key, kind in (("includeDeleted", bool), ("searchHash", str), ("aggs", dict), ("fields", list)):
        if key in body and not isinstance(body[key], kind):
            raise bad_request(f"{key} should be {kind.__name__}", f"/{key}")
    if len(body.get("fields") or []) > 20:
        raise bad_request("fields should NOT have more than 20 items", "/fields")


def _as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _groups(value, pointer, attributes, tz):
    """(field, [criteria]) per `{attribute: {op: value, ...}}` entry of an object or array of objects."""
    if isinstance(value, dict):
        yield from _item_groups(value, pointer, attributes, tz)
        return
    for i, item in enumerate(_as_list(value)):
        yield from _item_groups(item, f"{pointer}/{i}", attributes, tz)


def _item_groups(item, pointer, attributes, tz):
    for attribute, ops in item.items():
        where = f"{pointer}/{attribute}"
        field = attributes.get(attribute)
        if field is None:
            raise bad_request(f"Unknown search attribute '{attribute}'", where)
        if not isinstance(ops, dict) or not ops:
            raise bad_request(f"{attribute} should be an object of operator: value", where)
        allowed = ID_OPS if field == "id" else DATETIME_OPS
        for op in ops:
            if op not in allowed:
                raise bad_request(f"Operator '{op}' is not valid for attribute '{attribute}'", f"{where}/{op}")
        yield field, [Criterion(field, op, _value(field, op, raw, f"{where}/{op}", tz)) for op, raw in ops.items()]


def _value(field, op, raw, pointer, tz):
    if op == "in" and not isinstance(raw, list):
        raise bad_request("'in' expects an array", pointer)
    try:
        if field == "id":
            values = raw if op == "in" else [raw]
            if not all(isinstance(v, str) for v in values):
                raise ValueError("ids are strings")
            return set(raw) if op == "in" else raw
        if op == "in":
            return {parse_criterion(v, tz) for v in raw}
        return parse_criterion(raw, tz)
    except ValueError as exc:
        raise bad_request(f"Invalid value: {exc}", pointer) from exc


def _narrow(query, criterion):
    """Top-level `and` ranges on updatedAt become bisect bounds [low, high); everything else filters."""
    if criterion.field != "updated" or criterion.op == "in":
        query.must.append(criterion)
        return
    value = criterion.value
    if criterion.op in ("gte", "equals"):
        query.low = max(query.low, value)
    if criterion.op == "gt":
        query.low = max(query.low, value + 1)
    if criterion.op in ("lte", "equals"):
        query.high = min(query.high, value + 1)
    if criterion.op == "lt":
        query.high = min(query.high, value)


def _sort_key(item, index, attributes):
    if len(item) != 1:
        raise bad_request("sort items should have exactly one property", f"/sort/{index}")
    attribute, direction = next(iter(item.items()))
    if attribute not in attributes:
        raise bad_request(f"Unknown sort attribute '{attribute}'", f"/sort/{index}")
    if direction not in ("asc", "desc"):
        raise bad_request("sort direction should be 'asc' or 'desc'", f"/sort/{index}/{attribute}")
    return attribute, direction


def select(query, entries, created_of, klass_of):
    """Matching index entries in ascending (updatedAt, id) order; callers hold the store lock."""
    low = bisect_left(entries, (query.low,))
    high = bisect_left(entries, (query.high,))
    matches = entries[low:high]
    if not (query.must or query.any_of or query.none_of or query.klass):
        return matches
    return [entry for entry in matches if _keep(query, entry, created_of, klass_of)]


def _keep(query, entry, created_of, klass_of):
    updated, id_, _ = entry
    if query.klass is not None and klass_of(id_) != query.klass:
        return False
    row = (updated, created_of(id_), id_)
    if not all(c.test(row) for c in query.must):
        return False
    if query.any_of and not any(all(c.test(row) for c in item) for item in query.any_of):
        return False
    return not any(all(c.test(row) for c in item) for item in query.none_of)


def page_window(page, page_size, max_pages=MAX_PAGES, max_results=MAX_RESULTS):
    """[first, last) result positions a page may show, or a 400 past the page / result caps."""
    first = (page - 1) * page_size
    if page > max_pages or first >= max_results:
        raise bad_request(f"Search results are limited to {max_pages} pages and {max_results} results; page "
                          f"{page} with pageSize {page_size} is beyond that. Narrow the query with a range on "
                          f"updated_at and start again from page 1.", "/page")
    return first, min(first + page_size, max_results)


def ordered_slice(matches, first, last, descending, rng=None):
    """Result positions [first, last) of `matches` (ascending) in the requested direction.

    With `rng`, records sharing an updatedAt are reshuffled for this request, including the part of a
    tie that falls on neighbouring pages: clients cannot page through a tie and expect consistency.
    """
    total = len(matches)
    last = min(last, total)
    if first >= last:
        return []
    if descending:
        first, last = total - last, total - first
    if rng is None:
        chosen = matches[first:last]
    else:
        lo, hi = first, last
        while lo > 0 and matches[lo - 1][0] == matches[first][0]:
            lo -= 1
        while hi < total and matches[hi][0] == matches[last - 1][0]:
            hi += 1
        block = []
        for _, group in groupby(matches[lo:hi], key=lambda entry: entry[0]):
            group = list(group)
            rng.shuffle(group)
            block.extend(group)
        chosen = block[first - lo:last - lo]
    return chosen[::-1] if descending else chosen
