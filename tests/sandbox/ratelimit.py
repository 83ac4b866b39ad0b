"""Kustomer's per-minute budgets: an org-wide one for every request and a separate one for searches.

Windows are fixed and start with the first request after the previous window ended, so a test that
spends a budget cannot straddle a wall-clock minute boundary and see it refill half-way through.
"""
import math
import threading
import time


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
        self._org = _Window(options.org_limit, options.rate_window_seconds)
        self._search = _Window(options.search_limit, options.rate_window_seconds)
        self._lock = threading.Lock()

    def admit(self, is_search, now=None):
        """Spend one request (searches spend both budgets); returns (refusal detail or None, headers)."""
        now = time.time() if now is None else now
        with self._lock:
            org_ok = self._org.take(now)
            search_ok = self._search.take(now) if is_search else True
            if not self._enabled:
                return None, self._headers(self._search if is_search else self._org, now, spent=False)
            # The budget that binds is the one with less left; on a tie the narrower search budget.
            binding = self._search if is_search and self._search.remaining() <= self._org.remaining() else self._org
            headers = self._headers(binding, now)
            if org_ok and search_ok:
                return None, headers
            if self._retry_after:
                headers["Retry-After"] = str(max(1, math.ceil(binding.reset_at(now) - now)))
            what = "requests" if search_ok else "search requests"
            return f"Rate limit exceeded: {binding.limit} {what} per {binding.seconds:g} seconds", headers

    def peek(self, now=None):
        """Headers for a response that spends nothing (requests rejected before the budget applies)."""
        now = time.time() if now is None else now
        with self._lock:
            self._org.roll(now)
            return self._headers(self._org, now, spent=self._enabled)

    def _headers(self, window, now, spent=True):
        reset_at = window.reset_at(now)
        reset = math.ceil(reset_at) if self._reset_style == "epoch" else max(0, math.ceil(reset_at - now))
        return {"x-ratelimit-limit": str(window.limit),
                "x-ratelimit-remaining": str(window.remaining() if spent else window.limit),
                "x-ratelimit-reset": str(reset)}
