"""The one choke point for HTTP: session, auth, timeouts, pacing, retries, and errors mapped to our own.

What to do with an answer is decided by `decide`, a pure function over the table ROWS; the client only sends,
sleeps and raises as the decision says."""
import logging
import re
import time
from dataclasses import dataclass, replace
from typing import Callable

import backoff
import orjson
import requests
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import NewConnectionError, ReadTimeoutError

from . import __version__
from .config import HOSTS
from .errors import AccessDenied, ApiUnavailable, AuthError, BadRequest, TapError
from .ratelimit import Pacer, wait_after_429

LOGGER = logging.getLogger("tap_kustomer")
SEARCH_PATH = "/v1/customers/search"

# Transient failures (5xx, drops, stalls, broken bodies): this many attempts, waits doubling to a cap.
MAX_ATTEMPTS = 8
MAX_BACKOFF = 60.0
# Before the first answer from the host, a refused connection means a wrong host, not an outage.
FIRST_CONTACT_ATTEMPTS = 3
# 429s: other integrations share the org budget, so keep waiting well past one 60 s window.
MAX_RATE_LIMIT_WAIT = 900.0
# The body is read straight from urllib3 (see read_body), so its errors arrive unwrapped as well.
TRANSPORT_ERRORS = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.ContentDecodingError, Urllib3Error, OSError)
# A request that cannot be built is wrong every time; these are OSErrors too, so they go first.
UNSENDABLE = (requests.exceptions.InvalidHeader, requests.exceptions.InvalidURL, UnicodeEncodeError)
POD_PATTERN = re.compile(r"associated with pod (prod\d+)", re.IGNORECASE)
EXPIRED_PATTERN = re.compile(r"expired token", re.IGNORECASE)

# What came back when no HTTP status did; `decide` takes these in place of a status, with the exception's
# type name as the body.
TIMEOUT, DROPPED, REFUSED, UNSENT = "timeout", "dropped", "refused", "unsent"
# The kinds of Action.
RETURN, RETRY, WAIT_BUDGET, FAIL = "return", "retry", "wait_budget", "fail"


@dataclass
class RequestStats:
    requests: int = 0
    retries: int = 0
    rate_limited: int = 0

    def snapshot(self):
        return (self.requests, self.retries, self.rate_limited)


def _never_connected(exc):
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError)


def read_body(response):
    """The whole body in one read. requests' own `.content` loops over 10 kB chunks, which costs about three
    times the CPU on the megabyte pages of a search (bench/README.md)."""
    try:
        return response.raw.read(decode_content=True)
    finally:
        # Back to the pool, kept alive when the body was read whole; urllib3 closes it after an error.
        response.raw.release_conn()


def error_text(status, content):
    """The API's own words from either error shape (`errors[]` or legacy `message`), one short line."""
    try:
        body = orjson.loads(content)
    except orjson.JSONDecodeError:
        return f"HTTP {status}"
    parts = []
    if isinstance(body, dict):
        errors = body.get("errors")
        first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else body
        for key in ("detail", "message", "title", "error", "code"):
            if isinstance(first.get(key), str) and first[key] not in parts:
                parts.append(first[key])
                break
    text = parts[0] if parts else f"HTTP {status}"
    return " ".join(text.split())[:300]




@dataclass(frozen=True)
class History:
    """One request as `decide` sees it: what it is, to word a failure, and what it has met so far."""

    method: str
    path: str
    base_url: str
    timeout: float
    contacted: bool = False  # the host has answered this client at least once
    accepted: bool = False  # the token has been accepted (an HTTP 200) earlier in this run
    rate_limited: int = 0  # this request's own 429s
    rate_waited: float = 0.0  # seconds this request has been told to wait them out


@dataclass(frozen=True)
class Action:
    kind: str  # RETURN | RETRY | WAIT_BUDGET | FAIL
    wait: float = 0.0  # RETRY: the backoff before jitter; WAIT_BUDGET: what the 429 asked for
    error: type = None  # FAIL: the TapError subclass to raise
    line: str = ""  # FAIL: the error's one line; RETRY: what went wrong
    extra: tuple = ()  # FAIL: further arguments of the error (BadRequest's detail)
    payload: dict = None  # RETURN

    def failure(self):
        return self.error(self.line, *self.extra)


@dataclass(frozen=True)
class Seen:
    """An answer with everything a row may need to act on it."""

    status: object
    headers: object
    body: object
    detail: str
    attempt: int
    history: History
    wall_now: float


def _unauthorized(seen):
    """A 401 says the token was rejected, unless the same token worked earlier in this run: then it is the
    key's role that lacks this resource (whether a missing role answers 401 or 403 is not documented)."""
    if seen.history.accepted:
        return _fail(AccessDenied, f"HTTP 401 on {_where(seen)} though the same API key was accepted earlier in "
                                   f"this run, so its role lacks this resource: {seen.detail}")
    return _fail(AuthError, f"Kustomer rejected the API token (HTTP 401: {seen.detail}); check api_token in the "
                            f"config")


def _fail(error, line, *extra):
    return Action(FAIL, error=error, line=line, extra=extra)


def _retry(seen, line):
    """Transient: back off and try again, doubling to a cap, until the attempts run out."""
    history, failures = seen.history, seen.attempt + 1
    unreachable = seen.status == REFUSED and not history.contacted
    if failures >= (FIRST_CONTACT_ATTEMPTS if unreachable else MAX_ATTEMPTS):
        if unreachable:
            return _fail(ApiUnavailable, f"cannot reach {history.base_url} ({line}); check base_url or region "
                                         f"and the network")
        return _fail(ApiUnavailable, f"{history.method} {history.path} failed {failures} times; last error: {line}")
    return Action(RETRY, wait=min(MAX_BACKOFF, 2.0 ** seen.attempt), line=line)


def _payload(seen):
    try:
        payload = orjson.loads(seen.body)
    except orjson.JSONDecodeError:
        return _retry(seen, "HTTP 200 with a body that is not valid JSON (truncated?)")
    if not isinstance(payload, dict):
        return _retry(seen, "HTTP 200 with a body that is not a JSON object")
    return Action(RETURN, payload=payload)


def _rate_limited(seen):
    history = seen.history
    # This request's own 429s, not the run's: a request that meets its first 429 late in a long run must
    # not start at the longest wait.
    fallback = min(MAX_BACKOFF, 2.0 ** min(history.rate_limited, 6))
    wait = wait_after_429(seen.headers, seen.wall_now, fallback)
    waited = history.rate_waited + wait
    if waited > MAX_RATE_LIMIT_WAIT:
        return _fail(ApiUnavailable, f"{history.method} {history.path}: still rate limited (HTTP 429) after "
                                     f"waiting {waited:.0f} s; the org's request budget is exhausted by other "
                                     f"clients, or lower max_requests_per_minute")
    return Action(WAIT_BUDGET, wait=wait, line="HTTP 429")


def _wrong_pod(seen):
    pod = POD_PATTERN.search(seen.detail).group(1)
    host = HOSTS.get(pod.lower(), "your org host https://<org>.api.kustomerapp.com")
    return _fail(AuthError, f"the API token belongs to Kustomer pod {pod} but base_url {seen.history.base_url} "
                            f"serves another pod; set base_url to {host} (or region: eu for prod2)")


def _where(seen):
    return f"{seen.history.method} {seen.history.path}"


@dataclass(frozen=True)
class Row:
    """Where the status is in `statuses` and `pattern` is found in the API's error text, `act` decides."""

    name: str
    statuses: tuple | range | frozenset
    act: Callable
    pattern: re.Pattern = re.compile("")

    def matches(self, status, detail):
        return status in self.statuses and self.pattern.search(detail) is not None


# Which status a wrong-pod answer comes with is not documented; its text is what identifies it.
ANY_ERROR = frozenset(range(100, 600)) - {200}
# First match wins; every outcome `decide` is given has a row.
ROWS = (
    Row("200", (200,), _payload),
    Row("timeout", (TIMEOUT,), lambda seen: _retry(seen, f"no answer within {seen.history.timeout:g} s")),
    Row("refused", (REFUSED,), lambda seen: _retry(seen, f"connection failed ({seen.body})")),
    Row("dropped", (DROPPED,), lambda seen: _retry(seen, f"connection dropped ({seen.body})")),
    # Never the exception's text: requests quotes the offending header, which may be the token.
    Row("unsendable", (UNSENT,), lambda seen: _fail(
        TapError, f"{_where(seen)} could not be sent ({seen.body}): check base_url, user_agent and api_token "
                  f"in the config for stray characters")),
    Row("wrong pod", ANY_ERROR, _wrong_pod, POD_PATTERN),
    Row("expired token", (401,), lambda seen: _fail(
        AuthError, "Kustomer says the API token has expired. Create a new API key in Kustomer (Settings › "
                   "Security › API Keys), preferably without an expiry, and put it in config api_token"),
        EXPIRED_PATTERN),
    Row("401", (401,), _unauthorized),
    Row("429", (429,), _rate_limited),
    Row("5xx", range(500, 600), lambda seen: _retry(seen, f"HTTP {seen.status}: {seen.detail}")),
    Row("403", (403,), lambda seen: _fail(AccessDenied, f"HTTP 403 on {_where(seen)}: {seen.detail}")),
    Row("400", (400,), lambda seen: _fail(
        BadRequest, f"{_where(seen)} was refused (HTTP 400: {seen.detail})", seen.detail)),
    Row("other", range(100, 600), lambda seen: _fail(TapError, f"{_where(seen)} failed with HTTP {seen.status}: "
                                                    f"{seen.detail}")),
)


def decide(status, headers, body, attempt, history, wall_now):
    """What to do with one attempt's outcome; pure, so each row of ROWS can be tested alone.

    `status` is the HTTP status, or TIMEOUT, DROPPED, REFUSED or UNSENT when none came back (then `body` is
    the exception's type name); `attempt` counts this request's transient failures before this one."""
    detail = error_text(status, body) if status in ANY_ERROR else ""
    seen = Seen(status, headers, body, detail, attempt, history, wall_now)
    return next(row for row in ROWS if row.matches(status, detail)).act(seen)


class KustomerClient:
    def __init__(self, config, pacer=None, sleep=time.sleep, jitter=backoff.full_jitter, retry_log=logging.WARNING):
        self.base_url = config.base_url
        # The level of each "retry N" line: a caller that sums up a failure in a line of its own lowers it.
        self.retry_log = retry_log
        self.timeout = (min(10.0, config.request_timeout), float(config.request_timeout))
        self.pacer = pacer or Pacer(search_per_minute=config.search_requests_per_minute,
                                    max_per_minute=config.max_requests_per_minute, sleep=sleep)
        self.sleep = sleep
        self.jitter = jitter
        self.stats = RequestStats()
        # What this run has already read, by question (meta.total of each page-1 search, by query; the klass
        # names): asked again, for --check's and the sync's estimates or the next klass stream, it costs no
        # request.
        self.known = {}
        self.contacted = False
        self.accepted = False
        self.session = requests.Session()
        self.session.headers.update({
            "Authorization": f"Bearer {config.api_token.value}",
            "Accept": "application/json",
            "User-Agent": config.user_agent or f"tap-kustomer/{__version__}",
        })

    def __repr__(self):
        return f"KustomerClient({self.base_url})"

    def close(self):
        self.session.close()

    def search(self, body, page, page_size):
        params = {"page": page, "pageSize": page_size}
        return self.request("POST", SEARCH_PATH, "search", params=params, body=body)

    def get(self, path, params=None):
        return self.request("GET", path, "list", params=params)

    def request(self, method, path, kind, params=None, body=None):
        """Send until we hold a JSON object, or raise a TapError that says why not."""
        history = History(method, path, self.base_url, self.timeout[1])
        attempt = 0
        data = orjson.dumps(body) if body is not None else None
        headers = {"Content-Type": "application/json"} if body is not None else None
        while True:
            self.pacer.before(kind)
            self.stats.requests += 1
            status, answer_headers, content = self._send(method, path, kind, params, data, headers)
            if status == 429:
                self.stats.rate_limited += 1
            history = replace(history, contacted=self.contacted, accepted=self.accepted)
            action = decide(status, answer_headers, content, attempt, history, self.pacer.wall())
            if action.kind == RETURN:
                self.accepted = True
                return action.payload
            if action.kind == FAIL:
                raise action.failure()
            self.stats.retries += 1
            if action.kind == WAIT_BUDGET:
                history = replace(history, rate_limited=history.rate_limited + 1,
                                  rate_waited=history.rate_waited + action.wait)
                # The pacer sleeps it off before the next attempt, with any slack that earlier 429s call for.
                self.pacer.rate_limited(kind, action.wait)
                LOGGER.info("%s %s: rate limited (HTTP 429), waiting %.1f s", method, path, action.wait)
            else:
                attempt += 1
                pause = self.jitter(action.wait)
                # A host that refuses the very first connections gets a few quick tries; if they all fail, the
                # one CRITICAL line says so, and bad input is one line.
                level = logging.DEBUG if status == REFUSED and not self.contacted else self.retry_log
                LOGGER.log(level, "%s %s: %s; retry %d in %.1f s", method, path, action.line, attempt, pause)
                self.sleep(pause)

    def _send(self, method, path, kind, params, data, headers):
        """One attempt: (status, headers, body), or with no HTTP answer (outcome, {}, exception type name)."""
        try:
            response = self.session.request(method, self.base_url + path, params=params, data=data,
                                            headers=headers, timeout=self.timeout, stream=True)
            content = read_body(response)
        except UNSENDABLE as exc:
            return UNSENT, {}, type(exc).__name__
        except (requests.Timeout, ReadTimeoutError) as exc:
            return TIMEOUT, {}, type(exc).__name__
        except TRANSPORT_ERRORS as exc:
            return REFUSED if _never_connected(exc) else DROPPED, {}, type(exc).__name__
        self.contacted = True
        self.pacer.after(kind, response.headers)
        return response.status_code, response.headers, content
