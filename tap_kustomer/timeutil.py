"""Timestamps: parse anything Kustomer or a user sends into aware UTC datetimes, and format them back."""
from datetime import datetime, timezone

import ciso8601


def parse_timestamp(value):
    """Parse RFC 3339 or YYYY-MM-DD into an aware UTC datetime; raise ValueError otherwise."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"not a timestamp: {value!r}")
    parsed = ciso8601.parse_datetime(value.strip())
    if parsed.tzinfo is None:
        # Kustomer and Singer both mean UTC when no offset is written.
        return parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def format_timestamp(moment):
    """Kustomer's own form: milliseconds and a Z, e.g. 2024-01-02T03:04:05.678Z."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def utc_now():
    return datetime.now(timezone.utc)
