"""Mutable org state: the primary records (what GET lists and ground truth see) and, per search context,
a separately maintained search index that may lag behind them.

The index is a list of (updatedAt_ms, id, rev) tuples kept sorted, so a range criterion on
`<ctx>_updated_at` (and the standard/archive horizon) is two bisects and ties are ordered by id. Both
search endpoints read the same index, each through its own bisect bounds. Updates reach it through a
queue, each once its lag has passed (`index_lag_seconds`, constant or varying per update) and, with
`index_lag_searches`, once that many more searches were served: how an asynchronous indexer looks from
outside.
"""
import random
import threading
from bisect import bisect_left, insort

from .catalog import SEARCH_STREAMS
from .timefmt import fmt_ms, now_ms


class _Index:
    def __init__(self, records):
        self.entries = sorted((r.updated, r.id, r.rev) for r in records)
        self.current = {entry[1]: entry for entry in self.entries}

    def put(self, entry):
        old = self.current.get(entry[1])
        if old is not None:
            # Versioned like an external-version index: a late, older update never overwrites a newer one.
            if old[2] >= entry[2]:
                return
            self.remove(entry[1])
        insort(self.entries, entry)
        self.current[entry[1]] = entry

    def remove(self, id_):
        old = self.current.pop(id_, None)
        if old is not None:
            del self.entries[bisect_left(self.entries, old)]


class Store:
    def __init__(self, dataset, index_lag_seconds=0.0, seed=0, lag_mode="constant", lag_searches=0):
        self.dataset = dataset
        self.lock = threading.RLock()
        self._records = {stream: [r.copy() for r in recs] for stream, recs in dataset.records.items()}
        # Hard-deleted records stay here so a page rendered outside the lock can still draw them.
        self._by_id = {stream: {r.id: r for r in recs} for stream, recs in self._records.items()}
        self._indexes = {stream: _Index(self._records[stream]) for stream in SEARCH_STREAMS.values()}
        # (due_ms, due_searches, stream, entry); a list, as varying lags make it due out of order.
        self._pending = []
        self._lag_ms = int(index_lag_seconds * 1000)
        self._lag_rng = random.Random(f"{seed}:lag") if lag_mode == "varying" else None
        self._lag_searches = lag_searches
        self._searches = 0
        self._rng = random.Random(f"{seed}:mutations")

    def truth(self):
        with self.lock:
            return {stream: {r.id: fmt_ms(r.updated) for r in recs} for stream, recs in self._records.items()}

    def mutate(self, stream, count):
        """Update `count` random records now (one shared timestamp, like a bulk edit); returns their ids."""
        with self.lock:
            now = now_ms()
            chosen = self._sample(stream, count, "mutate")
            for record in chosen:
                record.updated = max(now, record.updated)
                record.rev += 1
                if stream in self._indexes:
                    lag = self._lag_ms if self._lag_rng is None else self._lag_rng.randint(0, self._lag_ms)
                    self._pending.append((now + lag, self._searches + self._lag_searches, stream,
                                          (record.updated, record.id, record.rev)))
            self._apply_due(now)
            return [record.id for record in chosen]

    def delete(self, stream, count):
        """Hard-delete `count` random records: gone from lists, search and truth; returns their ids."""
        with self.lock:
            gone = {record.id for record in self._sample(stream, count, "delete")}
            records = self._records[stream]
            records[:] = [record for record in records if record.id not in gone]
            if stream in self._indexes:
                for id_ in gone:
                    self._indexes[stream].remove(id_)
                self._pending = [p for p in self._pending if p[2] != stream or p[3][1] not in gone]
            return sorted(gone)

    def _sample(self, stream, count, verb):
        records = self._records.get(stream)
        if records is None:
            raise ValueError(f"unknown stream {stream!r}")
        if not 0 <= count <= len(records):
            raise ValueError(f"cannot {verb} {count} of {len(records)} {stream}")
        return self._rng.sample(records, count)

    def search_entries(self, stream):
        """The index of one stream as the search engine sees it right now. Callers hold `lock`."""
        self._apply_due(now_ms())
        return self._indexes[stream].entries

    def searched(self):
        """Count one served search: `index_lag_searches` measures lag in these."""
        with self.lock:
            self._searches += 1

    def created(self, stream, id_):
        return self._by_id[stream][id_].created

    def record(self, stream, id_):
        return self._by_id[stream][id_]

    def page(self, stream, start, stop, order="creation", rng=None):
        """(record, updatedAt, rev) of the latest versions at list positions [start, stop): in creation order,
        "newest" created first, or "unstable" (shuffled by `rng`)."""
        with self.lock:
            records = self._records[stream]
            if order == "newest":
                records = records[::-1]
            elif order == "unstable":
                records = rng.sample(records, len(records))
            return [(r, r.updated, r.rev) for r in records[start:stop]]

    def count(self, stream):
        return len(self._records[stream])

    def _apply_due(self, now):
        if not self._pending:
            return
        due, waiting = [], []
        for pending in self._pending:
            (due if pending[0] <= now and pending[1] <= self._searches else waiting).append(pending)
        self._pending = waiting
        for _, _, stream, entry in due:
            self._indexes[stream].put(entry)
