"""`decide`, row by row: every entry of client.ROWS, from the outcome of one attempt to what the client does."""
import json
from collections import namedtuple
from dataclasses import replace

import pytest

from tap_kustomer.client import (ANY_ERROR, DROPPED, FAIL, REFUSED, RETRY, RETURN, ROWS, TIMEOUT, UNSENT,
                                 WAIT_BUDGET, History, decide, error_text)
from tap_kustomer.errors import AccessDenied, ApiUnavailable, AuthError, BadRequest, TapError

WALL = 1_700_000_000.0
HISTORY = History("GET", "/v1/tags", "https://api.kustomerapp.com", 5.0, contacted=True)
WRONG_POD = json.dumps({"errors": [{"status": 401, "title": "Unauthorized",
                                    "detail": "Token is associated with pod prod2"}]})


def errors_body(detail):
    return json.dumps({"errors": [{"detail": detail}]}).encode()


Case = namedtuple("Case", "row status headers body attempt changes kind wait error words")
CASES = [Case(*case) for case in [
    ("200", 200, {}, b'{"data": []}', 0, {}, RETURN, 0.0, None, ()),
    ("200", 200, {}, b'{"data": [', 0, {}, RETRY, 1.0, None, ("HTTP 200", "not valid JSON")),
    ("200", 200, {}, b"[1, 2]", 2, {}, RETRY, 4.0, None, ("not a JSON object",)),
    ("200", 200, {}, b"<html>", 7, {}, FAIL, 0.0, ApiUnavailable, ("GET /v1/tags failed 8 times", "not valid JSON")),
    ("429", 429, {}, b"", 0, {}, WAIT_BUDGET, 1.0, None, ()),
    ("429", 429, {}, b"", 0, {"rate_limited": 3}, WAIT_BUDGET, 8.0, None, ()),
    ("429", 429, {}, b"", 0, {"rate_limited": 9}, WAIT_BUDGET, 60.0, None, ()),
    ("429", 429, {"retry-after": "7", "x-ratelimit-reset": "30"}, b"", 0, {}, WAIT_BUDGET, 7.0, None, ()),
    ("429", 429, {"x-ratelimit-reset": str(int(WALL * 1000) + 30_000)}, b"", 0, {}, WAIT_BUDGET, 30.0, None, ()),
    ("429", 429, {"retry-after": "0"}, b"", 0, {"rate_limited": 1}, WAIT_BUDGET, 2.0, None, ()),
    ("429", 429, {"retry-after": "7"}, b"", 0, {"rate_waited": 895.0}, FAIL, 0.0, ApiUnavailable,
     ("GET /v1/tags: still rate limited (HTTP 429) after waiting 902 s", "max_requests_per_minute")),
    ("5xx", 503, {}, b"Service Unavailable", 0, {}, RETRY, 1.0, None, ("HTTP 503: HTTP 503",)),
    ("5xx", 500, {}, errors_body("database timeout"), 3, {}, RETRY, 8.0, None, ("HTTP 500: database timeout",)),
    ("5xx", 502, {}, b"", 6, {}, RETRY, 60.0, None, ("HTTP 502",)),
    ("5xx", 502, {}, b"", 7, {}, FAIL, 0.0, ApiUnavailable, ("GET /v1/tags failed 8 times; last error: HTTP 502",)),
    ("401", 401, {}, errors_body("Invalid token"), 0, {}, FAIL, 0.0, AuthError,
     ("rejected the API token (HTTP 401: Invalid token)", "check api_token")),
    ("401", 401, {}, errors_body("Access denied"), 0, {"accepted": True}, FAIL, 0.0, AccessDenied,
     ("HTTP 401 on GET /v1/tags", "accepted earlier in this run", "role lacks this resource")),
    ("expired token", 401, {}, errors_body("Expired token"), 0, {}, FAIL, 0.0, AuthError,
     ("has expired", "API Keys", "api_token")),
    ("wrong pod", 401, {}, WRONG_POD.encode(), 0, {}, FAIL, 0.0, AuthError,
     ("pod prod2", "base_url https://api.kustomerapp.com", "set base_url to https://api.prod2.kustomerapp.com")),
    ("wrong pod", 403, {}, WRONG_POD.encode(), 0, {}, FAIL, 0.0, AuthError, ("pod prod2",)),
    ("wrong pod", 400, {}, WRONG_POD.encode(), 0, {}, FAIL, 0.0, AuthError, ("pod prod2",)),
    ("wrong pod", 404, {}, WRONG_POD.encode(), 0, {}, FAIL, 0.0, AuthError, ("pod prod2",)),
    ("wrong pod", 500, {}, WRONG_POD.encode(), 0, {}, FAIL, 0.0, AuthError, ("pod prod2",)),
    ("wrong pod", 429, {}, WRONG_POD.encode(), 0, {}, FAIL, 0.0, AuthError, ("pod prod2",)),
    ("wrong pod", 401, {}, errors_body("Token is associated with pod prod9"), 0, {}, FAIL, 0.0, AuthError,
     ("pod prod9", "your org host https://<org>.api.kustomerapp.com")),
    ("403", 403, {}, errors_body("missing org.permission.tag.read"), 0, {}, FAIL, 0.0, AccessDenied,
     ("HTTP 403 on GET /v1/tags: missing org.permission.tag.read",)),
    ("400", 400, {}, errors_body("company_updated_at is not searchable"), 0, {}, FAIL, 0.0, BadRequest,
     ("GET /v1/tags was refused (HTTP 400: company_updated_at is not searchable)",)),
    ("other", 404, {}, json.dumps({"message": "Not found"}).encode(), 0, {}, FAIL, 0.0, TapError,
     ("GET /v1/tags failed with HTTP 404: Not found",)),
    ("other", 422, {}, b"", 0, {}, FAIL, 0.0, TapError, ("failed with HTTP 422",)),
    ("other", 302, {}, b"", 0, {}, FAIL, 0.0, TapError, ("failed with HTTP 302",)),
    ("timeout", TIMEOUT, {}, "ReadTimeout", 0, {}, RETRY, 1.0, None, ("no answer within 5 s",)),
    ("timeout", TIMEOUT, {}, "ReadTimeout", 7, {}, FAIL, 0.0, ApiUnavailable, ("failed 8 times", "no answer")),
    ("dropped", DROPPED, {}, "ChunkedEncodingError", 1, {}, RETRY, 2.0, None,
     ("connection dropped (ChunkedEncodingError)",)),
    ("refused", REFUSED, {}, "ConnectionError", 1, {"contacted": False}, RETRY, 2.0, None,
     ("connection failed (ConnectionError)",)),
    ("refused", REFUSED, {}, "ConnectionError", 2, {"contacted": False}, FAIL, 0.0, ApiUnavailable,
     ("cannot reach https://api.kustomerapp.com (connection failed (ConnectionError))", "check base_url or region")),
    ("refused", REFUSED, {}, "ConnectionError", 2, {}, RETRY, 4.0, None, ("connection failed",)),
    ("unsendable", UNSENT, {}, "InvalidHeader", 0, {}, FAIL, 0.0, TapError,
     ("GET /v1/tags could not be sent (InvalidHeader)", "stray characters")),
]]


def first_row(status, body):
    detail = error_text(status, body) if status in ANY_ERROR else ""
    return next(row.name for row in ROWS if row.matches(status, detail))


def test_every_row_has_cases():
    assert {case.row for case in CASES} == {row.name for row in ROWS}


@pytest.mark.parametrize("case", CASES, ids=[f"{case.row}-{case.status}-{index}" for index, case in enumerate(CASES)])
def test_decide(case):
    action = decide(case.status, case.headers, case.body, case.attempt, replace(HISTORY, **case.changes), WALL)
    assert first_row(case.status, case.body) == case.row
    assert (action.kind, action.wait) == (case.kind, case.wait)
    if case.kind == RETURN:
        assert action.payload == json.loads(case.body)
    if case.kind == FAIL:
        failure = action.failure()
        assert type(failure) is case.error  # pylint: disable=unidiomatic-typecheck
        text = str(failure)
        assert "\n" not in text
    else:
        text = action.line
    for word in case.words:
        assert word in text


def test_bad_request_keeps_the_api_detail():
    action = decide(400, {}, errors_body("bad field"), 0, HISTORY, WALL)
    assert action.failure().detail == "bad field"


def test_a_429_wait_grows_with_the_requests_own_429s_only():
    waits = [decide(429, {}, b"", 0, replace(HISTORY, rate_limited=count), WALL).wait
             for count in range(8)]
    assert waits == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
