"""The client against the simulator in-process, with sleeps recorded instead of slept."""
import logging
import time

import pytest

from tap_kustomer.client import MAX_ATTEMPTS, KustomerClient
from tap_kustomer.config import parse_config
from tap_kustomer.errors import AccessDenied, ApiUnavailable, AuthError, BadRequest
from tap_kustomer.ratelimit import MAX_RESET_SLACK, Pacer
from tests.sandbox import Dataset, SimOptions, Simulator, TokenSpec, make_token
from tests.unit.test_ratelimit import FakeClock


@pytest.fixture(scope="module", name="dataset")
def fixture_dataset():
    return Dataset.profile("small", seed=3)


def client_for(sim, token=None, sleep=None, **config):
    sleeps = []
    values = {"api_token": token or sim.token, "start_date": "2020-01-01", "base_url": sim.url,
              "request_timeout": 1}
    values.update(config)
    client = KustomerClient(parse_config(values), sleep=sleep or sleeps.append, jitter=lambda wait: wait)
    return client, sleeps


def test_retries_then_succeeds_with_backoff_doubling(dataset):
    with Simulator(dataset, SimOptions(fault_script=["503", "500_json", "502_html", "invalid_json"])) as sim:
        client, sleeps = client_for(sim)
        payload = client.get("/v1/tags", {"page": 1, "pageSize": 5})
        assert len(payload["data"]) == 5
        assert sleeps == [1, 2, 4, 8]
        assert client.stats.retries == 4 and client.stats.requests == 5


def test_exhausted_retries_say_what_how_often_and_last_status(dataset):
    with Simulator(dataset, SimOptions(fault_script=["503"] * MAX_ATTEMPTS)) as sim:
        client, sleeps = client_for(sim)
        with pytest.raises(ApiUnavailable) as raised:
            client.get("/v1/tags")
        message = str(raised.value)
        assert "GET /v1/tags failed 8 times" in message and "HTTP 503" in message
        assert len(sleeps) == MAX_ATTEMPTS - 1 and max(sleeps) <= 60


def test_stalls_and_drops_and_truncation_are_retried(dataset):
    with Simulator(dataset, SimOptions(fault_script=["stall", "drop", "truncate"], stall_seconds=3)) as sim:
        client, sleeps = client_for(sim)
        assert client.get("/v1/brands")["data"]
        assert len(sleeps) == 3


@pytest.mark.slow
def test_429_waits_for_the_reset_and_does_not_spend_attempts(dataset):
    options = SimOptions(rate_window_seconds=1, org_limit=1000, search_limit=1, retry_after=True)
    with Simulator(dataset, options) as sim:
        slept = []

        def sleep(seconds):
            slept.append(seconds)
            time.sleep(seconds)

        client, _ = client_for(sim, sleep=sleep, search_requests_per_minute=1000)
        body = {"and": [], "sort": [], "queryContext": "note"}
        for _ in range(3):
            client.pacer.headers["search"].remaining = None  # forget the headers: force a 429
            client.search(body, 1, 1)
        refused = sum(1 for r in sim.requests if r["status"] == 429)
        assert refused >= 1
        assert client.stats.rate_limited == client.stats.retries == refused
        # Each 429 said "Retry-After: 1"; the wait is that second plus the slack earlier 429s added, less the
        # moments between the answer and the wait. The spacing between searches is a few ms and not counted.
        waits = [seconds for seconds in slept if seconds >= 0.5]
        assert len(waits) == refused
        assert all(0.75 <= seconds <= 1.0 + MAX_RESET_SLACK for seconds in waits), waits


class FakeResponse:
    def __init__(self, status, body=b"{}"):
        self.status_code, self.headers, self.raw = status, {}, self
        self.body = body

    def read(self, decode_content):
        assert decode_content
        return self.body

    def release_conn(self):
        pass


class FakeSession:
    def __init__(self, statuses):
        self.statuses = list(statuses)

    def request(self, *_args, **_kwargs):
        return FakeResponse(self.statuses.pop(0))


def test_a_429_without_headers_waits_by_this_requests_own_429s_not_the_runs():
    clock = FakeClock()
    config = parse_config({"api_token": "tok", "start_date": "2020-01-01"})
    client = KustomerClient(config, pacer=Pacer(clock=clock.mono, wall=clock.wall, sleep=clock.sleep))
    client.stats.rate_limited = 40  # earlier requests of a long run
    client.session = FakeSession([429, 429, 200])
    assert client.get("/v1/tags") == {}
    # 1 s, then 2 s, each plus the quarter second of slack per 429 so far; the run's count would make it 60.
    assert clock.sleeps == [1.25, 2.5]
    assert client.stats.rate_limited == 42


@pytest.mark.parametrize("spec,error,words", [
    (TokenSpec(expired=True), AuthError, "expired"),
    (TokenSpec(pod="prod2"), AuthError, "api.prod2.kustomerapp.com"),
    (TokenSpec(denied=frozenset({"tags"})), AccessDenied, "org.permission.tag.read"),
])
def test_refusals_are_typed_and_never_retried(dataset, spec, error, words):
    token = make_token()
    with Simulator(dataset, SimOptions(tokens={token: spec})) as sim:
        client, sleeps = client_for(sim, token=token)
        with pytest.raises(error, match=words):
            client.get("/v1/tags")
        assert not sleeps


def test_bad_request_carries_the_api_detail(dataset):
    with Simulator(dataset, SimOptions(company_updated_at_supported=False)) as sim:
        client, _ = client_for(sim)
        body = {"and": [{"company_updated_at": {"gte": "2024-01-01"}}], "queryContext": "company"}
        with pytest.raises(BadRequest) as raised:
            client.search(body, 1, 10)
        assert raised.value.detail


def test_token_never_reaches_logs_or_reprs(dataset, caplog):
    with Simulator(dataset, SimOptions(fault_script=["503", "drop"])) as sim:
        client, _ = client_for(sim)
        with caplog.at_level(logging.DEBUG):
            client.get("/v1/tags")
        assert sim.token not in caplog.text
        assert sim.token not in repr(client) and sim.token not in repr(client.pacer)
