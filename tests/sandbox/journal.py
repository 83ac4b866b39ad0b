"""Per-request record of what the simulator answered, for tests and the /_sim/stats endpoint."""
import threading
from collections import Counter


class Journal:
    def __init__(self, record_bodies=False):
        self._record_bodies = record_bodies
        self._entries = []
        self._bodies = []
        self._lock = threading.Lock()

    def add(self, entry, served_body=None):
        """`served_body`: a complete 200 body the client received, kept only when recording bodies."""
        with self._lock:
            self._entries.append(entry)
            if self._record_bodies and served_body is not None:
                self._bodies.append(served_body)

    def entries(self):
        with self._lock:
            return list(self._entries)

    def bodies(self):
        with self._lock:
            return list(self._bodies)

    def stats(self):
        entries = self.entries()
        kinds = Counter(e["kind"] for e in entries)
        return {
            "total": len(entries),
            "by_kind": dict(kinds),
            "searches": kinds["search"],
            "archive_searches": kinds["archive"],
            "by_status": dict(Counter(e["status"] for e in entries if e["status"] is not None)),
            "rate_limited": sum(1 for e in entries if e["ratelimited"]),
            "faults": dict(Counter(e["fault"] for e in entries if e["fault"])),
        }
