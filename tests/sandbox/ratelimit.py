"""Kustomer's per-minute budgets: an org-wide one for every request and a separate one for searches
(which archive searches share unless `archive_budget="separate"`).

Windows are fixed and start with the first request after the previous window ended, so a test that
spends a budget cannot straddle a wall-clock minute boundary and see it refill half-way through.
"""
import math
import threading
import time
from email.utils import formatdate


class _Window:
    def __init__(self, limit, seconds):
        self.limit = limit
        self.seconds = seconds
        self.start = None
        self.used = 0

    def roll(self, now):
        if self.start is None or now >= self.start + self.seconds:
            self.start = now
            self.used = 0

    def take(self, now):
        self.roll(now)
        self.used += 1
        return self.used <= self.limit

    def remaining(self):
        return max(0, self.limit - self.used)

    def reset_at(self, now):
        return now + self.seconds if self.start is None else self.start + self.seconds


class RateLimiter:
    def __init__(self, options):
        self._enabled = options.rate_limits
        self._reset_style = options.reset_style
        self._retry_after = options.retry_after
        self._retry_date = options.retry_after_style == "date"
        # With rate_clock="requests" the clock is the number of requests admitted so far, not seconds.
        self._by_requests = options.rate_clock == "requests"
        length = options.rate_window_requests if self._by_requests else options.rate_window_seconds
        self._org = _Window(options.org_limit, length)
        search = _Window(options.search_limit, length)
        archive = _Window(options.search_limit, length) if options.archive_budget == "separate" else search
        self._budgets = {"search": search, "archive": archive}
        self._requests = 0
        self._lock = threading.Lock()

    def admit(self, kind, now=None):
        """Spend one request of `kind` ("search" and "archive" also spend their search budget); returns
        (refusal detail or None, headers)."""
        wall = time.time() if now is None else now
        with self._lock:
            self._requests += 1
            clock = self._requests if self._by_requests else wall
            special = self._budgets.get(kind)
            org_ok = self._org.take(clock)
            special_ok = special.take(clock) if special else True
            if not self._enabled:
                return None, self._headers(special or self._org, clock, wall, spent=False)
            # The budget that binds is the one with less left; on a tie the narrower search budget.
            binding = special if special and special.remaining() <= self._org.remaining() else self._org
            headers = self._headers(binding, clock, wall)
            if org_ok and special_ok:
                return None, headers
            if self._retry_after:
                wait = max(1, math.ceil(binding.reset_at(clock) - clock))
                headers["Retry-After"] = formatdate(wall + wait, usegmt=True) if self._retry_date else str(wait)
            what = "requests" if special_ok else "search requests"
            unit = "requests" if self._by_requests else "seconds"
            return f"Rate limit exceeded: {binding.limit} {what} per {binding.seconds:g} {unit}", headers

    def peek(self, now=None):
        """Headers for a response that spends nothing (requests rejected before the budget applies)."""
        wall = time.time() if now is None else now
        with self._lock:
            clock = self._requests if self._by_requests else wall
            self._org.roll(clock)
            return self._headers(self._org, clock, wall, spent=self._enabled)

    def _headers(self, window, clock, wall, spent=True):
        # Under the requests clock one request stands for one second, so every reset style stays meaningful.
        left = window.reset_at(clock) - clock
        return {"x-ratelimit-limit": str(window.limit),
                "x-ratelimit-remaining": str(window.remaining() if spent else window.limit),
                "x-ratelimit-reset": self._reset_value(wall, left)}

    def _reset_value(self, wall, left):
        if self._reset_style == "delta":
            return str(max(0, math.ceil(left)))
        if self._reset_style == "epoch_ms":
            return str(math.ceil((wall + left) * 1000))
        if self._reset_style == "http_date":
            return formatdate(math.ceil(wall + left), usegmt=True)
        return str(math.ceil(wall + left))
