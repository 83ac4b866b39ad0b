"""Kustomer timestamp formatting and the lenient date grammar search criteria accept.

Times are integers of epoch milliseconds everywhere inside the simulator: Kustomer stores millisecond
precision, and integer keys make ties exact and bisect ranges trivial.
"""
import re
import time
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
# 'T' or ' ' separator: peers send Python's str(datetime) ("2023-08-01 00:00:00+00:00") and it works.
_DATETIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?"
    r"(Z|[+-]\d{2}:?\d{2})?$"
)


def now_ms():
    return time.time_ns() // 1_000_000


def fmt_ms(ms):
    """The API's one timestamp form: UTC, milliseconds, 'Z'."""
    seconds, millis = divmod(ms, 1000)
    day, second = divmod(seconds, 86_400)
    hour, second = divmod(second, 3600)
    minute, second = divmod(second, 60)
    return f"{_date_prefix(day)}{hour:02d}:{minute:02d}:{second:02d}.{millis:03d}Z"


@lru_cache(maxsize=4096)
def _date_prefix(day):
    # Rendering formats dozens of timestamps per record; the calendar part repeats across them.
    return time.strftime("%Y-%m-%dT", time.gmtime(day * 86_400))


def fmt_offset(ms, offset_minutes):
    """Custom `...At` values keep the offset they were stored with (seen in KObject examples)."""
    tz = timezone(timedelta(minutes=offset_minutes))
    return datetime.fromtimestamp(ms // 1000, tz).isoformat()


def zone(name):
    """IANA zone for a search `timeZone`; raises ValueError for names the tz database lacks."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown timeZone {name!r}") from exc


def parse_criterion(value, tz=timezone.utc):
    """Epoch ms of a criterion date; ValueError when the string is not a date we recognise.

    A bare date is midnight in the request's `timeZone` (GMT by default); a datetime without an offset is
    taken as UTC, one with 'Z' or an offset is absolute. Sub-millisecond digits are truncated, as the
    index only holds milliseconds.
    """
    if not isinstance(value, str):
        raise ValueError(f"expected a date string, got {type(value).__name__}")
    match = _DATE.match(value)
    if match:
        year, month, day = (int(g) for g in match.groups())
        return int(datetime(year, month, day, tzinfo=tz).timestamp()) * 1000
    match = _DATETIME.match(value)
    if not match:
        raise ValueError(f"unrecognised date {value!r}")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0),
                      tzinfo=_offset(offset))
    millis = int((fraction or "0")[:3].ljust(3, "0"))
    return int(moment.timestamp()) * 1000 + millis


def _offset(text):
    if text in (None, "Z"):
        return timezone.utc
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
