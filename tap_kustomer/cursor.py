"""How to walk a search context without losing, repeating or looping: pure logic, no I/O.

The walk asks for one query at a time and is told what came back. It covers [lower, end): the first
query reaches to the end, later ones cover windows from where its first page ended. Inside a window
it pages by keyset: every request is page 1 of `updated_at >= cursor`, where the
cursor is the last timestamp seen and the ids already emitted at that timestamp are skipped. That way
records that move (updated mid-sync) or appear late never shift an offset under us, and the 100-page /
10,000-result caps come into play only inside a tie.

Keyset paging stalls only when one timestamp holds more records than a page. Then the walk pages that
single timestamp by offset (`updated_at == T`), checks that it saw as many distinct ids as the search
reports, walks again if the tie order shifted between pages, and carries on strictly after T.
"""
from dataclasses import dataclass, field
from datetime import timedelta

from .errors import WalkError

DEFAULT_RESULT_CAP = 10_000
# Kustomer refuses a search page past the 100th whatever the page size.
PAGE_CAP = 100
# A tie walked this many times without finding a new id is not going to complete.
MAX_IDLE_TIE_PASSES = 8
MAX_WINDOW = timedelta(days=3650)


@dataclass(frozen=True)
class SearchQuery:
    lower: object
    lower_inclusive: bool
    upper: object
    upper_inclusive: bool
    page: int


@dataclass(frozen=True)
class SearchPage:
    ids: list
    timestamps: list
    total: int = None
    has_next: bool = None
    page_size: int = None


def page_has_more(page, page_number, requested_size):
    """Is there a page after this one? Prefer links.next, then meta.total, then a full page."""
    if page.has_next is not None:
        return page.has_next
    size = page.page_size or requested_size
    if page.total is not None:
        return page_number * size < page.total
    return len(page.ids) >= size


class TieWalk:
    """Offset paging over one timestamp, repeated until every id the search counts has been confirmed.

    `seen` holds the ids already emitted at this timestamp (never emitted twice). `confirmed` holds
    the ids the search returned since the group last changed size: records leave a tie when they are
    updated (and reappear later in the walk at their new timestamp), so only ids returned after the
    last change prove that the ids still in the group have all been read.
    """

    def __init__(self, moment, seen, page_size, result_cap):
        self.moment = moment
        self.seen = seen
        self.page_size = page_size
        self.last_page = max(min(result_cap // page_size, PAGE_CAP), 1)
        self.page = 1
        self.confirmed = set()
        self.total = None
        self.grown_in_pass = 0
        self.idle_passes = 0
        self.done = False

    def query(self):
        return SearchQuery(self.moment, True, self.moment, True, self.page)

    def accept(self, page):
        if page.total is not None and page.total != self.total:
            self.total = page.total
            self.confirmed = set()
        if self.total is not None and self.total > self.last_page * self.page_size:
            raise WalkError(f"{self.total} records share updatedAt {self.moment.isoformat()}, more than "
                            f"one search can return ({self.last_page * self.page_size}); cannot read them "
                            f"all without loss")
        fresh = []
        before = len(self.confirmed)
        for index, (record_id, stamp) in enumerate(zip(page.ids, page.timestamps)):
            if stamp != self.moment:
                continue
            self.confirmed.add(record_id)
            if record_id not in self.seen:
                self.seen.add(record_id)
                fresh.append(index)
        self.grown_in_pass += len(self.confirmed) - before
        if page.ids and page_has_more(page, self.page, self.page_size) and self.page < self.last_page:
            self.page += 1
            return fresh
        self._end_pass()
        return fresh

    def _end_pass(self):
        if self.total is None or len(self.confirmed) >= self.total:
            self.done = True
            return
        # Fewer ids confirmed than the search counts: the tie order moved between pages. Walk again.
        self.idle_passes = self.idle_passes + 1 if self.grown_in_pass == 0 else 0
        if self.idle_passes >= MAX_IDLE_TIE_PASSES:
            raise WalkError(f"search reports {self.total} records at updatedAt {self.moment.isoformat()} "
                            f"but only {len(self.confirmed)} could be read after repeated passes")
        self.grown_in_pass = 0
        self.page = 1


@dataclass(frozen=True)
class WalkLimits:
    """What a walk is given and never changes: where it ends, what is settled, the page and result caps."""
    end: object
    settled: object  # before this moment the index has caught up with every update
    page_size: int
    result_cap: int = DEFAULT_RESULT_CAP


@dataclass
class Window:
    """The closed-open span of updatedAt the current query covers, and how many requests it has taken."""
    lower: object
    upper: object
    size: timedelta
    requests: int = 0


@dataclass
class Cursor:
    """Where keyset paging goes on from: the timestamp, whether it is included, the ids read there."""
    moment: object
    inclusive: bool = True
    seen: set = field(default_factory=set)


# The walk's modes. OPENING: the first query, which reaches to the end. WINDOW: keyset pages inside a
# window. TIE: offset pages over one timestamp that more records share than a page holds. DONE: finished.
OPENING, WINDOW, TIE, DONE = "opening", "window", "tie", "done"


class SearchWalk:
    """Plans the queries for one search stream over [lower, end) and dedupes what they return."""

    def __init__(self, lower, end, window_days, page_size, result_cap=DEFAULT_RESULT_CAP, settled=None):
        self.limits = WalkLimits(end, end if settled is None else settled, page_size, result_cap)
        # Nothing is known yet of where the records lie (a start_date may be years before the first), so the
        # first query reaches to the end; windows begin where its first page ended.
        self.window = Window(lower, end, timedelta(days=window_days))
        self.cursor = Cursor(lower)
        self.tie = None
        self.checkpoint = lower
        self.mode = OPENING if lower < end else DONE

    @property
    def finished(self):
        return self.mode == DONE

    def check_invariants(self):
        """What holds between any two requests; the tests call it after every page."""
        limits, window, cursor = self.limits, self.window, self.cursor
        assert self.mode in (OPENING, WINDOW, TIE, DONE), self.mode
        assert (self.mode == TIE) == (self.tie is not None), (self.mode, self.tie)
        assert self.checkpoint <= cursor.moment or self.mode == DONE, (self.checkpoint, cursor.moment)
        if self.mode == DONE:
            assert self.checkpoint >= limits.end or window.lower >= limits.end, self.checkpoint
            return
        assert window.lower <= cursor.moment < window.upper <= limits.end, (window, cursor.moment)
        assert cursor.inclusive or not cursor.seen, "ids are kept only for an included cursor moment"
        if self.mode == TIE:
            assert self.tie.moment == cursor.moment and self.tie.seen is cursor.seen

    def next_query(self):
        if self.mode == DONE:
            return None
        if self.mode == TIE:
            return self.tie.query()
        return SearchQuery(self.cursor.moment, self.cursor.inclusive, self.window.upper, False, 1)

    def accept(self, page):
        """Take the page the last query returned; return the indexes of records to emit, in order."""
        if self.mode == TIE:
            fresh = self.tie.accept(page)
            if self.tie.done:
                self._leave_tie()
            return fresh
        self.window.requests += 1
        fresh = [index for index, (record_id, stamp) in enumerate(zip(page.ids, page.timestamps))
                 if self._is_new(record_id, stamp)]
        if not page.ids or not page_has_more(page, 1, self.limits.page_size):
            self._next_window(empty=not page.ids)
            return fresh
        last = self._next_cursor(page.timestamps)
        if last > self.cursor.moment:
            self.cursor = Cursor(last, True, {record_id for record_id, stamp in zip(page.ids, page.timestamps)
                                              if stamp == last})
            self.checkpoint = last
            if self.mode == OPENING:
                self._first_window(page)
            else:
                self._widen_if_short(page)
        else:
            self.cursor.seen.update(page.ids[index] for index in fresh)
            self.tie = TieWalk(last, self.cursor.seen, self.limits.page_size, self.limits.result_cap)
            self.mode = TIE
        return fresh

    def _next_cursor(self, stamps):
        """Where keyset paging goes on from. The page is in index order, but a search may show a version
        newer than the index holds (updated within the index lag), whose stamp is later than its place:
        moving the cursor there would jump over records the index holds in between. Such a stamp is never
        settled, so the cursor moves to the last settled stamp in range, and past the settled moment only
        once a page holds nothing before it."""
        in_range = [stamp for stamp in stamps if self.cursor.moment <= stamp < self.window.upper]
        if not in_range:
            # A full page matched by its index places, every record showing a later version: nothing on it
            # says where the next page starts. The last STATE stays valid, and the index catches up.
            raise WalkError("a full search page shows only versions newer than the index places them "
                            "(updated in the last minutes); run again from the last STATE shortly")
        settled = [stamp for stamp in in_range if stamp < self.limits.settled]
        return (settled or in_range)[-1]

    def _first_window(self, page):
        """After the opening page, windows of the configured size, unless the rest fits in one page."""
        self.mode = WINDOW
        left = None if page.total is None else page.total - len(page.ids) + len(self.cursor.seen)
        if left is None or left >= self.limits.page_size:
            self.window = Window(self.cursor.moment, min(self.cursor.moment + self.window.size, self.limits.end),
                                 self.window.size)

    def _widen_if_short(self, page):
        """Widen the window before its last page would come back part-empty.

        The search counts what the query matched, so the records left in the window are known: the rest
        of the count, plus those at the cursor that the next query asks for again. Fewer than a page
        left means a short page, and a short page per window is most of the requests above the ideal.
        Keyset paging never goes deep, so a wider window costs nothing.
        """
        if page.total is None or page.total >= self.limits.result_cap:
            return
        left = page.total - len(page.ids) + len(self.cursor.seen)
        window = self.window
        if left < self.limits.page_size and window.upper < self.limits.end:
            window.upper = min(window.upper + window.size, self.limits.end)
            window.size = min(window.size * 2, MAX_WINDOW)

    def _is_new(self, record_id, stamp):
        cursor = self.cursor
        if stamp > cursor.moment:
            return stamp < self.window.upper
        if stamp < cursor.moment or not cursor.inclusive:
            return False
        return record_id not in cursor.seen

    def _leave_tie(self):
        # Everything at the tie's timestamp is out; continue strictly after it.
        self.cursor = Cursor(self.tie.moment, False)
        self.checkpoint = self.tie.moment
        self.tie = None
        self.mode = WINDOW

    def _next_window(self, empty):
        window, end = self.window, self.limits.end
        if window.requests <= 1 and window.size < MAX_WINDOW:
            # A window answered by one page was sparse; widening saves a request per quiet span.
            window.size *= 2
        self.checkpoint = window.upper
        if window.upper >= end:
            self.mode = DONE
            return
        # An empty window says nothing about where the records start (a start_date years before the
        # org's first record): ask for the rest at once, since the page size bounds the answer anyway.
        upper = end if empty else min(window.upper + window.size, end)
        self.window = Window(window.upper, upper, window.size)
        self.cursor = Cursor(window.upper)
        if self.mode == OPENING:
            self.mode = WINDOW
