"""The /v1 application: routing, auth, budgets, and the search / archive search / list / identity handlers.

It turns one request into an Outcome (status, headers, body, plus what the journal needs) and knows
nothing about sockets; faults are applied to the Outcome by the HTTP layer.
"""
import hashlib
import json
import math
import random
import threading
from urllib.parse import unquote, urlsplit

from . import search
from .auth import Authenticator, authorize
from .catalog import LISTS, STREAM_TYPES, read_role
from .corpus import KLASSES
from .errors import ApiError, bad_request
from .klasses import KLASSES_PATH, KlassRegistry
from .metadata import METADATA_PREFIX
from .horizon import Horizon
from .paging import link, page_params
from .ratelimit import RateLimiter
from .records import render
from .timefmt import fmt_ms, now_ms

SEARCH_PATH = "/v1/customers/search"
ARCHIVE_PATH = "/v1/customers/archive/search"
# Above this pageSize, large_page_refused turns away every page after the first.
LARGE_PAGE = 100
IDENTITY_PATHS = ("/v1/users/current", "/v1/auth/tokens/current")
JSON_TYPE = "application/json; charset=utf-8"


class Outcome:
    """One answer plus the facts the request journal records about it."""
    __slots__ = ("status", "headers", "body", "kind", "context", "page", "page_size", "ratelimited")

    def __init__(self, kind):
        self.status = 200
        self.headers = {}
        self.body = b""
        self.kind = kind
        self.context = None
        self.page = None
        self.page_size = None
        self.ratelimited = False


def _dump(payload):
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _json_body(headers, body):
    content_type = headers.get("Content-Type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise bad_request("Content-Type must be application/json")
    try:
        return json.loads(body.decode("utf-8"))
    except ValueError as exc:
        raise bad_request(f"Invalid JSON body: {exc}") from exc


class _Endpoint:
    """One search endpoint: its path, the bodies it accepts and its paging caps."""
    __slots__ = ("path", "dialect", "max_pages", "max_results", "archive")

    def __init__(self, path, dialect, caps, archive):
        self.path = path
        self.dialect = dialect
        self.max_pages, self.max_results = caps
        self.archive = archive


class Api:  # pylint: disable=too-many-instance-attributes
    # One object per run holding each piece of per-run state the handlers share.
    def __init__(self, store, options, tokens):
        self._store = store
        self._options = options
        self._auth = Authenticator(tokens, options.pod, options.wrong_pod_status)
        self._limiter = RateLimiter(options)
        self._triggers = sorted(options.mutations)
        self._searches_served = 0
        self._trigger_lock = threading.Lock()
        self._tie_rng = random.Random(f"{options.seed}:ties") if options.tie_order == "shuffle" else None
        self.klasses = KlassRegistry(store.dataset)
        self._list_rng = random.Random(f"{options.seed}:lists")
        self._lists_read = set()
        self.horizon = Horizon(options)
        caps = (search.MAX_PAGES, search.MAX_RESULTS)
        self._standard = _Endpoint(SEARCH_PATH, search.Dialect(search.CONTEXT_PATTERN, options), caps, False)
        self._archive = _Endpoint(ARCHIVE_PATH, search.Dialect(search.ARCHIVE_CONTEXT_PATTERN, options),
                                  caps if options.archive_caps == "same" else options.archive_caps, True)

    def handle(self, method, target, headers, body, faulted=False):
        """Answer a /v1 request. A faulted request is answered read-only: it triggers no mutations."""
        split = urlsplit(target)
        kind, handler = self._route(method, split.path.rstrip("/") or "/")
        outcome = Outcome(kind)
        try:
            spec = self._auth.authenticate(headers.get("Authorization"))
        except ApiError as err:
            return self._error(outcome, err, self._limiter.peek())
        refusal, limit_headers = self._limiter.admit(kind)
        if refusal:
            outcome.ratelimited = True
            return self._error(outcome, ApiError(429, "too_many_requests", refusal), limit_headers)
        try:
            payload = handler(outcome, spec, split.query, headers, body)
        except ApiError as err:
            return self._error(outcome, err, limit_headers)
        outcome.headers = {"Content-Type": JSON_TYPE, **limit_headers}
        outcome.body = _dump(payload)
        if kind in ("search", "archive") and not faulted:
            self._count_search()
        return outcome

    def classify(self, method, target):
        """The journal's `kind` for a request: search, archive, list, auth (identity) or other."""
        return self._route(method, urlsplit(target).path.rstrip("/") or "/")[0]

    def _route(self, method, path):
        fixed = {("POST", SEARCH_PATH): ("search", self._search),
                 ("POST", ARCHIVE_PATH): ("archive", self._archive_search),
                 ("GET", IDENTITY_PATHS[0]): ("auth", self._current_user),
                 ("GET", IDENTITY_PATHS[1]): ("auth", self._current_token)}
        if (method, path) in fixed:
            return fixed[method, path]
        name = path[len("/v1/"):] if path.startswith("/v1/") else None
        if method == "GET" and name in LISTS:
            return "list", lambda outcome, spec, query, _headers, _body: self._list(outcome, spec, query, name)
        if method == "GET" and (path == KLASSES_PATH or path.startswith(METADATA_PREFIX)):
            return "list", lambda outcome, spec, query, _headers, _body: self._org_schema(outcome, spec, query, path)
        return "other", self._not_found

    @staticmethod
    def _error(outcome, err, limit_headers):
        outcome.status = err.status
        outcome.headers = {"Content-Type": JSON_TYPE, **limit_headers}
        outcome.body = err.body()
        return outcome

    @staticmethod
    def _not_found(_outcome, _spec, _query, _headers, _body):
        raise ApiError(404, "not_found", "Not Found")

    def _count_search(self):
        """Fire the configured mutations whose search count has been reached."""
        with self._trigger_lock:
            self._searches_served += 1
            due = [t for t in self._triggers if t[0] <= self._searches_served]
            self._triggers = [t for t in self._triggers if t[0] > self._searches_served]
        for _, stream, count in due:
            self._store.mutate(stream, count)

    def _search(self, outcome, spec, query_string, headers, body, endpoint=None):
        endpoint = endpoint or self._standard
        document = _json_body(headers, body)
        context = document.get("queryContext") if isinstance(document, dict) else None
        outcome.context = context if isinstance(context, str) else None
        query = search.parse(document, endpoint.dialect)
        allowed = authorize(spec, "search", self._options.missing_role)
        allowed = authorize(spec, query.prefix, self._options.missing_role) and allowed
        page, page_size, _ = page_params(query_string, search.MAX_PAGE_SIZE)
        outcome.page, outcome.page_size = page, page_size
        if self._options.large_page_refused and page >= 2 and page_size > LARGE_PAGE:
            raise bad_request(f"pageSize above {LARGE_PAGE} is only allowed on page 1; page {page} asked for "
                              f"{page_size}", "/pageSize")
        window = search.page_window(page, page_size, endpoint.max_pages, endpoint.max_results)
        total, data = self._search_page(query, *window, endpoint.archive) if allowed else (0, [])
        self._store.searched()
        return self._search_envelope(endpoint, page, page_size, total, data)

    def _search_envelope(self, endpoint, page, page_size, total, data):
        cap = self._options.total_cap
        # A capped total hides how many there are; next still follows what the result cap lets through.
        shown, reachable = (total, total) if cap is None else (min(total, cap), min(total, endpoint.max_results))
        total_pages = math.ceil(shown / page_size)

        def at(number):
            return link(endpoint.path, [], number, page_size)
        return {"meta": {"pageSize": page_size, "page": page, "total": shown, "totalPages": total_pages,
                         "aggregations": {}},
                "data": data,
                "links": {"self": at(page), "first": at(1), "prev": at(page - 1) if page > 1 else None,
                          "next": at(page + 1) if page * page_size < reachable else None,
                          "last": at(max(total_pages, 1))}}

    def _archive_search(self, outcome, spec, query_string, headers, body):
        return self._search(outcome, spec, query_string, headers, body, self._archive)

    def _search_page(self, query, first, last, archive):
        """(total matches, rendered records at result positions [first, last)) on one side of the horizon."""
        stream = query.stream
        if stream is None:
            return 0, []
        standard_low, archive_high = self.horizon.bounds()
        if archive:
            query.high = min(query.high, archive_high)
        else:
            query.low = max(query.low, standard_low)
        with self._store.lock:
            matches = search.select(query, self._store.search_entries(stream),
                                    lambda id_: self._store.created(stream, id_), self._klass_of)
            rows = search.ordered_slice(matches, first, last, query.descending, self._tie_rng)
        # Rendered outside the lock: entries carry the indexed version, and seeds never change.
        return len(matches), [render(self._store.dataset, stream, self._store.record(stream, id_), updated, rev)
                              for updated, id_, rev in rows]

    def _klass_of(self, id_):
        return KLASSES[self._store.record("kobjects", id_).seed % len(KLASSES)]

    def _list(self, outcome, spec, query_string, name):
        allowed = authorize(spec, name, self._options.missing_role)
        outcome.context = name
        listing = LISTS[name]
        page, page_size, extra = page_params(query_string, listing.max_page_size)
        outcome.page, outcome.page_size = page, page_size
        start = (page - 1) * page_size
        rows, count = [], 0
        if allowed:
            rows = self._store.page(listing.stream, start, start + page_size, self._options.list_order,
                                    self._list_rng)
            count = self._store.count(listing.stream)
        path = f"/v1/{name}"

        def at(number):
            return link(path, extra, number, page_size)
        meta = {"pageSize": page_size, "page": page}
        links = {"self": at(page), "first": at(1), "prev": at(page - 1) if page > 1 else None,
                 "next": at(page + 1) if start + page_size < count else None}
        if listing.reports_total:
            meta.update(total=count, totalPages=math.ceil(count / page_size))
            links["last"] = at(max(1, meta["totalPages"]))
        data = [render(self._store.dataset, listing.stream, record, updated, rev) for record, updated, rev in rows]
        if page == 1 and allowed:
            self._first_page_served(name, listing.stream)
        return {"meta": meta, "data": data, "links": links}

    def _org_schema(self, outcome, spec, query_string, path):
        """`GET /v1/klasses` and `GET /v1/metadata/{resource}`, which both need the metadata role."""
        authorize(spec, "metadata")
        if path == KLASSES_PATH:
            outcome.context = "klasses"
            outcome.page, outcome.page_size, payload = self.klasses.listing(query_string)
            return payload
        resource = unquote(path[len(METADATA_PREFIX):])
        outcome.context = f"metadata/{resource}"
        return self.klasses.metadata(resource)
    def _first_page_served(self, name, stream):
        """list_hard_deletes: records vanish once a reader has started on a list, never again for it."""
        with self._trigger_lock:
            first = name not in self._lists_read
            self._lists_read.add(name)
        if first and self._options.list_hard_deletes:
            self._store.delete(stream, min(self._options.list_hard_deletes, self._store.count(stream)))

    def _current_user(self, _outcome, _spec, _query, _headers, _body):
        user = self._store.record("users", self._store.dataset.api_user_id)
        return {"data": render(self._store.dataset, "users", user, user.updated, user.rev)}

    def _current_token(self, _outcome, spec, _query, headers, _body):
        token = headers.get("Authorization", "").partition(" ")[2]
        roles = [] if "search" in spec.denied else ["org.permission.search.create"]
        roles += [read_role(name) for name, singular in STREAM_TYPES.items()
                  if not {name, singular} & spec.denied]
        roles += [] if "metadata" in spec.denied else ["org.permission.metadata.read"]
        created = self._store.dataset.anchor_ms - 90 * 86_400_000
        attributes = {"lastTokenChars": token[-4:], "name": "tap-kustomer export", "ipAddress": None,
                      "userAgent": headers.get("User-Agent"), "roles": roles, "updatedAt": fmt_ms(created),
                      "createdAt": fmt_ms(created), "lastAccessedAt": fmt_ms(now_ms())}
        return {"data": {"type": "auth_token", "id": hashlib.sha256(token.encode()).hexdigest()[:24],
                         "attributes": attributes}}
