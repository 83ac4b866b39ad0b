"""The edge between the standard search index (recent) and the archive index (older).

Kustomer's standard search only holds objects updated within the past two years; older ones are served
by archive search alone. Where exactly the edge sits, whether it moves during a run, and how the two
indexes meet at it are undocumented, so each is an option.
"""
from .data import DAY_MS
from .timefmt import now_ms


class Horizon:
    def __init__(self, options, started_ms=None):
        self._started = now_ms() if started_ms is None else started_ms
        self._first_edge = self._started - int(options.search_horizon_days * DAY_MS)
        self._moving = options.horizon_edge == "moving"
        self._speed = options.horizon_speed
        self._overlap = int(options.horizon_overlap_seconds * 1000)

    def edge(self, now=None):
        """Epoch ms of the edge: fixed at start, or advancing `horizon_speed` ms of data time per real ms."""
        if not self._moving:
            return self._first_edge
        now = now_ms() if now is None else now
        return self._first_edge + int((now - self._started) * self._speed)

    def bounds(self, now=None):
        """(standard_low, archive_high): standard search holds updatedAt >= standard_low, archive search
        updatedAt < archive_high. The overlap widens both past the edge (both indexes hold those records);
        a negative one narrows both (neither does)."""
        edge = self.edge(now)
        return edge - self._overlap, edge + self._overlap
