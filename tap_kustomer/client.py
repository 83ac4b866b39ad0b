"""The one choke point for HTTP: session, auth, timeouts, pacing, retries, and errors mapped to our own."""
import logging
import re
import time
from dataclasses import dataclass

import backoff
import orjson
import requests
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import NewConnectionError, ReadTimeoutError

from . import __version__
from .errors import AccessDenied, ApiUnavailable, AuthError, BadRequest, TapError
from .ratelimit import Pacer

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
POD_HOSTS = {"prod1": "https://api.kustomerapp.com", "prod2": "https://api.prod2.kustomerapp.com",
             "prod4": "https://api.prod4.kustomerapp.com"}


@dataclass
class RequestStats:
    requests: int = 0
    retries: int = 0
    rate_limited: int = 0

    def snapshot(self):
        return (self.requests, self.retries, self.rate_limited)


class Retry(Exception):
    """Internal: this attempt failed in a way another attempt may fix."""


class RateLimited(Retry):
    """Internal: a 429; the pacer already knows how long the budget needs."""

    def __init__(self, wait):
        super().__init__("HTTP 429")
        self.wait = wait


class Unreachable(Retry):
    """Internal: no connection could be opened at all (refused, or the name does not resolve)."""


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


def auth_failure(detail, base_url):
    if "expired token" in detail.lower():
        return AuthError("Kustomer says the API token has expired. Create a new API key in Kustomer "
                         "(Settings › Security › API Keys), preferably without an expiry, and put it in "
                         "config api_token")
    pod = POD_PATTERN.search(detail)
    if pod:
        host = POD_HOSTS.get(pod.group(1).lower(), "your org host https://<org>.api.kustomerapp.com")
        return AuthError(f"the API token belongs to Kustomer pod {pod.group(1)} but base_url {base_url} "
                         f"serves another pod; set base_url to {host} (or region: eu for prod2)")
    return AuthError(f"Kustomer rejected the API token (HTTP 401: {detail}); check api_token in the config")


class KustomerClient:
    def __init__(self, config, pacer=None, sleep=time.sleep, jitter=backoff.full_jitter):
        self.base_url = config.base_url
        self.timeout = (min(10.0, config.request_timeout), float(config.request_timeout))
        self.pacer = pacer or Pacer(search_per_minute=config.search_requests_per_minute,
                                    max_per_minute=config.max_requests_per_minute, sleep=sleep)
        self.sleep = sleep
        self.jitter = jitter
        self.stats = RequestStats()
        self.contacted = False
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
        waits = backoff.expo(base=2, factor=1, max_value=MAX_BACKOFF)
        next(waits)  # the generator's first value is a placeholder
        attempt, rate_waited, last = 0, 0.0, ""
        data = orjson.dumps(body) if body is not None else None
        headers = {"Content-Type": "application/json"} if body is not None else None
        while True:
            self.pacer.before(kind)
            self.stats.requests += 1
            try:
                return self._attempt(method, path, kind, params, data, headers)
            except RateLimited as failure:
                self.stats.rate_limited += 1
                rate_waited += failure.wait
                if rate_waited > MAX_RATE_LIMIT_WAIT:
                    raise ApiUnavailable(f"{method} {path}: still rate limited (HTTP 429) after waiting "
                                         f"{rate_waited:.0f} s; the org's request budget is exhausted "
                                         f"by other clients, or lower max_requests_per_minute") from None
                LOGGER.info("%s %s: rate limited (HTTP 429), waiting %.1f s", method, path, failure.wait)
                self.stats.retries += 1
            except Retry as failure:
                last = str(failure)
                attempt += 1
                unreachable = isinstance(failure, Unreachable) and not self.contacted
                if attempt >= (FIRST_CONTACT_ATTEMPTS if unreachable else MAX_ATTEMPTS):
                    if unreachable:
                        raise ApiUnavailable(f"cannot reach {self.base_url} ({last}); check base_url or "
                                             f"region and the network") from None
                    raise ApiUnavailable(f"{method} {path} failed {attempt} times; last error: {last}") from None
                pause = self.jitter(next(waits))
                LOGGER.warning("%s %s: %s; retry %d in %.1f s", method, path, last, attempt, pause)
                self.stats.retries += 1
                self.sleep(pause)

    def _attempt(self, method, path, kind, params, data, headers):
        try:
            response = self.session.request(method, self.base_url + path, params=params, data=data,
                                            headers=headers, timeout=self.timeout, stream=True)
            content = read_body(response)
        except UNSENDABLE as exc:
            # Never the exception's text: requests quotes the offending header, which may be the token.
            raise TapError(f"{method} {path} could not be sent ({type(exc).__name__}): check base_url, "
                           f"user_agent and api_token in the config for stray characters") from None
        except (requests.Timeout, ReadTimeoutError):
            raise Retry(f"no answer within {self.timeout[1]:g} s") from None
        except TRANSPORT_ERRORS as exc:
            if _never_connected(exc):
                raise Unreachable(f"connection failed ({type(exc).__name__})") from None
            raise Retry(f"connection dropped ({type(exc).__name__})") from None
        self.contacted = True
        self.pacer.after(kind, response.headers)
        status = response.status_code
        if status == 200:
            try:
                payload = orjson.loads(content)
            except orjson.JSONDecodeError:
                raise Retry("HTTP 200 with a body that is not valid JSON (truncated?)") from None
            if not isinstance(payload, dict):
                raise Retry("HTTP 200 with a body that is not a JSON object")
            return payload
        if status == 429:
            fallback = min(MAX_BACKOFF, 2.0 ** min(self.stats.rate_limited, 6))
            raise RateLimited(self.pacer.rate_limited(kind, response.headers, fallback))
        if status >= 500:
            raise Retry(f"HTTP {status}: {error_text(status, content)}")
        raise self._client_error(method, path, status, content)

    def _client_error(self, method, path, status, content):
        detail = error_text(status, content)
        # Which status a wrong-pod answer comes with is not documented; its text is what identifies it.
        if status == 401 or POD_PATTERN.search(detail):
            return auth_failure(detail, self.base_url)
        if status == 403:
            return AccessDenied(f"HTTP 403 on {method} {path}: {detail}")
        if status == 400:
            return BadRequest(f"{method} {path} was refused (HTTP 400: {detail})", detail)
        return TapError(f"{method} {path} failed with HTTP {status}: {detail}")
