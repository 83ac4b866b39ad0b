"""Progress lines on stderr while a stream syncs: at most one every few seconds."""
import logging
import time

LOGGER = logging.getLogger("tap_kustomer")
INTERVAL = 5.0


class Progress:
    def __init__(self, stream, clock=time.monotonic):
        self.stream = stream
        self.clock = clock
        self.started = clock()
        self.last_log = self.started
        self.pages = 0

    def page(self, records, payload):
        self.pages += 1
        now = self.clock()
        if now - self.last_log < INTERVAL:
            return
        self.last_log = now
        rate = records / max(now - self.started, 1e-9)
        meta = payload.get("meta") if isinstance(payload, dict) else None
        total = meta.get("total") if isinstance(meta, dict) else None
        ahead = ""
        if isinstance(total, int) and rate > 0:
            page, size = meta.get("page") or 1, meta.get("pageSize") or 0
            remaining = max(total - page * size, 0)
            ahead = f", {remaining:,} left in this query (~{remaining / rate:.0f} s)"
        LOGGER.info("%s: %s records, %d pages, %.0f records/s%s", self.stream, f"{records:,}", self.pages,
                    rate, ahead)
