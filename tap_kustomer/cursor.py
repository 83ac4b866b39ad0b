"""How to walk a search context without losing, repeating or looping: pure logic, no I/O.

The walk asks for one query at a time and is told what came back. It covers [lower, end) by keyset:
every request is page 1 of `updated_at >= cursor` sorted ascending, where the cursor is the last
timestamp read and the ids already emitted at it are skipped. Records that move (updated mid-sync) or
appear late never shift an offset under it, and the 100-page / 10,000-result caps matter only in a tie.

Each query carries one criterion, a lower bound, and no upper bound: whether the API intersects two
criteria on one attribute is not documented (it may keep only the first or the last), and a single
lower bound means the same in every world. Records at or past `end` are not emitted; the first settled
one ends the walk, since everything placed before it has been read.

Keyset paging stalls only when one timestamp T holds more records than a page. Then the walk pages
`updated_at == T` by offset (TieWalk), checks the ids read against the tie's size, pages it again if
its order shifted or a member left it, and carries on just after T. The last page of a pass asks
`updated_at >= T` at the same offset: the tie's tail, then what follows it, so that page is not half
empty; where the tie ends on it tells whether the tie kept the size its count gave. A tie's first
`equals` page does not ask again what the keyset page that found the tie showed: it starts 20 places
before that page's end, and finding those 20 ids again in their places shows that the places before
still hold what the keyset page showed. A tie's count is trusted only below a larger one the walk was
given (counts may be capped); without one, a pass proves the tie whole by ending where the pass before
it ended, with that end shown on one page.
"""
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from .errors import WalkError

DEFAULT_RESULT_CAP = 10_000
# Kustomer refuses a search page past the 100th whatever the page size.
PAGE_CAP = 100
# A tie walked this many times without finding a new id is not going to complete. In a new order per request
# a pass can miss a member by chance: with pages of 2 and a tie of 16, a third of passes miss a given one,
# so 8 idle passes came by chance once in 5,000 such ties (found by the property test); 10 once in 40,000 or so.
MAX_IDLE_TIE_PASSES = 10
# A tie whose members keep leaving it is walked at most this many times in one run. Above the idle limit, so
# that a tie that can never complete (a member counted but never returned) stops the run, not every run at T
# in silence.
MAX_TIE_PASSES = 12
# A tie's first `equals` page shows again this many of the last ids the keyset page that found it showed,
# and must show them in the same places. By chance alone (ties in a new order per request), 20 given ids
# land on 20 given places of a tie longer than a page about once in 500^20 (1e54).
ORDER_EVIDENCE = 20
# The largest search page the API serves; it clamps larger ones to this.
SEARCH_PAGE_MAX = 500
# A page size the API may refuse after page 1 (undocumented): ties are paged again at this size.
SAFE_PAGE_SIZE = 100
# Kustomer's timestamps have millisecond precision: the moment just after T is "strictly after T".
TICK = timedelta(milliseconds=1)

# The walk's modes. KEYSET: page 1 of `>= cursor`. TIE: offset pages over `>= T` while T holds more
# records than a page. DONE: finished.
KEYSET, TIE, DONE = "keyset", "tie", "done"
# How a tie can end without a record after it being read. UNSURE: it could not be proven whole this run,
# so the walk ends at T with the ids read there. RAN_OUT: a `>= T` page showed nothing after it.
UNSURE, RAN_OUT = "unsure", "ran out"
# How a tie's pages are asked. CLOSING: `== T`, but the page the count says is the pass's last `>= T` (see
# TieWalk). EQUALS: `== T` only, once a closing page showed the tie not ending where it was counted. GTE:
# `>= T` only, once the API refused `equals`.
CLOSING, EQUALS, GTE = "closing", "equals", "gte"


@dataclass(frozen=True)
class SearchQuery:
    lower: object  # records updated at or after this moment
    page: int
    page_size: int
    exact: bool = False  # records updated exactly at `lower`


@dataclass(frozen=True)
class SearchPage:
    ids: list
    timestamps: list
    total: int = None
    has_next: bool = None
    page_size: int = None
    # `total` is below a larger count the same walk was given, so below any cap the API puts on counts.
    total_uncapped: bool = False


def page_has_more(page, requested_size):
    """Is there a page after this one? links.next when given, else a full page. meta.total is not asked:
    it may be capped (an Elasticsearch-style count stops at a limit)."""
    if page.has_next is not None:
        return page.has_next
    return len(page.ids) >= (page.page_size or requested_size)


@dataclass(frozen=True)
class SearchEndpoint:
    """What a walk takes as given of the search endpoint it pages: its result cap, and how many ids a
    tie's first `equals` page must show again in the same places (ORDER_EVIDENCE, see TieWalk)."""
    result_cap: int = DEFAULT_RESULT_CAP
    order_evidence: int = ORDER_EVIDENCE


@dataclass(frozen=True)
class WalkLimits:
    """What a walk is given and never changes: where it ends, what is settled, the endpoint it pages."""
    end: object
    settled: object  # before this moment the index has caught up with every update
    endpoint: SearchEndpoint = field(default_factory=SearchEndpoint)


class CountsSeen:
    """The largest `meta.total` any page of the walk reported. A count may be capped (an Elasticsearch-style
    count stops at a limit), and a capped count of a tie that shrinks to the cap looks unchanged. A count
    below one the same endpoint reported is below its cap, so it is exact. That takes one cap for all of an
    endpoint's counts, `>=` and `equals` queries alike: a count is the size of a result set, whatever its
    criteria."""

    def __init__(self):
        self.largest = None

    def note(self, total):
        if total is not None and (self.largest is None or total > self.largest):
            self.largest = total

    def below_cap(self, total):
        return self.largest is not None and total < self.largest


@dataclass
class Cursor:
    """Where keyset paging goes on from: the timestamp, and the ids already emitted at it."""
    moment: datetime
    seen: set = field(default_factory=set)


class TieWalk:
    """Offset pages over one timestamp T until every record placed at T has been read once.

    It asks `updated_at == T` (one criterion). The tie's size is where its last page ends, which holds
    whatever `meta.total` says (it may be capped); an uncapped total that changes between pages says a
    member left the tie (it was updated), so the pass cannot prove completeness. A total proves the tie
    unchanged only below a larger one the walk was given (CountsSeen). If the API refuses `equals`, it
    asks `>= T` instead, and the tie ends at the first settled record placed after T.

    Without an uncapped count, a pass proves the tie whole only by ending where the pass before it ended,
    and that end must show on one page. Where it falls on a page's first place (an empty `equals` page, or
    a `>= T` page that starts after the tie), a member that left since the page before would have moved
    it a place back, unseen: the next page straddles that place instead (`_straddle`).

    The page a count says is a pass's last (a closing page) asks `>= T` at the same offset, so its free
    places hold the records after the tie. It counts only if the tie ends on it exactly where counted:
    the place before shows T and the place there a settled stamp after T (an unsettled one may be a
    member shown newer than its place, the tie then larger than counted). Otherwise the count was capped
    or the tie changed: the same page is asked again with `equals`, and so is every page of the tie
    from then on, as without closing pages. A member shown newer inside the counted places is placed
    but not emitted, as with `equals`.

    `seen` holds the ids already emitted at T (never emitted twice). `placed` holds the ids returned in
    the tie since its size last changed: records leave a tie when they are updated (and reappear later
    at their new timestamp), so only ids returned since the last change prove the tie was read whole.

    `shown`: the ids of the keyset page that found the tie, all at T, in its order. The first pass does
    not ask those places again: it pages `order_evidence` records smaller, from page 2, so that its first
    page starts that many places before the keyset page's end and shows its last ids again. If they are
    in the same places, the `equals` query orders the tie as the keyset query did (undocumented: ties may
    come in a new order per request, and that many ids do not fall in place by chance), and no member
    before them left meanwhile (members leave a tie but none joins it, so one leaving shifts the rest
    back): the places before hold what the keyset page showed, and the page's count covers them too.
    Otherwise that pass goes on without them, and the next one reads them.
    """

    def __init__(self, moment, seen, page_size, limits, shown=None):
        self.moment = moment
        self.seen = seen
        self.limits = limits
        self.page_size = page_size
        self.asking = CLOSING
        self.page = 1
        self.pass_state = _TiePass()
        self.size = None  # the tie's size where the last pass ended
        self.placed = set()
        self.idle_passes = 0
        self.passes = 0
        # How the tie ended when no record after it was read: UNSURE or RAN_OUT (see their definitions).
        self.ending = None
        overlap = limits.endpoint.order_evidence
        if shown is not None and len(shown) > 2 * overlap and \
                min(limits.endpoint.result_cap // (len(shown) - overlap), PAGE_CAP) >= 2:
            self.pass_state.shown, self.page_size, self.page = tuple(shown), len(shown) - overlap, 2

    @property
    def last_page(self):
        return max(min(self.limits.endpoint.result_cap // self.page_size, PAGE_CAP), 1)

    @property
    def exact(self):
        return self.asking != GTE

    @property
    def counted_size(self):
        """The tie's size as this pass's pages have counted it exactly, or None."""
        tie_pass = self.pass_state
        return tie_pass.totals[-1] if self.exact and tie_pass.totals and tie_pass.counted else None

    @property
    def closing(self):
        """Is the next page the pass's last by its count, with room after the tie? Then it asks `>= T`."""
        size = self.counted_size
        return self.asking == CLOSING and size is not None and self.page > 1 and \
            (self.page - 1) * self.page_size < size < self.page * self.page_size

    def query(self):
        return SearchQuery(self.moment, self.page, self.page_size, self.exact and not self.closing)

    def refused(self):
        """The API refused the last query: ask it another way, or say there is none."""
        if self.page > 1 and self.page_size > SAFE_PAGE_SIZE:
            # A large page after page 1 may be refused: go on at a size it accepts, from the same place.
            offset = (self.page - 1) * self.page_size
            self.page_size = SAFE_PAGE_SIZE
            self.page = offset // SAFE_PAGE_SIZE + 1
            return True
        if self.exact:
            self._drop_shown()
            self.asking = GTE
            self.page, self.pass_state = 1, _TiePass()
            return True
        return False

    def _drop_shown(self):
        """Page the tie from its own page 1, at the keyset page's size."""
        shown = self.pass_state.shown
        if shown is not None:
            self.page, self.page_size, self.pass_state = 1, len(shown), _TiePass()

    def accept(self, page):
        """(indexes of tie records to emit, index where records after the tie start or None, done)."""
        if self.pass_state.shown is not None:
            return self._accept_after_shown(page)
        if self.closing:
            return self._accept_closing(page)
        fresh, end_index = [], None
        tie_pass = self.pass_state
        if self.exact and page.total is not None and tie_pass.totals and page.total != tie_pass.totals[-1]:
            tie_pass.changed = True
        offset = (self.page - 1) * self.page_size
        reached = offset + len(page.ids)
        if not self.exact or not page.total_uncapped or page.total < reached:
            # No count, or one that may sit at its cap: a capped count of a tie that shrinks to the cap reads
            # the same on every page, so it cannot tell that the tie shrank. (One that changes still says so.)
            tie_pass.counted = False
        if page.total is not None:
            tie_pass.totals.append(page.total)
        for index, (record_id, stamp) in enumerate(zip(page.ids, page.timestamps)):
            if not self.exact and stamp > self.moment:
                if stamp < self.limits.settled:
                    # Asking `>= T`, the tie ends at the first settled record after it.
                    end_index = index
                    break
                # A version newer than its place may sit inside the tie: its end cannot be told this run.
                self.ending = UNSURE
                return fresh, None, True
            tie_pass.ids.add(record_id)
            if stamp == self.moment and record_id not in self.seen:
                self.seen.add(record_id)
                fresh.append(index)
        more = bool(page.ids) and page_has_more(page, self.page_size)
        capped = (self.page - 1) * self.page_size + len(page.ids) >= self.last_page * self.page_size
        if end_index is None and (more or capped):
            # A search that stops at its result cap says nothing of what lies beyond it.
            if self.page >= self.last_page:
                raise WalkError(f"more than {self.last_page * self.page_size} records share updatedAt "
                                f"{self.moment.isoformat()}, more than one search can return; cannot read them "
                                f"all without loss")
            self.page += 1
            return fresh, None, False
        size = offset + (len(page.ids) if end_index is None else end_index)
        if size == offset and self.page > 1 and not tie_pass.counted and not tie_pass.changed:
            # The tie seems to end on the page's first place, but a member that left since the page before would
            # have shifted the rest back, its end a place earlier, onto a place no page showed.
            if self._straddle(offset):
                return fresh, None, False
            tie_pass.unverified = True
        done = self._end_pass(size)
        if done and self.ending is None and not self.exact and end_index is None:
            self.ending = RAN_OUT
        return fresh, end_index, done

    def _accept_after_shown(self, page):
        """`accept` for the first page that shows the keyset page's last places again (see `shown`)."""
        offset = (self.page - 1) * self.page_size
        shown = self.pass_state.shown
        again = len(shown) - offset
        # Smaller, pages reach fewer places before the result cap: a tie that needs them all is paged at the
        # keyset page's size (one that fills the last of them exactly would look cut off by the cap).
        fits = page.total_uncapped and page.total < self.last_page * self.page_size
        if not fits:
            fresh = [index for index, (record_id, stamp) in enumerate(zip(page.ids, page.timestamps))
                     if stamp == self.moment and record_id not in self.seen]
            self.seen.update(page.ids[index] for index in fresh)
            self._drop_shown()
            return fresh, None, False
        self.pass_state.shown = None
        if 0 < again <= len(page.ids) and tuple(page.ids[:again]) == shown[offset:] and \
                all(stamp == self.moment for stamp in page.timestamps[:again]):
            self.pass_state.ids.update(shown[:offset])
        # Otherwise the places before are not taken as read: this pass goes on without them and cannot prove
        # the tie whole, and the next one reads them (its ids still count if the tie keeps its size).
        return self.accept(page)

    def _straddle(self, offset):
        """Ask next a page that holds the places on both sides of `offset`, so that where the tie ends is
        shown, not inferred from two pages asked at different moments. False if no page size allows it.

        Pages of SAFE_PAGE_SIZE or less (the API refused larger ones after page 1, or the config asks for
        them) straddle with sizes up to SAFE_PAGE_SIZE only: a larger one would be refused, and its fallback
        page would not straddle. Then an end on place 9,900 has no straddle (every size either divides it or
        needs a page past the 100th): the pass cannot prove the tie whole, and after MAX_TIE_PASSES the walk
        stops just before it, losing nothing."""
        largest = SAFE_PAGE_SIZE if self.page_size <= SAFE_PAGE_SIZE else SEARCH_PAGE_MAX
        for size in [*range(self.page_size - 1, 1, -1), *range(self.page_size + 1, largest + 1)]:
            page = offset // size + 1
            if offset % size and page <= min(self.limits.endpoint.result_cap // size, PAGE_CAP):
                self.page, self.page_size = page, size
                return True
        return False

    def _accept_closing(self, page):
        """`accept` for a closing page; one on which the tie does not end where counted is asked again."""
        size = self.counted_size
        stamps, ends_at = page.timestamps, size - (self.page - 1) * self.page_size
        if ends_at < len(stamps):
            held = stamps[ends_at - 1] == self.moment < stamps[ends_at] < self.limits.settled
        else:
            held = ends_at == len(stamps) and stamps[-1] == self.moment and not page_has_more(page, self.page_size)
        if not held:
            self.asking = EQUALS
            return [], None, False
        fresh = [index for index in range(ends_at) if stamps[index] == self.moment and page.ids[index] not in self.seen]
        self.seen.update(page.ids[index] for index in fresh)
        self.pass_state.ids.update(page.ids[:ends_at])
        if not self._end_pass(size):
            return fresh, None, False
        if ends_at < len(stamps):
            return fresh, ends_at, True
        self.ending = self.ending or RAN_OUT
        return fresh, None, True

    def _end_pass(self, size):
        tie_pass, self.pass_state = self.pass_state, _TiePass()
        grown = len(tie_pass.ids - self.placed)
        # Members leave a tie when updated. A pass during which the count changed may hold ids that left
        # and miss ids shifted past a page boundary, so it proves nothing; a change between passes leaves
        # only this pass's ids as proof. Without an exact count, only a pass that ends where the one before
        # it ended shows that nothing left meanwhile.
        steady = tie_pass.counted or (size == self.size and not tie_pass.unverified)
        if tie_pass.changed or not steady:
            self.placed = set()
        elif self.size is not None and size != self.size:
            self.placed = set(tie_pass.ids)
        else:
            self.placed |= tie_pass.ids
        self.size = size
        if not tie_pass.changed and steady and len(self.placed) >= size:
            return True
        self.passes += 1
        if self.passes >= MAX_TIE_PASSES:
            # Members keep leaving the tie (updated during the sync, so past this run's end): stop here, just
            # before the tie, and let the next run read what stays in it.
            self.ending = UNSURE
            return True
        # Fewer ids than the tie holds: its order moved between pages, or it shrank. Walk it again.
        self.idle_passes = self.idle_passes + 1 if grown == 0 else 0
        if self.idle_passes >= MAX_IDLE_TIE_PASSES:
            raise WalkError(f"{size} records share updatedAt {self.moment.isoformat()} but only "
                            f"{len(self.placed)} could be read after repeated passes")
        self.page = 1
        return False


class _TiePass:
    """What one pass over a tie has seen: the ids, the totals reported, whether the tie changed."""

    def __init__(self):
        self.ids = set()
        self.totals = []
        self.changed = False
        self.counted = True  # every page gave an exact count of the tie
        # Without a count, the pass's end fell on a page's first place and no page could show both its sides.
        self.unverified = False
        # The first pass only: the ids of the keyset page that found the tie, until a page shows them again.
        self.shown = None


class SearchWalk:
    """Plans the queries for one search stream over [lower, end) and dedupes what they return."""

    def __init__(self, lower, end, page_size, settled=None, seen=(), seen_at=None, endpoint=None):
        self.limits = WalkLimits(end, end if settled is None else settled, endpoint or SearchEndpoint())
        self.page_size = page_size
        # `seen`: ids a previous run already emitted at `seen_at` (it stopped inside a tie there), which is
        # `lower` unless a lookback starts the walk before it.
        self.skip = Cursor(lower if seen_at is None else seen_at, set(seen))
        self.cursor = self._at(lower, set())
        # The newest settled place read, and the ids read there: a finished walk's checkpoint never passes
        # a stamp it has not seen, so an update the index shows late is read on the next run.
        self.newest = self._at(lower, set())
        self.tie = None
        self.counts = CountsSeen()
        self.mode = KEYSET if lower < end else DONE
        # False once the walk stopped at a tie it could not prove whole: what lies past it is unread.
        self.complete = True

    @property
    def finished(self):
        return self.mode == DONE

    @property
    def checkpoint(self):
        """(moment, ids): every record updated before the moment has been emitted, and so have these ids
        at it. A resumed walk that starts there re-reads no more than the page it was stopped in."""
        # A cursor on an unsettled stamp may have passed records the index still places before it.
        place = self.cursor if self.mode != DONE and self.cursor.moment < self.limits.settled else self.newest
        return place.moment, frozenset(place.seen)

    def check_invariants(self):
        """What holds between any two requests; the tests call it after every page."""
        assert self.mode in (KEYSET, TIE, DONE), self.mode
        assert (self.mode == TIE) == (self.tie is not None), (self.mode, self.tie)
        assert self.newest.moment <= self.limits.settled or self.newest.moment == self.cursor.moment
        if self.mode == TIE:
            assert self.tie.moment == self.cursor.moment and self.tie.seen is self.cursor.seen
            assert 1 <= self.tie.page <= self.tie.last_page, self.tie.page
        if self.mode != DONE:
            assert self.cursor.moment < self.limits.end, (self.cursor.moment, self.limits.end)
            assert self.newest.moment <= self.cursor.moment, (self.newest.moment, self.cursor.moment)

    def next_query(self):
        if self.mode == DONE:
            return None
        if self.mode == TIE:
            return self.tie.query()
        return SearchQuery(self.cursor.moment, 1, self.page_size)

    def refused(self):
        """The API refused the last query (HTTP 400): True when the walk has another way to ask."""
        return self.mode == TIE and self.tie.refused()

    def accept(self, page):
        """Take the page the last query returned; return the indexes of records to emit, in order."""
        self.counts.note(page.total)
        if self.mode != TIE:
            return self._keyset(page, 0)
        if page.total is not None and self.counts.below_cap(page.total):
            page = replace(page, total_uncapped=True)
        fresh, after, done = self.tie.accept(page)
        if not done:
            return fresh
        moment, ending, tie_page_size = self.tie.moment, self.tie.ending, self.tie.page_size
        if ending == UNSURE:
            self.tie, self.mode, self.complete = None, DONE, False
            if moment < self.limits.settled:
                self.newest = Cursor(moment, set(self.cursor.seen))
            return fresh
        self.tie = None
        if moment < self.limits.settled:
            self.newest = Cursor(moment + TICK)
        self.cursor = Cursor(moment + TICK)
        self.mode = KEYSET if self.cursor.moment < self.limits.end else DONE
        if after is not None:
            return fresh + self._keyset(page, after, tie_page_size)
        if ending == RAN_OUT:
            self.mode = DONE
        return fresh

    def _keyset(self, page, start, page_size=None):
        """Read page records from `start` on as keyset results: what to emit, and where to go on from.
        `page_size`: what the request asked for, when a tie's smaller pages asked for less."""
        cursor, end, settled = self.cursor, self.limits.end, self.limits.settled
        ids, stamps = page.ids, page.timestamps
        indexes = range(start, len(ids))
        skip = self.skip
        fresh = [index for index in indexes if cursor.moment <= stamps[index] < end
                 and not (stamps[index] == cursor.moment and ids[index] in cursor.seen)
                 and not (stamps[index] == skip.moment and ids[index] in skip.seen)]
        in_range = [stamps[index] for index in indexes if cursor.moment <= stamps[index] < end]
        last_settled = next((stamp for stamp in reversed(in_range) if stamp < settled), None)
        if last_settled is not None:
            self._note_newest(last_settled, {ids[i] for i in indexes if stamps[i] == last_settled})
        ahead = any(stamp > cursor.moment for stamp in in_range)
        past_end = any(stamps[index] >= end for index in indexes)
        if not ids or not page_has_more(page, page_size or self.page_size) or (past_end and not ahead):
            # Nothing more, or nothing on this page between the cursor's stamp and the records past `end`.
            self.mode = DONE
            return fresh
        if not in_range:
            raise WalkError(f"search answered `updated_at >= {cursor.moment.isoformat()}` with older records "
                            f"only: it ignored the lower bound, and the walk cannot go on without loss")
        # A version newer than its index place (updated within the index lag) has a stamp later than its
        # place: the cursor goes to the last settled stamp, so that it does not jump over records unread.
        if last_settled is not None and last_settled > cursor.moment:
            last = last_settled
        else:
            last = in_range[-1] if ahead else cursor.moment
        at_last = {ids[index] for index in indexes if stamps[index] == last}
        if last > cursor.moment or start:
            # After a tie, page 1 of the next stamp's own query has not been read yet.
            self.cursor = self._at(last, at_last | (cursor.seen if last == cursor.moment else set()))
            return fresh
        cursor.seen.update(at_last | (skip.seen if last == skip.moment else set()))
        # The keyset page's total counts more than the tie, so it cannot tell whether a member was updated away
        # before the tie's next page; that page finding the keyset page's last ids again in place can (TieWalk).
        shown = [ids[index] for index in indexes] if all(stamps[index] == last for index in indexes) else None
        self.tie = TieWalk(last, cursor.seen, self.page_size, self.limits, shown)
        self.mode = TIE
        return fresh

    def _at(self, moment, ids):
        """A place at `moment`, with the ids read there, counting those an earlier run had read."""
        return Cursor(moment, ids | self.skip.seen if moment == self.skip.moment else ids)

    def _note_newest(self, moment, ids):
        if moment > self.newest.moment:
            self.newest = Cursor(moment, set(ids))
        elif moment == self.newest.moment:
            self.newest.seen.update(ids)
