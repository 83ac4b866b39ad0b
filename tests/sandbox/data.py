"""Seeded dataset generation: record skeletons with realistic timestamps, ties and bursts.

A record is only a skeleton (id, times, rev, seed); its JSON body is rendered on demand from the seed
(see records.py). That keeps the bench profile's ~170k records in tens of megabytes and lets search serve
an older version of a record (index lag) by rendering it at that version.
"""
import bisect
import random
from datetime import datetime, timezone
from typing import NamedTuple

from .catalog import STREAMS
from .corpus import KLASSES

DAY_MS = 86_400_000
# Five years: standard search only covers the past two (SimOptions.search_horizon_days), so a real share
# of every stream is reachable only through archive search.
HISTORY_DAYS = 1826
# A burst given as a bare size lands within this many newest days: inside the standard span at the
# default 730-day horizon, with a month to spare for a moving edge.
RECENT_DAYS = 700

PROFILES = {
    "small": {
        "counts": {"customers": 300, "conversations": 300, "messages": 400, "notes": 200, "kobjects": 200,
                   "companies": 150, "users": 120, "teams": 12, "tags": 150, "shortcuts": 130, "brands": 3},
        "tie_bursts": {"customers": [1200, (700, 1200)], "messages": 600},
    },
    "demo": {
        "counts": {"customers": 3000, "conversations": 3000, "messages": 5000, "notes": 2000,
                   "kobjects": 2000, "companies": 800, "users": 600, "teams": 40, "tags": 300,
                   "shortcuts": 250, "brands": 4},
        "tie_bursts": {"customers": [1200, (700, 1200)], "messages": [600, 150], "conversations": 550},
    },
    "bench": {
        "counts": {"customers": 30000, "conversations": 30000, "messages": 60000, "notes": 20000,
                   "kobjects": 20000, "companies": 10000, "users": 1000, "teams": 50, "tags": 500,
                   "shortcuts": 400, "brands": 5},
        "tie_bursts": {"customers": 450, "messages": [480, 300], "conversations": 400},
    },
}


class PageTie(NamedTuple):
    """A burst placed by rank: `size` records sharing the updatedAt of the record `after` records into the
    stream (oldest first, earlier bursts included), counted from its oldest record or, with `from_age_days`,
    from the first one newer than that. A walk's pages start where a span starts, so this puts a tie where a
    page boundary falls: e.g. after=4,900 straddles the tenth boundary of 500-record pages."""
    size: int
    after: int
    from_age_days: float = None


class Record:
    """Latest version of one record; `seed` drives everything in its body that is not a time or rev."""
    __slots__ = ("id", "created", "updated", "rev", "seed", "custom_added")

    def __init__(self, id_, created, updated, rev, seed):
        self.id = id_
        self.created = created
        self.updated = updated
        self.rev = rev
        self.seed = seed
        # Custom attributes added while a simulator runs (custom_added.py); a copy starts without them.
        self.custom_added = ()

    def copy(self):
        return Record(self.id, self.created, self.updated, self.rev, self.seed)


class Dataset:
    """Immutable generated org. Simulators copy the skeletons, so one Dataset can back many runs."""

    def __init__(self, seed, anchor_ms, records, org_id, klass_ids, api_user_id,
                 history_days=HISTORY_DAYS):
        self.seed = seed
        self.anchor_ms = anchor_ms
        self.history_days = history_days
        self.records = records
        self.org_id = org_id
        self.klass_ids = klass_ids
        self.api_user_id = api_user_id
        self._ids = {stream: [r.id for r in recs] for stream, recs in records.items()}
        self._conversation_seeds = {r.id: r.seed for r in records["conversations"]}

    @classmethod
    def generate(cls, seed=0, counts=None, tie_bursts=None, now=None,
                 history_days=HISTORY_DAYS, density=None):
        """Generate an org deterministically from `seed`.

        counts: {stream: n} regular records, merged over the small profile's counts.
        tie_bursts: {stream: burst or [bursts]} extra records per burst, all sharing one exact updatedAt. A
        burst is a size (placed at random within the newest RECENT_DAYS days) or (size, age_days), placed
        that many days before the anchor, e.g. beyond the search horizon, or a PageTie, placed by rank.
        now: datetime or epoch ms anchoring the timeline; defaults to today's UTC midnight, so the same
        seed gives the same data all day and every record is at least a day older than the wall clock.
        history_days: how far back updatedAt reaches (regular records spread over it, skewed to recent).
        density: {stream: [weights]} busy and quiet spans: the history is cut into len(weights) equal
        slices, oldest first (60 for months of five years), and a regular record lands in a slice with
        its weight's share (0: a quiet span with none). Streams not named keep the skew to recent.
        """
        merged = dict(PROFILES["small"]["counts"])
        merged.update(counts or {})
        unknown = (set(merged) | set(tie_bursts or {})) - set(STREAMS)
        if unknown:
            raise ValueError(f"unknown streams: {sorted(unknown)}")
        if merged["users"] < 1:
            raise ValueError("users must be >= 1: the API key's machine user is one of them")
        anchor = _anchor_ms(now)
        ids = _IdMaker(random.Random(f"{seed}:ids"))
        records = {}
        for stream in STREAMS:
            bursts = (tie_bursts or {}).get(stream, [])
            bursts = [bursts] if isinstance(bursts, (int, tuple)) else list(bursts)
            rng = random.Random(f"{seed}:{stream}")
            records[stream] = _stream_records(rng, ids, merged[stream], bursts, anchor, history_days,
                                              (density or {}).get(stream))
        meta = random.Random(f"{seed}:org")
        users = records["users"]
        api_user_id = users[meta.randrange(len(users))].id if users else None
        klass_ids = {name: ids.make(anchor - history_days * DAY_MS) for name in KLASSES}
        return cls(seed, anchor, records, ids.make(anchor - (history_days + 30) * DAY_MS), klass_ids,
                   api_user_id, history_days)

    @classmethod
    def profile(cls, name, seed=0, now=None):
        if name not in PROFILES:
            raise ValueError(f"unknown profile {name!r}; choose from {sorted(PROFILES)}")
        spec = PROFILES[name]
        return cls.generate(seed=seed, counts=spec["counts"], tie_bursts=spec["tie_bursts"], now=now)

    def ids(self, stream):
        """Record ids of a stream in creation order."""
        return self._ids[stream]

    def customer_of_conversation(self, conversation_id):
        """A conversation's customer, derived from its seed so its messages and notes agree with it."""
        customers = self._ids["customers"]
        seed = self._conversation_seeds.get(conversation_id)
        return customers[seed % len(customers)] if customers and seed is not None else None

    def counts(self):
        return {stream: len(recs) for stream, recs in self.records.items()}


def _anchor_ms(now):
    if now is None:
        today = datetime.now(timezone.utc).date()
        return int(datetime(today.year, today.month, today.day, tzinfo=timezone.utc).timestamp()) * 1000
    if isinstance(now, datetime):
        return int(now.timestamp() * 1000)
    return int(now)


class _IdMaker:
    """Mongo ObjectIds: creation second, a per-process random value, a counter. Sorting ids therefore
    sorts by creation, which is what the GET lists rely on."""

    def __init__(self, rng):
        self._processes = [rng.getrandbits(40) for _ in range(3)]
        self._rng = rng
        self._counter = rng.getrandbits(24)

    def make(self, created_ms):
        self._counter = (self._counter + 1) % (1 << 24)
        process = self._processes[self._rng.randrange(3)]
        return f"{created_ms // 1000:08x}{process:010x}{self._counter:06x}"


def _ranked_stamp(stamps, tie, anchor):
    """The updatedAt a PageTie shares: that of the record `tie.after` records into the stream so far."""
    ranked = sorted(stamps)
    base = 0 if tie.from_age_days is None else bisect.bisect_left(ranked, anchor - int(tie.from_age_days * DAY_MS))
    if base + tie.after >= len(ranked):
        raise ValueError(f"a tie {tie.after} records in is past the stream's {len(ranked)} records")
    return ranked[base + tie.after]


def _regular_stamps(rng, regular, start, span, density):
    stamps = []
    remaining = regular
    slices = range(len(density or ()))
    while remaining > 0:
        # Natural ties: bulk edits, workflows and imports stamp a handful of records in the same ms.
        size = 1 if rng.random() < 0.7 else min(remaining, rng.randint(2, 5))
        if density:
            # Busy and quiet spans, as given: a slice by its weight, then anywhere in it.
            part = rng.choices(slices, weights=density)[0]
            stamp = start + int(span * (part + rng.random()) / len(density))
        else:
            # Skewed towards recent: most orgs have more activity now than two years ago.
            stamp = start + int(span * rng.random() ** 0.6)
        stamps.extend([stamp] * size)
        remaining -= size
    return stamps


def _stream_records(rng, ids, regular, bursts, anchor, history_days, density=None):
    end = anchor - DAY_MS
    start = anchor - history_days * DAY_MS
    recent = end - max(start, anchor - RECENT_DAYS * DAY_MS)
    stamps = _regular_stamps(rng, regular, start, end - start, density)
    for burst in bursts:
        if isinstance(burst, PageTie):
            size, stamp = burst.size, _ranked_stamp(stamps, burst, anchor)
        elif isinstance(burst, tuple):
            size, age_days = burst
            stamp = anchor - int(age_days * DAY_MS) + rng.randrange(DAY_MS)
            if not start <= stamp <= end:
                raise ValueError(f"a burst {age_days} days old is outside the {history_days}-day history")
        else:
            size, stamp = burst, end - rng.randrange(recent)
        stamps.extend([stamp] * size)
    records = []
    for updated in stamps:
        if rng.random() < 0.3:
            created, rev = updated, 1
        else:
            created, rev = start + rng.randrange(max(1, updated - start)), rng.randint(2, 12)
        records.append(Record(ids.make(created), created, updated, rev, rng.getrandbits(48)))
    records.sort(key=lambda r: r.id)
    return records
