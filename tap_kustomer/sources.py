"""Sources: each one way of reading a stream's records, yielding pages of (resources, checkpoint).

A source knows its endpoint, its queries and its paging, and nothing of Singer. The stream table
(streams.py) says which source a stream reads and what falls back to what; Sync runs them all alike.

Search sees only records updated in the past two years; archive search sees only those older. A
search stream whose range starts before that horizon reads it in two spans:
  standard [edge - margin, end)     everything the standard index may still hold;
  archive  [start, end)             the old records, once the standard span is done, with the same keyset
                                    walk, to the archive's own end (edge = now - 730 days).
Records only ever move from the standard index to the archive as the clock runs (an update moves a
record past the run's end instead), so any record near the edge is either still in the standard index
when the standard span reads its place, or already in the archive when the archive span reads it
afterwards. Reading the archive last is what lets one span cover the band at the edge: read first, it
would need another archive request after the standard span for the records that crossed meanwhile.
Reading it to its end, not to where the tap's clock puts the edge, keeps that true however far the edge
moves during the run; where the edge is as documented, the archive holds nothing past it, and the walk
ends on the same page. The margin covers a horizon of 729 to 731 days, clock skew and an index that holds
a record in both; a start just inside the horizon reads the archive from there too.
Until the archive span is done, the checkpoint carries where it is owed from (and the ids read there), so
a resumed run goes on with it where it stopped.
"""
import logging
import math
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Iterator, List, Optional, Protocol

from .cursor import SEARCH_PAGE_MAX, SearchPage, SearchWalk
from .errors import BadRequest, TapError, WalkError
from .org_metadata import attribute_rows, read_klasses, read_org_metadata
from .timeutil import format_timestamp, parse_timestamp

LOGGER = logging.getLogger("tap_kustomer")
STANDARD_SEARCH_PATH = "/v1/customers/search"
ARCHIVE_SEARCH_PATH = "/v1/customers/archive/search"
HORIZON = timedelta(days=730)
HORIZON_MARGIN = timedelta(days=1)
# A list whose order keeps changing between pages is given up on, loudly, after this many passes.
MAX_LIST_PASSES = 6


@dataclass(frozen=True)
class ReadRange:
    """What one stream's run asks of its source."""
    stream: str  # the stream's name, for the lines a source logs
    start: object  # the bookmark, or start_date: read records updated from here
    end: object  # up to here, exclusive: the run's signpost, or end_date
    settled: object  # the index has caught up with every update before this moment
    now: object  # the run's clock, which places the search horizon
    page_size: int  # as configured; each endpoint clamps it to its own maximum
    archive_owed: object = None  # the archive span an earlier run still owes, from this moment
    seen: tuple = ()  # ids at `seen_at` (the bookmark) that an earlier run already read
    seen_at: object = None
    archive_seen: tuple = ()  # ids at `archive_owed` that an earlier run's archive span already read
    read_to: object = None  # an earlier run read both indexes whole up to here

    @property
    def horizon_high(self):
        """At and above this, records are in the standard index: the top of the band both spans look at."""
        return self.now - HORIZON + HORIZON_MARGIN

    @property
    def unread_from(self):
        """Where the part of the range no earlier run read whole begins: the start, or past `read_to`. A
        record reaches the archive only by ageing there, so an earlier run that read both indexes whole read
        it wherever it was then."""
        return self.start if self.read_to is None else max(self.start, self.read_to)

    @property
    def horizon_low(self):
        """Below this, records are in the archive: the start of the band both spans look at."""
        return self.now - HORIZON - HORIZON_MARGIN

    def covered_to(self, checkpoint):
        """The moment as far past `start` as the share of [start, end) read by `checkpoint`: the spans are not
        read in updatedAt order, so progress counts what the archive span still owes apart."""
        left = max(self.end - checkpoint.moment, timedelta(0))
        if checkpoint.archive_owed is not None:
            archive_end = min(self.end, self.horizon_high)
            left += max(archive_end - checkpoint.archive_owed, timedelta(0))
        return self.end - left


@dataclass(frozen=True)
class Checkpoint:
    moment: object  # every record updated before it has been read
    archive_owed: object = None  # the archive span is still to be read from this moment
    seen: frozenset = frozenset()  # ids at `moment` already read (a run stopped inside a tie)
    archive_seen: frozenset = frozenset()  # ids at `archive_owed` the archive span already read
    read_to: object = None  # set when the read ended whole: both indexes were read up to here


@dataclass(frozen=True)
class Page:
    resources: list
    checkpoint: Checkpoint  # None: no safe place to resume from yet (an unsorted list mid-way)
    span: str  # which span's request read it: "standard", "archive", "list"; None once done
    skipped: tuple = ()  # (id, reason) of records that cannot be placed in the sort order


@dataclass(frozen=True)
class Estimate:
    """--check's view of one span: what it holds and what reading it costs."""
    span: str
    source: str
    records: int  # None when the endpoint does not say
    requests: int  # None when it cannot be foreseen


class Source(Protocol):
    """What every way of reading a stream offers: its pages, and --check's estimate of them."""

    def read(self, client, reading: ReadRange) -> Iterator[Page]:
        ...

    def estimate(self, client, reading: ReadRange) -> List[Estimate]:
        ...

    def out_of_reach(self, client, reading: ReadRange) -> Optional[str]:
        """A line on records in the range that this source cannot read, or None."""


def updated_at(resource):
    attributes = resource.get("attributes")
    value = attributes.get("updatedAt") if isinstance(attributes, dict) else None
    return parse_timestamp(value)


def stamped(data):
    """([(resource, its updatedAt)], ((id, reason) of those that cannot be placed in updatedAt order))."""
    placed, skipped = [], []
    for resource in data:
        try:
            placed.append((resource, updated_at(resource)))
        except (ValueError, TypeError, AttributeError):
            skipped.append((resource.get("id") if isinstance(resource, dict) else None, "no readable updatedAt"))
    return placed, tuple(skipped)


def _links_next(payload):
    links = payload.get("links")
    if isinstance(links, dict) and "next" in links:
        return bool(links["next"])
    return None


def _meta(payload, key):
    meta = payload.get("meta")
    value = meta.get(key) if isinstance(meta, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _data(payload, what):
    data = payload.get("data")
    if not isinstance(data, list):
        raise WalkError(f"{what} answered without a data list")
    return data


def search_body(context, field, lower, exact=False):
    """Records updated at or after `lower` (exactly at it, with `exact`), oldest first. One criterion: see
    cursor.py on why there is no upper bound."""
    return {"and": [{field: {"equals" if exact else "gte": format_timestamp(lower)}}], "sort": [{field: "asc"}],
            "queryContext": context}


class FieldChoice:
    """The names an updated-at criterion may go by, best guess first; the first one the API accepts stays.

    Inside a klass context (`kobject_<klass>`) Kustomer may call it `kobject_updated_at` or
    `kobject_<klass>_updated_at`: the docs do not say which, and a 400 on the first request says it. The
    form one klass's search took (the index of its name) is tried first by the next klass's."""

    def __init__(self, names):
        self.names = list(names)
        self.forms = tuple(self.names)
        self.settled = len(self.names) == 1

    @property
    def name(self):
        return self.names[0]

    @property
    def form(self):
        return self.forms.index(self.names[0])

    def prefer(self, form):
        """Ask by the name at `form` first, when nothing was asked yet."""
        if not self.settled and form is not None and len(self.names) == len(self.forms):
            self.names.insert(0, self.names.pop(form))

    def refused(self, exc):
        """Move on to the next name after a 400, or raise it when no name is left or one already worked."""
        if self.settled:
            raise exc
        LOGGER.info("search refused %s (%s); trying %s", self.names[0], exc.detail, self.names[1])
        self.names.pop(0)
        self.settled = len(self.names) == 1


class SearchSpan:
    """A keyset walk of one search endpoint over [lower, upper), page by page.

    `resume`: (ids, moment) an earlier run already read at `moment`, skipped if the walk meets them again."""

    def __init__(self, span, path, context, bounds, reading, field=None, resume=((), None)):
        self.span, self.path, self.context = span, path, context
        self.lower, self.upper = bounds
        self.reading = reading  # the ReadRange
        self.resume = resume
        self.page_size = max(1, min(reading.page_size, SEARCH_PAGE_MAX))
        self.field = field or FieldChoice([f"{context}_updated_at"])
        self.complete = True  # False once a walk stopped at a tie it could not prove whole

    @property
    def first_place(self):
        """(lower, the ids an earlier run read there): where this span goes on from before its first page."""
        ids, moment = self.resume
        return self.lower, frozenset(ids) if moment == self.lower else frozenset()

    def _count_key(self, lower, exact):
        return "search total", self.path, self.context, self.field.name, lower, exact

    def search(self, client, lower, page, page_size, exact=False):
        """One search request of records updated at or after `lower` (exactly at it, with `exact`)."""
        form_key = ("criterion form", self.path)
        self.field.prefer(client.known.get(form_key))
        while True:
            body = search_body(self.context, self.field.name, lower, exact)
            try:
                payload = client.request("POST", self.path, "search", params={"page": page, "pageSize": page_size},
                                         body=body)
            except BadRequest as exc:
                self.field.refused(exc)
                continue
            self.field.settled = True
            if len(self.field.forms) > 1:
                client.known[form_key] = self.field.form
            if page == 1:
                client.known[self._count_key(lower, exact)] = _meta(payload, "total")
            return payload

    def pages(self, client):
        """Yield (resources to emit, the walk's checkpoint, skipped) per request."""
        if self.lower >= self.upper:
            return
        seen, seen_at = self.resume
        walk = SearchWalk(self.lower, self.upper, self.page_size, settled=self.reading.settled, seen=seen,
                          seen_at=seen_at)
        while (query := walk.next_query()) is not None:
            try:
                payload = self.search(client, query.lower, query.page, query.page_size, query.exact)
            except BadRequest:
                if walk.refused():
                    LOGGER.info("%s: search refused page %d of a tie at pageSize %d; asking again as %s",
                                self.context, query.page, query.page_size, walk.next_query())
                    continue
                raise
            placed, skipped = stamped(_data(payload, f"{self.span} search for {self.context}"))
            page = SearchPage([resource.get("id") for resource, _ in placed], [stamp for _, stamp in placed],
                              total=_meta(payload, "total"), has_next=_links_next(payload),
                              page_size=_meta(payload, "pageSize"))
            fresh = walk.accept(page)
            self.complete = walk.complete
            yield [placed[index][0] for index in fresh], walk.checkpoint, skipped

    def estimate(self, client):
        if self.lower >= self.upper:
            return Estimate(self.span, self.path, 0, 0)
        # A count this run's pages already gave (another stream's span over the same query) costs nothing.
        key = self._count_key(self.lower, False)
        total = client.known[key] if key in client.known else _meta(self.search(client, self.lower, 1, 1), "total")
        requests = None if total is None else math.ceil(total / self.page_size)
        return Estimate(self.span, f"POST {self.path}", total, requests)


@dataclass(frozen=True)
class Searched:
    """A search context, read across the horizon: the standard span, then the archive span."""
    context: str
    archive: bool = True  # does archive search know this context?
    holder: str = None  # without archive search: the context whose records hold this one's (notes: conversation)
    klass: str = None  # a klass's own context: the klass must still exist when the stream is read

    def _check_klass(self, client, stream_name):
        if self.klass is None:
            return
        # One read of the klass list serves every klass stream of the run.
        if "klass names" not in client.known:
            client.known["klass names"] = {klass.name for klass in read_klasses(client)}
        if self.klass not in client.known["klass names"]:
            raise TapError(f"stream {stream_name}: klass {self.klass!r} is no longer in the org (GET /v1/klasses); "
                           f"run --discover again and deselect the stream")

    def field_names(self):
        """The names the updated-at criterion may have in this context, the likelier first."""
        if self.context.startswith("kobject_"):
            return ("kobject_updated_at", f"{self.context}_updated_at")
        return (f"{self.context}_updated_at",)

    def spans(self, reading):
        """The spans this run reads, in order."""
        low, end, start = reading.horizon_low, reading.end, reading.start
        # One choice per endpoint: what one search accepts says nothing of what the other does.
        choices = {path: FieldChoice(self.field_names()) for path in (STANDARD_SEARCH_PATH, ARCHIVE_SEARCH_PATH)}
        resume = (reading.seen, reading.seen_at)
        if not self.archive:
            return [SearchSpan("standard", STANDARD_SEARCH_PATH, self.context, (start, end), reading,
                               choices[STANDARD_SEARCH_PATH], resume)]
        standard = SearchSpan("standard", STANDARD_SEARCH_PATH, self.context, (max(start, low), end), reading,
                              choices[STANDARD_SEARCH_PATH], resume)
        # An end_date before the horizon leaves the standard span empty: the archive span is then the range.
        spans = [standard] if standard.lower < standard.upper or reading.archive_owed is not None else []
        # What may be in the archive: a start before the horizon's upper bound that no earlier run read past,
        # or a span an earlier run owes.
        owed = [(reading.unread_from, resume)] if reading.unread_from < reading.horizon_high else []
        if reading.archive_owed is not None:
            owed.append((reading.archive_owed, (reading.archive_seen, reading.archive_owed)))
        if owed:
            lower, archive_resume = min(owed, key=lambda item: item[0])
            spans.append(SearchSpan("archive", ARCHIVE_SEARCH_PATH, self.context, (lower, end),
                                    reading, choices[ARCHIVE_SEARCH_PATH], archive_resume))
        return spans or [standard]

    def read(self, client, reading):
        self._check_klass(client, reading.stream)
        spans = self.spans(reading)
        gap = self.out_of_reach(client, reading)
        if gap:
            LOGGER.warning("%s", gap)
        # The archive span reads behind the bookmark, so the bookmark stays where the standard span left it;
        # until the archive span is done, every checkpoint says where it is owed from.
        moment, seen = reading.start, frozenset(reading.seen) if reading.seen_at == reading.start else frozenset()
        # An archive span read alone is the range itself: the bookmark follows it, as it follows search.
        archive = next((span for span in spans[1:] if span.span == "archive"), None)
        owed = archive.first_place if archive is not None else (None, frozenset())
        for span in spans:
            for resources, place, skipped in span.pages(client):
                if span is archive:
                    owed = place
                else:
                    moment, seen = place
                yield Page(resources, Checkpoint(moment, owed[0], seen, owed[1]), span.span, skipped)
        if archive is not None and not archive.complete:
            # An archive span stopped at a tie it could not prove whole stays owed from there, with its ids.
            final = Checkpoint(moment, owed[0], seen, owed[1])
        elif archive is not None and archive.upper < reading.horizon_high:
            # An end_date short of the archive's end: what lies past it stays owed, for when it is lifted.
            still_owed = owed if archive.lower >= archive.upper else (archive.upper, frozenset())
            final = Checkpoint(moment, still_owed[0], seen, still_owed[1])
        else:
            whole = all(span.complete for span in spans)
            final = Checkpoint(moment, None, seen, read_to=min(reading.settled, reading.end) if whole else None)
        yield Page([], final, None)

    def estimate(self, client, reading):
        return [span.estimate(client) for span in self.spans(reading)]

    def out_of_reach(self, client, reading):
        """One line on the records past the horizon that no search can read, with what reaching them one
        holder at a time would cost; None when there are none."""
        # As for the archive span: past what an earlier run read whole, nothing past the horizon is unread.
        if self.archive or reading.unread_from >= reading.horizon_high:
            return None
        archive = next((span for span in Searched(self.holder).spans(reading) if span.span == "archive"), None)
        holders = None if archive is None else archive.estimate(client).records
        held = "?" if holders is None else f"{holders:,}"
        edge = format_timestamp(reading.horizon_low + HORIZON_MARGIN)
        # An old note can sit on a conversation updated since (reopened, say): every conversation created
        # before the edge may hold one, and the archived ones, which one count gives, are only the least.
        return (f"{self.context} records last updated before {edge} are past search's two-year horizon, and "
                f"archive search has no {self.context} context: they are not synced. Reaching them would take one "
                f"request per {self.holder} created before then: at least {held}, the {self.holder}s last "
                f"updated before it (see README, Coverage)")


@dataclass(frozen=True)
class Listed:
    """A paged GET list: it cannot be filtered or sorted by updatedAt, so it is read whole each run."""
    path: str
    page_max: int

    def page_size(self, reading):
        return max(1, min(reading.page_size, self.page_max))

    def payloads(self, client, page_size):
        """Each page's payload, following links.next (or a full page) to the end."""
        page, previous_first = 1, None
        while True:
            payload = client.get(self.path, {"page": page, "pageSize": page_size})
            data = _data(payload, f"GET {self.path}")
            yield payload, data
            more = _links_next(payload)
            if more is None:
                more = len(data) >= (_meta(payload, "pageSize") or page_size)
            if not data or not more:
                return
            first = data[0].get("id") if isinstance(data[0], dict) else None
            if first is not None and first == previous_first:
                raise WalkError(f"GET {self.path} returned the same page twice (page {page}); stopping "
                                f"instead of looping")
            previous_first = first
            page += 1

    def read(self, client, reading):
        """Emit what changed in [start, end); the checkpoint is the newest of it, given once the list is done,
        since a mid-way bookmark of an unsorted list could hide records not yet read.

        Offsets are only as good as the list's order: a record deleted during the read shifts the rest one
        place back, past a page boundary unread, and an order that changes between requests shows some
        records twice and others never. So a list of more than one page is read again, until a pass finds
        no record it had not seen, shows none twice and shows the same records as the pass before it; each
        pass costs the list's pages once more."""
        newest, known, before = None, set(), None
        for passes in range(1, MAX_LIST_PASSES + 1):
            pages, found, repeated, in_pass = 0, 0, False, set()
            for _, data in self.payloads(client, self.page_size(reading)):
                pages += 1
                placed, skipped = stamped(data)
                keep = []
                for resource, stamp in placed:
                    record_id = resource.get("id")
                    repeated = repeated or record_id in in_pass
                    in_pass.add(record_id)
                    if record_id in known:
                        continue
                    known.add(record_id)
                    found += 1
                    if reading.start <= stamp < reading.end:
                        keep.append(resource)
                        newest = stamp if newest is None or stamp > newest else newest
                yield Page(keep, None, "list", skipped if passes == 1 else ())
            # Two passes that show the same records, each once, agree on what the list holds.
            if pages == 1 or (not found and not repeated and in_pass == before):
                yield Page([], None if newest is None else Checkpoint(newest), None)
                return
            before = in_pass
        raise WalkError(f"GET {self.path} still shows records it had not shown, or the same record twice, after "
                        f"{MAX_LIST_PASSES} passes: its order changes between pages, and it cannot be read whole")

    def estimate(self, client, reading):
        payload = client.get(self.path, {"page": 1, "pageSize": 1})
        total = _meta(payload, "total")
        requests = None if total is None else max(1, math.ceil(total / self.page_size(reading)))
        return [Estimate("list", f"GET {self.path}", total, requests)]

    def out_of_reach(self, _client, _reading):
        return None


@dataclass(frozen=True)
class OrgAttributes:
    """The custom attribute metadata of every resource and klass: one record per attribute, read whole
    each run (one request per resource and klass), in the shape of an API resource."""
    kind: str = "custom_attribute"

    def read(self, client, reading):
        rows = attribute_rows(read_org_metadata(client))
        yield Page([{"type": self.kind, "id": row["id"], "attributes": {k: v for k, v in row.items() if k != "id"}}
                    for row in rows], None, "list")
        yield Page([], Checkpoint(reading.end), None)

    def estimate(self, _client, _reading):
        return [Estimate("list", "GET /v1/klasses and /v1/metadata/{resource}", None, None)]

    def out_of_reach(self, _client, _reading):
        return None


@dataclass(frozen=True)
class WithFallback:
    """The primary source, or the fallback once the primary's query is refused (HTTP 400).

    The fallback reads the whole range again, so what the primary read before the refusal costs only
    duplicates, never a gap; the checkpoints the primary gave stay true.
    """
    primary: Source
    fallback: Source
    name: str

    def read(self, client, reading):
        try:
            yield from self.primary.read(client, reading)
        except BadRequest as exc:
            LOGGER.warning("%s: %s; reading %s instead", self.name, exc.detail or exc, self._fallback_label())
            # What the primary still owed behind the bookmark (its archive span) is the fallback's to read too.
            if reading.archive_owed is not None and reading.archive_owed < reading.start:
                reading = replace(reading, start=reading.archive_owed)
            yield from self.fallback.read(client, reading)

    def estimate(self, client, reading):
        try:
            return self.primary.estimate(client, reading)
        except BadRequest:
            return self.fallback.estimate(client, reading)

    def out_of_reach(self, client, reading):
        return self.primary.out_of_reach(client, reading)

    def _fallback_label(self):
        return f"GET {self.fallback.path}" if isinstance(self.fallback, Listed) else "the fallback"


def source_of(stream):
    """The source a stream is read from, with its fallback wrapped around it."""
    if stream.fallback is None:
        return stream.source
    return WithFallback(stream.source, stream.fallback, stream.name)
