"""Mutable org state: the primary records (what GET lists and ground truth see) and, per search context,
a separately maintained search index that may lag behind them.

The index is a list of (updatedAt_ms, id, rev) tuples kept sorted, so a range criterion on
`<ctx>_updated_at` is two bisects and ties are ordered by id. Updates reach it through a queue drained
once they are `index_lag_seconds` old, which is how an asynchronous indexer looks from outside.
"""
import random
import threading
from bisect import bisect_left, insort
from collections import deque

from .catalog import SEARCH_STREAMS
from .timefmt import fmt_ms, now_ms


class _Index:
    def __init__(self, records):
        self.entries = sorted((r.updated, r.id, r.rev) for r in records)
        self.current = {entry[1]: entry for entry in self.entries}

    def put(self, entry):
        old = self.current.get(entry[1])
        if old is not None:
            del self.entries[bisect_left(self.entries, old)]
        insort(self.entries, entry)
        self.current[entry[1]] = entry


class Store:
    def __init__(self, dataset, index_lag_seconds=0.0, seed=0):
        self.dataset = dataset
        self.lock = threading.RLock()
        self._records = {stream: [r.copy() for r in recs] for stream, recs in dataset.records.items()}
        self._by_id = {stream: {r.id: r for r in recs} for stream, recs in self._records.items()}
        self._indexes = {stream: _Index(self._records[stream]) for stream in SEARCH_STREAMS.values()}
        self._pending = deque()
        self._lag_ms = int(index_lag_seconds * 1000)
        self._rng = random.Random(f"{seed}:mutations")

    def truth(self):
        with self.lock:
            return {stream: {r.id: fmt_ms(r.updated) for r in recs} for stream, recs in self._records.items()}

    def mutate(self, stream, count):
        """Update `count` random records now (one shared timestamp, like a bulk edit); returns their ids."""
        with self.lock:
            records = self._records.get(stream)
            if records is None:
                raise ValueError(f"unknown stream {stream!r}")
            if not 0 <= count <= len(records):
                raise ValueError(f"cannot mutate {count} of {len(records)} {stream}")
            now = now_ms()
            chosen = self._rng.sample(records, count)
            for record in chosen:
                record.updated = max(now, record.updated)
                record.rev += 1
                if stream in self._indexes:
                    self._pending.append((now + self._lag_ms, stream, (record.updated, record.id, record.rev)))
            self._apply_due(now)
            return [record.id for record in chosen]

    def search_entries(self, stream):
        """The index of one stream as the search engine sees it right now. Callers hold `lock`."""
        self._apply_due(now_ms())
        return self._indexes[stream].entries

    def created(self, stream, id_):
        return self._by_id[stream][id_].created

    def record(self, stream, id_):
        return self._by_id[stream][id_]

    def page(self, stream, start, stop):
        """(record, updatedAt, rev) of the latest versions at list positions [start, stop), in creation order."""
        with self.lock:
            return [(r, r.updated, r.rev) for r in self._records[stream][start:stop]]

    def count(self, stream):
        return len(self._records[stream])

    def _apply_due(self, now):
        while self._pending and self._pending[0][0] <= now:
            _, stream, entry = self._pending.popleft()
            self._indexes[stream].put(entry)
