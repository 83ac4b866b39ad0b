"""Rate budgets: pace requests from x-ratelimit-* headers and local caps, so a steady sync meets no 429."""
import math
import time
from collections import deque
from datetime import timezone
from email.utils import parsedate_to_datetime

from .timeutil import parse_timestamp

# A number above this in a reset header is a unix time; below it, seconds until the window resets.
EPOCH_THRESHOLD = 1e9
# Above this, a unix time in milliseconds: as seconds it would lie in the year 5138, as milliseconds in 1973.
EPOCH_MS_THRESHOLD = 1e11
# Never trust a reset further away than this: a wrong header must not park the tap for hours.
MAX_RESET_WAIT = 120.0
# Reset headers come in whole seconds, rounded up, so waiting until the header's moment is already late
# by half a second on average. A 429 right after such a wait means the server counts differently (or its
# clock runs behind ours): each one adds this much to later waits, up to the cap.
RESET_SLACK_STEP = 0.25
MAX_RESET_SLACK = 2.0
# Whole seconds rounded up: the true reset lies up to this much before the header's moment.
RESET_ROUNDING = 1.0
# Spaced searches run at this share of the configured budget, so that a window's last request lands before
# its reset and the next one after it.
SPACING_SHARE = 0.97
# Each 429 while spaced means the budget is smaller, or shared: slow down by this factor.
SPACING_BACKOFF = 1.05


def seconds_until_reset(value, wall_now):
    """Seconds from `wall_now` until the moment x-ratelimit-reset or Retry-After names, within
    [0, MAX_RESET_WAIT]; None if unreadable. Kustomer documents the reset header but not its unit, and HTTP
    lets Retry-After be a delay or a date, so any of these is read: seconds left, epoch seconds, epoch
    milliseconds, an HTTP-date (RFC 7231) or an ISO 8601 timestamp."""
    moment = _moment(value, wall_now)
    if moment is None or not math.isfinite(moment):
        return None
    return min(max(moment - wall_now, 0.0), MAX_RESET_WAIT)


def _moment(value, wall_now):
    if value is None:
        return None
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        return _date_moment(text)
    if number > EPOCH_MS_THRESHOLD:
        return number / 1000.0
    return number if number > EPOCH_THRESHOLD else wall_now + number


def _date_moment(text):
    for parse in (parsedate_to_datetime, parse_timestamp):
        try:
            moment = parse(text)
        except (TypeError, ValueError, IndexError):  # Python 3.10's parsedate_to_datetime raises TypeError
            continue
        # An HTTP-date in asctime form carries no zone; HTTP dates are always GMT.
        return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()
    return None


def wait_after_429(headers, wall_now, fallback):
    """Retry-After, else the reset header, else `fallback`: a moment already past cannot be why a request was
    refused, so a 0 or past header falls through too."""
    for name in ("retry-after", "x-ratelimit-reset"):
        delta = seconds_until_reset(headers.get(name), wall_now)
        if delta:
            return delta
    return fallback


class HeaderBudget:
    """One server-side budget as the API reports it."""

    def __init__(self):
        self.remaining = None
        self.reset_at = None
        self.slack = 0.0
        self.refused = False

    def observe(self, headers, mono_now, wall_now):
        remaining = headers.get("x-ratelimit-remaining")
        if remaining is None:
            return
        try:
            self.remaining = int(float(remaining))
        except ValueError:
            return
        delta = seconds_until_reset(headers.get("x-ratelimit-reset"), wall_now)
        self.reset_at = None if delta is None else mono_now + delta
        self.refused = False

    def exhaust(self, delta, mono_now):
        """A 429 says the budget is spent whatever the headers claimed."""
        self.remaining = 0
        self.reset_at = mono_now + delta
        self.slack = min(self.slack + RESET_SLACK_STEP, MAX_RESET_SLACK)
        self.refused = True

    def wait(self, mono_now, early=False):
        """Until the reset, or with `early` until the first moment the rounded header allows for it.
        After a 429 never early: the server has just said when."""
        if self.remaining is None or self.remaining > 0 or self.reset_at is None:
            return 0.0
        reset = self.reset_at - (RESET_ROUNDING if early and not self.refused else 0.0)
        return max(reset - mono_now + self.slack, 0.0)

    def spend(self):
        if self.remaining is not None:
            self.remaining -= 1


class SlidingCap:
    """At most `limit` requests in any `window` seconds: a ceiling we keep ourselves."""

    def __init__(self, limit, window=60.0):
        self.limit = limit
        self.window = window
        self.sent = deque()

    def wait(self, mono_now):
        while self.sent and self.sent[0] <= mono_now - self.window:
            self.sent.popleft()
        if len(self.sent) < self.limit:
            return 0.0
        return self.sent[0] + self.window - mono_now

    def spend(self, mono_now):
        self.sent.append(mono_now)


class Spacing:
    """Even spacing at just under a budget's rate, engaged once that budget has run dry.

    A run that stays inside its budget bursts freely. One that drains it would otherwise spend each
    window's budget at once and then wait on a reset header rounded up to whole seconds; with windows
    that start at the first request after the last one ended, that costs most of a second per window
    (bench/README.md). Spaced, the last request of a window lands before its reset and the next one
    after it, with no wait on the header at all.
    """

    def __init__(self, per_minute):
        self.interval = 60.0 / (per_minute * SPACING_SHARE)
        self.engaged = False
        self.last = None

    def wait(self, mono_now):
        if not self.engaged or self.last is None:
            return 0.0
        return self.last + self.interval - mono_now

    def spend(self, mono_now):
        self.last = mono_now

    def refused(self):
        if self.engaged:
            self.interval *= SPACING_BACKOFF
        self.engaged = True


class Pacer:
    """Decides how long to wait before a request of a given kind ("search" or "list")."""

    def __init__(self, search_per_minute=100, max_per_minute=None, clock=time.monotonic, wall=time.time,
                 sleep=time.sleep):
        self.clock, self.wall, self.sleep = clock, wall, sleep
        self.headers = {"search": HeaderBudget(), "list": HeaderBudget()}
        org_cap = [SlidingCap(max_per_minute)] if max_per_minute else []
        self.caps = {"search": [SlidingCap(search_per_minute)] + org_cap, "list": org_cap}
        # Only searches: their budget is the narrow one, and list streams are a few pages each.
        self.spacing = {"search": Spacing(search_per_minute)}
        self.slept = 0.0

    def before(self, kind):
        spacing = self.spacing.get(kind)
        while True:
            now = self.clock()
            header = self.headers[kind].wait(now, early=bool(spacing and spacing.engaged))
            if header > 0 and spacing and not spacing.engaged:
                spacing.engaged = True
            pause = max([header] + [cap.wait(now) for cap in self.caps[kind]] +
                        [spacing.wait(now) if spacing else 0.0])
            if pause <= 0:
                break
            # Counted once slept: a stop request may cut the wait short.
            self.sleep(pause)
            self.slept += pause
        now = self.clock()
        self.headers[kind].spend()
        for cap in self.caps[kind]:
            cap.spend(now)
        if spacing:
            spacing.spend(now)

    def after(self, kind, headers):
        self.headers[kind].observe(headers, self.clock(), self.wall())

    def rate_limited(self, kind, delta):
        """After a 429 that said to wait `delta` seconds (see wait_after_429)."""
        self.headers[kind].exhaust(delta, self.clock())
        if kind in self.spacing:
            self.spacing[kind].refused()
