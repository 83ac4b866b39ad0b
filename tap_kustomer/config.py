"""Config: load, coerce (Meltano sends strings) and validate, so the rest of the tap sees typed values.

Every setting is one row of SETTINGS: its parser, default and words. Config's fields, --about, the README
table and meltano.yml all follow from that table; what ties two settings together is in `_across`.
"""
import ipaddress
import re
from dataclasses import dataclass, field, make_dataclass
from typing import Callable
from urllib.parse import urlsplit

import orjson

from .errors import ConfigError
from .timeutil import parse_timestamp

# Region names (the `region` setting) and pod names (which a wrong-pod 401 names) to their API hosts.
HOSTS = {
    "us": "https://api.kustomerapp.com",
    "prod1": "https://api.kustomerapp.com",
    "eu": "https://api.prod2.kustomerapp.com",
    "prod2": "https://api.prod2.kustomerapp.com",
    "in": "https://api.prod4.kustomerapp.com",
    "prod4": "https://api.prod4.kustomerapp.com",
}
DEFAULT_BASE_URL = HOSTS["us"]
# Both travel as HTTP header values, which must be one line of ASCII; http.client fails deep inside a
# request otherwise. A token has no spaces at all.
_TOKEN_PATTERN = re.compile(r"[!-~]+")
_HEADER_TEXT_PATTERN = re.compile(r"[ -~]+")


def _token(_setting, value):
    if not isinstance(value, str):
        raise ConfigError("config: api_token must be a string")
    if not _TOKEN_PATTERN.fullmatch(value.strip()):
        # The value itself is never echoed: it is, or is close to, the secret.
        raise ConfigError("config: api_token holds spaces, line breaks or non-ASCII characters (a stray quote "
                          "or a pasted line break?); copy the key again from Settings > Security > API Keys")
    return Secret(value.strip())


def _timestamp(setting, value):
    try:
        return parse_timestamp(value)
    except (ValueError, TypeError):
        raise ConfigError(f"config: {setting.name} must be an RFC 3339 date-time or YYYY-MM-DD "
                          f"(e.g. 2024-01-01T00:00:00Z), got {value!r}") from None


def _base_url(_setting, raw):
    url = str(raw).strip().rstrip("/")
    if url.endswith("/v1"):
        url = url[:-3]
    try:
        parts = urlsplit(url)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in url
        valid = valid and (parts.port is None or parts.port > 0)  # .port raises on "host:44x"
    except ValueError:  # an unclosed IPv6 bracket, a port out of range
        parts, valid = None, False
    if not valid:
        raise ConfigError(f"config: base_url must look like https://api.kustomerapp.com, got {raw!r}")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ConfigError("config: base_url must use https:// (plain http is only allowed for a local "
                          "test server on 127.0.0.1/localhost), because the API token travels in every request")
    return url


def _is_loopback(host):
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _region(_setting, value):
    # Checked in _across: a region is ignored, typo or not, when base_url is set.
    return str(value).strip().lower()


def _header_text(setting, value):
    text = str(value).strip()
    if not _HEADER_TEXT_PATTERN.fullmatch(text):
        raise ConfigError(f"config: {setting.name} must be plain ASCII text on one line, like "
                          f"'tap-kustomer (data@example.com)', got {value!r}")
    return text


def _integer(setting, value):
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        number = None
    if number is None or isinstance(value, bool) or not number.is_integer():
        raise ConfigError(f"config: {setting.name} must be a whole number, got {value!r}")
    number = int(number)
    if not setting.minimum <= number <= setting.maximum:
        raise ConfigError(f"config: {setting.name} must be between {setting.minimum} and "
                          f"{setting.maximum}, got {number}")
    return number


@dataclass(frozen=True)
class Setting:
    name: str
    kind: str  # string | password | date_iso8601 | integer
    description: str
    parse: Callable  # (setting, raw value) -> typed value, or ConfigError
    default: object = None
    # When set, the setting is required and this completes "config: NAME is required (...)".
    required_hint: str = None
    minimum: int = None
    maximum: int = None
    aliases: tuple = ()

    @property
    def required(self):
        return self.required_hint is not None


# The one source of truth for every setting: validation, Config, --about, the README table and meltano.yml.
SETTINGS = (
    Setting("api_token", "password", "Kustomer API key (Settings › Security › API Keys). "
            "Needs read roles for the selected streams.", _token,
            required_hint="your Kustomer API key; 'token' is accepted too", aliases=("token",)),
    Setting("start_date", "date_iso8601", "Where a stream has no bookmark, sync starts here; a bookmark older "
            "than it also starts here, so raising it skips what lies before (RFC 3339 date-time or YYYY-MM-DD).",
            _timestamp,
            required_hint="RFC 3339 date-time or YYYY-MM-DD, e.g. 2024-01-01"),
    Setting("base_url", "string", "API host; the tap appends /v1/... EU orgs use "
            "https://api.prod2.kustomerapp.com; an org host https://ORG.api.kustomerapp.com also works. "
            "Must be https:// (plain http:// only for 127.0.0.1 or localhost).", _base_url,
            default=DEFAULT_BASE_URL),
    Setting("region", "string", "Shortcut for base_url: us, eu or in (ignored when base_url is set).", _region),
    Setting("user_agent", "string", "Sent as the User-Agent header (include a contact email); "
            "without it the tap sends tap-kustomer/VERSION.", _header_text),
    Setting("date_window_size", "integer", "Accepted so that older configs keep working, and unused: every "
            "search asks for everything from the cursor on, page 1, so no window is needed.", _integer,
            default=60, minimum=1, maximum=3650),
    Setting("page_size_limit", "integer", "Records per page, clamped to each endpoint's maximum "
            "(search 500, users and teams 500, other lists 100).", _integer,
            default=500, minimum=1, maximum=10000),
    Setting("request_timeout", "integer", "Seconds before a stalled request is abandoned and retried.", _integer,
            default=300, minimum=1, maximum=3600),
    Setting("end_date", "date_iso8601", "Optional upper bound on updated_at, for backfills of a fixed span.",
            _timestamp),
    Setting("max_requests_per_minute", "integer", "Cap on this tap's own requests per minute, to leave "
            "room in the org-wide budget for other integrations.", _integer, minimum=1, maximum=100000),
    Setting("search_requests_per_minute", "integer", "Search budget of an API key (Kustomer: 100/min).",
            _integer, default=100, minimum=1, maximum=100000),
    Setting("index_lag_seconds", "integer", "Search is eventually consistent: bookmarks stay this far "
            "behind the sync start, so late-indexed updates are read next run.", _integer,
            default=300, minimum=0, maximum=86400),
    Setting("lookback_seconds", "integer", "Each run re-reads this many seconds before every stream's "
            "bookmark, to catch updates the search index showed late; costs re-emitting the records in "
            "that span (list streams, read whole anyway, re-emit theirs too).", _integer, default=0, minimum=0,
            maximum=31536000),
)


@dataclass(frozen=True)
class Secret:
    """Holds the API token so that no repr, log line or exception can show it."""

    value: str = field(repr=False)

    def __repr__(self):
        return "Secret(***)"

    __str__ = __repr__


# One typed, frozen field per setting, in the table's order.
Config = make_dataclass("Config", [(setting.name, object) for setting in SETTINGS], frozen=True)


def load_config_file(path):
    return parse_config(read_config_file(path))


def read_config_file(path):
    """The config file's JSON object, unchecked; a missing, unreadable or malformed file is a ConfigError."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist; copy config.sample.json and fill it in") from None
    except OSError as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc.strerror}") from None
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid JSON ({exc}); see config.sample.json") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a JSON object, like config.sample.json")
    return data


def _blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


def _lookup(data, setting):
    for name in (setting.name,) + setting.aliases:
        if not _blank(data.get(name)):
            return data[name]
    return None


def _across(values, given):
    """Every check and derivation that involves more than one setting."""
    if "base_url" not in given and values["region"] is not None:
        try:
            values["base_url"] = HOSTS[values["region"]]
        except KeyError:
            raise ConfigError(f"config: region must be one of us, eu, in; got {values['region']!r}") from None
    if values["end_date"] is not None and values["end_date"] <= values["start_date"]:
        raise ConfigError("config: end_date must be later than start_date")


def parse_config(data):
    values, given = {}, set()
    for setting in SETTINGS:
        raw = _lookup(data, setting)
        if raw is None:
            if setting.required:
                raise ConfigError(f"config: {setting.name} is required ({setting.required_hint})")
            values[setting.name] = setting.default
        else:
            values[setting.name] = setting.parse(setting, raw)
            given.add(setting.name)
    _across(values, given)
    return Config(**values)
