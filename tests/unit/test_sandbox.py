"""The Kustomer simulator, exercised over real HTTP the way the tap will use it."""
import http.client
import json
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests

from tests.sandbox import Dataset, Simulator, SimOptions, TokenSpec
from tests.sandbox import store as store_module
from tests.sandbox.data import DAY_MS, PROFILES, PageTie
from tests.sandbox.ratelimit import RateLimiter
from tests.sandbox.timefmt import fmt_ms

ROOT = Path(__file__).resolve().parents[2]
SEARCH = "/v1/customers/search"
ARCHIVE = "/v1/customers/archive/search"
STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
SEARCH_CONTEXTS = {"customers": "customer", "conversations": "conversation", "messages": "message",
                   "notes": "note", "kobjects": "kobject", "companies": "company"}
LIST_STREAMS = ("users", "teams", "tags", "shortcuts", "brands", "companies")


@pytest.fixture(name="small", scope="module")
def fixture_small():
    """The small profile's counts and in-span bursts over 700 days, all inside standard search's horizon:
    these tests are about search and list mechanics; test_sandbox_archive.py covers the horizon."""
    return Dataset.generate(seed=7, counts=PROFILES["small"]["counts"], tie_bursts={"customers": 1200, "messages": 600},
                            history_days=700)


@pytest.fixture(name="big", scope="module")
def fixture_big():
    """Enough customers inside the horizon to hit the 10,000-result cap."""
    return Dataset.generate(seed=3, counts={"customers": 10_500}, history_days=700)


def headers(sim, token=None):
    return {"Authorization": f"Bearer {token or sim.token}"}


def search(sim, body, token=None, timeout=10, **params):
    return requests.post(sim.url + SEARCH, json=body, params=params, headers=headers(sim, token), timeout=timeout)


def get(sim, path, token=None, timeout=10, **params):
    return requests.get(sim.url + path, params=params, headers=headers(sim, token), timeout=timeout)


def since(context, value="2000-01-01", op="gte", direction="asc"):
    return {"queryContext": context, "and": [{f"{context}_updated_at": {op: value}}],
            "sort": [{f"{context}_updated_at": direction}], "or": []}


def error_detail(response):
    entry = response.json()["errors"][0]
    assert entry["status"] == response.status_code
    assert entry["detail"] == entry["message"]
    return entry["detail"]


def burst_stamp(truth, stream, size):
    stamp, count = Counter(truth[stream].values()).most_common(1)[0]
    assert count == size
    return stamp


def walk_search(sim, context, path=SEARCH):
    seen, page = {}, 1
    while True:
        body = requests.post(sim.url + path, json=since(context), params={"page": page, "pageSize": 500},
                             headers=headers(sim), timeout=10).json()
        seen.update((r["id"], r["attributes"]["updatedAt"]) for r in body["data"])
        if not body["links"]["next"]:
            return seen
        page += 1


def walk_list(sim, name):
    seen, path, params = {}, f"/v1/{name}", {"pageSize": 1000}
    while path:
        body = get(sim, path, **params).json()
        seen.update((r["id"], r["attributes"]["updatedAt"]) for r in body["data"])
        path, params = body["links"]["next"], {}
    return seen


def test_search_envelope_and_relative_links(small):
    with Simulator(small, SimOptions(tie_order="id")) as sim:
        first = search(sim, since("customer"), pageSize=100)
        assert first.status_code == 200
        body = first.json()
        assert body["meta"] == {"pageSize": 100, "page": 1, "total": 1500, "totalPages": 15, "aggregations": {}}
        assert body["links"] == {"self": f"{SEARCH}?page=1&pageSize=100", "first": f"{SEARCH}?page=1&pageSize=100",
                                 "prev": None, "next": f"{SEARCH}?page=2&pageSize=100",
                                 "last": f"{SEARCH}?page=15&pageSize=100"}
        record = body["data"][0]
        assert set(record) == {"type", "id", "attributes", "relationships", "links"}
        assert record["type"] == "customer" and re.fullmatch(r"[0-9a-f]{24}", record["id"])
        assert record["links"]["self"] == f"/v1/customers/{record['id']}"
        last = search(sim, since("customer"), page=15, pageSize=100).json()
        assert last["links"]["next"] is None and last["links"]["prev"] == f"{SEARCH}?page=14&pageSize=100"
        beyond = search(sim, since("customer"), page=16, pageSize=100).json()
        assert beyond["data"] == [] and beyond["links"]["next"] is None
        default = search(sim, since("customer")).json()
        assert default["meta"]["pageSize"] == 100 and len(default["data"]) == 100
        stamps = [r["attributes"]["updatedAt"] for r in body["data"]]
        assert stamps == sorted(stamps) and all(STAMP.match(s) for s in stamps)


def test_list_envelope_echoes_params_and_ends_with_null_next(small):
    with Simulator(small) as sim:
        body = get(sim, "/v1/tags/", deleted="false").json()
        assert body["meta"] == {"pageSize": 100, "page": 1}
        assert body["links"] == {"self": "/v1/tags?deleted=false&page=1&pageSize=100",
                                 "first": "/v1/tags?deleted=false&page=1&pageSize=100", "prev": None,
                                 "next": "/v1/tags?deleted=false&page=2&pageSize=100"}
        second = get(sim, "/v1/tags", page=2).json()
        assert len(second["data"]) == 50 and second["links"]["next"] is None
        assert get(sim, "/v1/tags", page=3).json()["data"] == []
        ids = [r["id"] for r in body["data"] + second["data"]]
        assert ids == sorted(ids) == small.ids("tags")
        customers = get(sim, "/v1/customers").json()
        assert customers["meta"]["total"] == 1500 and customers["links"]["last"].endswith("page=15&pageSize=100")


def test_tie_longer_than_a_page_is_paged_in_id_order(small):
    with Simulator(small, SimOptions(tie_order="id")) as sim:
        assert burst_stamp(sim.truth(), "customers", 1200)
        stamp = burst_stamp(sim.truth(), "messages", 600)
        ids = []
        for page in (1, 2, 3):
            body = search(sim, since("message", stamp, "equals"), page=page, pageSize=250).json()
            assert {r["attributes"]["updatedAt"] for r in body["data"]} == {stamp}
            ids += [r["id"] for r in body["data"]]
        assert len(ids) == 600 and ids == sorted(ids)
        window = search(sim, since("message", stamp), pageSize=250).json()
        assert window["data"][0]["attributes"]["updatedAt"] == stamp
        assert window["links"]["next"] == f"{SEARCH}?page=2&pageSize=250"


def test_page_walk_through_a_shuffled_tie_misses_records(small):
    with Simulator(small, SimOptions(tie_order="shuffle")) as sim:
        assert len(walk_search(sim, "message")) < len(sim.truth()["messages"])


def test_tie_shuffle_changes_order_not_membership():
    dataset = Dataset.generate(seed=11, counts={"notes": 50}, tie_bursts={"notes": 300})
    with Simulator(dataset, SimOptions(tie_order="shuffle", seed=5)) as sim:
        stamp = burst_stamp(sim.truth(), "notes", 300)
        orders = [[r["id"] for r in search(sim, since("note", stamp, "equals"), pageSize=500).json()["data"]]
                  for _ in range(3)]
        assert len({tuple(order) for order in orders}) > 1
        assert {frozenset(order) for order in orders} == {frozenset(orders[0])} and len(orders[0]) == 300


def test_page_tie_lands_where_its_rank_says_and_density_leaves_quiet_spans():
    anchor = 1_700_000_000_000
    dataset = Dataset.generate(seed=3, counts={"notes": 2000}, now=anchor, history_days=100,
                               tie_bursts={"notes": [PageTie(300, 400), PageTie(200, 100, from_age_days=50)]},
                               density={"notes": [1, 0, 1, 0]})
    stamps = sorted(record.updated for record in dataset.records["notes"])
    counts = Counter(stamps)
    first, second = (stamp for stamp, size in counts.items() if size >= 200)
    # The tie shares the stamp of the record 400 in; natural ties of up to 5 may start it a little earlier.
    assert 395 <= stamps.index(first) <= 400 and counts[first] >= 300
    newer = [stamp for stamp in stamps if stamp >= anchor - 50 * DAY_MS]
    assert 95 <= newer.index(second) <= 100 and counts[second] >= 200
    # Slice 2 of 4 (the history ends a day before the anchor: days 75.25 to 50.5 back) gets no records.
    quiet = [stamp for stamp in stamps if anchor - 75 * DAY_MS <= stamp < anchor - 51 * DAY_MS]
    assert quiet == []


def test_result_cap_and_page_cap(big):
    with Simulator(big, SimOptions(tie_order="id")) as sim:
        page20 = search(sim, since("customer"), page=20, pageSize=500).json()
        assert len(page20["data"]) == 500 and page20["meta"]["total"] == 10_500
        assert page20["links"]["next"] == f"{SEARCH}?page=21&pageSize=500"
        over = search(sim, since("customer"), page=21, pageSize=500)
        assert over.status_code == 400 and "10000 results" in error_detail(over)
        page100 = search(sim, since("customer"), page=100, pageSize=100).json()
        assert page100["links"]["next"] == f"{SEARCH}?page=101&pageSize=100"
        page101 = search(sim, since("customer"), page=101, pageSize=100)
        assert page101.status_code == 400 and "100 pages" in error_detail(page101)
        straddling = search(sim, since("customer"), page=34, pageSize=300).json()
        assert len(straddling["data"]) == 100
        assert search(sim, since("customer"), page=102, pageSize=5).status_code == 400


def test_page_size_is_clamped_per_endpoint(small):
    with Simulator(small) as sim:
        body = search(sim, since("customer"), pageSize=1000).json()
        assert body["meta"]["pageSize"] == 500 and len(body["data"]) == 500
        assert body["links"]["next"] == f"{SEARCH}?page=2&pageSize=500"
        assert get(sim, "/v1/tags", pageSize=1000).json()["meta"]["pageSize"] == 100
        assert get(sim, "/v1/users", pageSize=1000).json()["meta"]["pageSize"] == 500
        assert search(sim, since("customer"), pageSize=0).status_code == 400
        assert get(sim, "/v1/tags", page="x").status_code == 400
        assert sim.requests[0]["page_size"] == 500


def test_criteria_accept_dates_and_iso_forms(small):
    with Simulator(small) as sim:
        stamps = sorted(sim.truth()["conversations"].values())
        day = stamps[len(stamps) // 2][:10]
        expected = sum(1 for s in stamps if s >= f"{day}T00:00:00.000Z")

        def total(value, **extra):
            body = {**since("conversation", value), **extra}
            response = search(sim, body, pageSize=1)
            assert response.status_code == 200, response.text
            return response.json()["meta"]["total"]
        assert total(day) == total(f"{day}T00:00:00Z") == total(f"{day}T00:00:00.000Z") == expected
        assert total(f"{day}T02:00:00+02:00") == total(f"{day} 00:00:00+00:00") == expected
        tokyo_midnight = f"{date.fromisoformat(day) - timedelta(days=1)}T15:00:00.000Z"
        assert total(day, timeZone="Asia/Tokyo") == sum(1 for s in stamps if s >= tokyo_midnight)
        exact = stamps[len(stamps) // 2]
        assert total(exact) - total(exact, **{"and": [{"conversation_updated_at": {"gt": exact}}]}) >= 1
        both = {"queryContext": "conversation", "and": {"conversation_updated_at": {"gte": day, "lt": exact}}}
        assert search(sim, both, pageSize=1).json()["meta"]["total"] == sum(1 for s in stamps if f"{day}T" <= s < exact)
        for bad in ("yesterday", "2024-13-01", 1_700_000_000_000):
            assert search(sim, since("conversation", bad)).status_code == 400


def test_id_and_created_criteria(small):
    with Simulator(small) as sim:
        ids = small.ids("notes")[:3]
        body = {"queryContext": "note", "and": [{"note_id": {"in": ids}}]}
        assert sorted(r["id"] for r in search(sim, body).json()["data"]) == sorted(ids)
        body = {"queryContext": "note", "and": [{"note_updated_at": {"gte": "2000-01-01"}}],
                "not": [{"note_id": {"equals": ids[0]}}]}
        assert search(sim, body).json()["meta"]["total"] == 199
        body = {"queryContext": "note", "and": [{"note_created_at": {"lt": "2000-01-01"}}]}
        assert search(sim, body).json()["meta"]["total"] == 0


def test_or_in_and_klass_contexts(small):
    with Simulator(small) as sim:
        ids = small.ids("companies")[5:7]
        either = {"queryContext": "company", "or": [{"company_id": {"equals": ids[0]}},
                                                    {"company_id": {"equals": ids[1]}}]}
        assert sorted(r["id"] for r in search(sim, either).json()["data"]) == sorted(ids)
        stamps = sorted(set(sim.truth()["notes"].values()))[:2]
        listed = {"queryContext": "note", "and": [{"note_updated_at": {"in": stamps}}]}
        found = search(sim, listed).json()["data"]
        assert found and {r["attributes"]["updatedAt"] for r in found} == set(stamps)
        orders = search(sim, {"queryContext": "kobject_order"}, pageSize=500).json()
        assert 0 < orders["meta"]["total"] < 200 and {r["type"] for r in orders["data"]} == {"kobject.order"}


def test_chunked_request_body_keeps_the_connection_usable(small):
    with Simulator(small) as sim, requests.Session() as session:
        chunks = (part.encode() for part in ('{"queryContext": ', '"note"}'))
        response = session.post(sim.url + SEARCH, data=chunks, timeout=10,
                                headers={**headers(sim), "Content-Type": "application/json"})
        assert response.status_code == 200 and response.json()["meta"]["total"] == 200
        assert session.get(sim.url + "/v1/brands", headers=headers(sim), timeout=10).status_code == 200


def test_invalid_search_requests_are_400(small):
    with Simulator(small) as sim:
        cases = [
            {"queryContext": "customer", "and": [{"customer_name": {"equals": "x"}}]},
            {"queryContext": "customer", "and": [{"customer_updated_at": {"contains": "x"}}]},
            {"queryContext": "customer", "limit": 5},
            {"queryContext": "customers"},
            {"and": []},
            {"queryContext": "customer", "sort": [{"customer_created_at": "asc"}]},
            {"queryContext": "customer", "timeZone": "Mars/Olympus"},
            {"queryContext": "customer", "and": [{"customer_id": {"gte": "a"}}]},
        ]
        for body in cases:
            response = search(sim, body)
            assert response.status_code == 400, body
            assert response.json()["errors"][0]["code"] == "bad_request"
        form = requests.post(sim.url + SEARCH, data="queryContext=customer",
                             headers={**headers(sim), "Content-Type": "application/x-www-form-urlencoded"},
                             timeout=10)
        assert form.status_code == 400
        assert search(sim, {"queryContext": "work_item"}).json()["meta"]["total"] == 0


def test_company_updated_at_toggle(small):
    body = since("company")
    with Simulator(small) as sim:
        assert search(sim, body).json()["meta"]["total"] == 150
    with Simulator(small, SimOptions(company_updated_at_supported=False)) as sim:
        refused = search(sim, body)
        assert refused.status_code == 400 and "company_updated_at" in error_detail(refused)
        created = {"queryContext": "company", "and": [{"company_created_at": {"gte": "2000-01-01"}}]}
        assert search(sim, created).json()["meta"]["total"] == 150
        assert len(walk_list(sim, "companies")) == 150


def test_auth_failures_are_401_with_the_api_details(small):
    tokens = {"good": TokenSpec(), "old": TokenSpec(expired=True), "eu": TokenSpec(pod="prod2")}
    with Simulator(small, SimOptions(tokens=tokens)) as sim:
        assert sim.token == "good"
        assert get(sim, "/v1/users/current/").status_code == 200
        missing = requests.get(sim.url + "/v1/tags", timeout=10)
        cases = [(missing, "Invalid token"), (get(sim, "/v1/tags", token="nope"), "Invalid token"),
                 (get(sim, "/v1/tags", token="old"), "Expired token"),
                 (get(sim, "/v1/tags", token="eu"),
                  "Auth token associated with pod prod2 but request is being handled by prod1")]
        for response, detail in cases:
            assert response.status_code == 401 and error_detail(response) == detail
            assert response.json()["errors"][0]["code"] == "unauthorized"
            assert "x-ratelimit-remaining" in response.headers
        wrong_scheme = requests.get(sim.url + "/v1/tags", headers={"Authorization": "Token good"}, timeout=10)
        assert wrong_scheme.status_code == 401


def test_default_token_looks_like_a_jwt_and_is_unique(small):
    with Simulator(small) as one, Simulator(small) as two:
        assert one.token.startswith("eyJ") and one.token.count(".") == 2 and len(one.token) > 200
        assert one.token != two.token
        assert get(one, "/v1/auth/tokens/current").json()["data"]["attributes"]["lastTokenChars"] == one.token[-4:]


def test_denied_roles_are_403(small):
    tokens = {"limited": TokenSpec(denied=frozenset({"conversation", "users"}))}
    with Simulator(small, SimOptions(tokens=tokens)) as sim:
        refused = search(sim, since("conversation"))
        assert refused.status_code == 403 and "org.permission.conversation.read" in error_detail(refused)
        users = get(sim, "/v1/users")
        assert users.status_code == 403 and "org.permission.user.read" in error_detail(users)
        assert search(sim, since("customer")).status_code == 200
        assert get(sim, "/v1/users/current").status_code == 200
        assert get(sim, "/v1/auth/tokens/current").status_code == 200


def test_search_budget_gives_429_with_epoch_reset(small):
    options = SimOptions(search_limit=3, org_limit=5)
    with Simulator(small, options) as sim:
        answers = [search(sim, since("customer")) for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        assert [a.headers["x-ratelimit-remaining"] for a in answers] == ["2", "1", "0", "0"]
        assert {a.headers["x-ratelimit-limit"] for a in answers} == {"3"}
        assert int(answers[3].headers["x-ratelimit-reset"]) >= int(time.time())
        assert "Retry-After" not in answers[3].headers
        assert "search" in error_detail(answers[3])
        lists = [get(sim, "/v1/tags") for _ in range(2)]
        assert [r.status_code for r in lists] == [200, 429]
        assert lists[1].headers["x-ratelimit-limit"] == "5"
        stats = sim.stats()
        assert stats["rate_limited"] == 2 and stats["by_status"][429] == 2
        assert [r["ratelimited"] for r in sim.requests] == [False] * 3 + [True, False, True]


def test_budget_429_with_delta_reset_and_retry_after(small):
    options = SimOptions(org_limit=2, reset_style="delta", retry_after=True, rate_window_seconds=30)
    with Simulator(small, options) as sim:
        answers = [get(sim, "/v1/brands") for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 429]
        assert 0 <= int(answers[2].headers["x-ratelimit-reset"]) <= 30
        assert 1 <= int(answers[2].headers["Retry-After"]) <= 30
        assert answers[2].json()["errors"][0]["code"] == "too_many_requests"


def test_budget_window_refills_once_it_has_passed():
    limiter = RateLimiter(SimOptions(search_limit=1, reset_style="delta"))
    assert limiter.admit("search", now=1000.0) == (None, {"x-ratelimit-limit": "1", "x-ratelimit-remaining": "0",
                                                      "x-ratelimit-reset": "60"})
    refusal, limit_headers = limiter.admit("search", now=1059.5)
    assert "search" in refusal and limit_headers["x-ratelimit-reset"] == "1"
    assert limiter.admit("search", now=1060.0)[0] is None


def test_rate_limits_off_keeps_remaining_high(small):
    with Simulator(small, SimOptions(rate_limits=False, search_limit=1)) as sim:
        answers = [search(sim, since("note")) for _ in range(3)]
        assert {a.status_code for a in answers} == {200}
        assert {a.headers["x-ratelimit-remaining"] for a in answers} == {"1"}


def test_every_fault_kind_is_observable(small):
    script = ["500_json", "502_html", "503", "drop", "truncate", "invalid_json", None]
    with Simulator(small, SimOptions(fault_script=script)) as sim:
        five_hundred = get(sim, "/v1/brands")
        assert five_hundred.status_code == 500 and five_hundred.json()["errors"][0]["status"] == 500
        gateway = get(sim, "/v1/brands")
        assert gateway.status_code == 502 and gateway.text.startswith("<html>")
        unavailable = get(sim, "/v1/brands")
        assert unavailable.status_code == 503 and unavailable.content == b""
        with pytest.raises(requests.exceptions.ConnectionError):
            get(sim, "/v1/brands")
        with pytest.raises((requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError)):
            get(sim, "/v1/brands")
        corrupt = get(sim, "/v1/brands")
        assert corrupt.status_code == 200 and len(corrupt.content) == int(corrupt.headers["Content-Length"])
        with pytest.raises(ValueError):
            json.loads(corrupt.content)
        assert get(sim, "/v1/brands").json()["data"]
        assert [r["fault"] for r in sim.requests] == script
        assert sim.requests[3]["status"] is None
        assert sim.stats()["faults"] == {kind: 1 for kind in script if kind}


def test_truncated_body_is_short_of_its_content_length(small):
    with Simulator(small, SimOptions(fault_script=["truncate"])) as sim:
        host, port = sim.url.rsplit("/", 1)[1].split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        connection.request("GET", "/v1/tags", headers=headers(sim))
        response = connection.getresponse()
        with pytest.raises(http.client.IncompleteRead) as short:
            response.read()
        connection.close()
        assert response.status == 200
        assert 0 < len(short.value.partial) < int(response.getheader("Content-Length"))
        with pytest.raises(ValueError):
            json.loads(short.value.partial)


def test_stall_outlasts_client_timeout_then_answers_normally(small):
    with Simulator(small, SimOptions(fault_script=["stall"], stall_seconds=2)) as sim:
        with pytest.raises(requests.exceptions.Timeout):
            search(sim, since("customer"), timeout=0.5)
        assert search(sim, since("customer")).status_code == 200
    with Simulator(small, SimOptions(fault_script=["stall"], stall_seconds=0.1)) as sim:
        assert get(sim, "/v1/brands").status_code == 200
        assert sim.requests[0]["fault"] == "stall" and sim.requests[0]["status"] == 200


def test_stop_is_prompt_while_a_stall_holds_a_connection(small):
    sim = Simulator(small, SimOptions(fault_script=["stall"], stall_seconds=600)).start()
    with pytest.raises(requests.exceptions.Timeout):
        get(sim, "/v1/tags", timeout=0.5)
    assert get(sim, "/v1/teams").status_code == 200
    stopper = threading.Thread(target=sim.stop)
    stopper.start()
    # A liveness guard, far below the 600 s stall, not a timing assertion.
    stopper.join(timeout=20)
    assert not stopper.is_alive()


def test_random_faults_follow_the_seed(small):
    def faults(seed):
        with Simulator(small, SimOptions(fault_rate=0.5, fault_kinds=("503", "500_json"), seed=seed)) as sim:
            for _ in range(12):
                get(sim, "/v1/brands")
            assert requests.get(sim.url + "/_sim/stats", timeout=10).status_code == 200
            return [r["fault"] for r in sim.requests]
    first = faults(1)
    assert first == faults(1) and set(first) == {None, "503", "500_json"}


def test_faulted_search_does_not_trigger_mutations(small):
    options = SimOptions(fault_script=["503"], mutations=[(1, "customers", 2)])
    with Simulator(small, options) as sim:
        before = sim.truth()["customers"]
        assert search(sim, since("customer")).status_code == 503
        assert sim.truth()["customers"] == before
        assert search(sim, since("customer")).status_code == 200
        changed = {i for i, stamp in sim.truth()["customers"].items() if before[i] != stamp}
        assert len(changed) == 2


def test_mutate_moves_a_record_to_the_end(small):
    with Simulator(small, SimOptions(tie_order="id")) as sim:
        old = sim.truth()["messages"]
        [moved] = sim.mutate("messages", 1)
        stamp = sim.truth()["messages"][moved]
        assert stamp > max(old.values()) and STAMP.match(stamp)
        body = search(sim, since("message"), page=2, pageSize=500).json()
        assert body["links"]["next"] is None and body["data"][-1]["id"] == moved
        record = body["data"][-1]["attributes"]
        assert record["updatedAt"] == stamp
        newest = search(sim, since("message", direction="desc"), pageSize=1).json()["data"][0]
        assert newest["id"] == moved and newest["attributes"]["rev"] == record["rev"]


def test_scheduled_mutation_lands_mid_walk(small):
    with Simulator(small, SimOptions(mutations=[(2, "customers", 3)])) as sim:
        before = sim.truth()["customers"]
        for _ in range(2):
            assert search(sim, since("customer"), pageSize=1).json()["meta"]["total"] == 1500
        newest = search(sim, since("customer", direction="desc"), pageSize=3).json()["data"]
        after = sim.truth()["customers"]
        assert {r["id"] for r in newest} == {i for i in after if after[i] != before[i]}
        assert {r["attributes"]["updatedAt"] for r in newest} == {max(after.values())}


def test_index_lag_hides_fresh_updates_from_search_only(small):
    with Simulator(small, SimOptions(index_lag_seconds=3600)) as sim:
        old = sim.truth()["customers"]
        [moved] = sim.mutate("customers", 1)
        fresh = sim.truth()["customers"][moved]
        assert fresh != old[moved]
        hit = search(sim, {"queryContext": "customer", "and": [{"customer_id": {"equals": moved}}]}).json()
        assert hit["data"][0]["attributes"]["updatedAt"] == old[moved]
        assert search(sim, since("customer", fresh)).json()["meta"]["total"] == 0
        page = small.ids("customers").index(moved) // 100 + 1
        listed = {r["id"]: r for r in get(sim, "/v1/customers", page=page).json()["data"]}
        assert listed[moved]["attributes"]["updatedAt"] == fresh


def test_index_catches_up_once_the_lag_has_passed(small, monkeypatch):
    clock = [small.anchor_ms]
    monkeypatch.setattr(store_module, "now_ms", lambda: clock[0])
    store = store_module.Store(small, index_lag_seconds=10)
    [moved] = store.mutate("notes", 1)
    original = next(r for r in small.records["notes"] if r.id == moved)
    with store.lock:
        assert (original.updated, moved, original.rev) in store.search_entries("notes")
    clock[0] += 10_000
    with store.lock:
        assert store.search_entries("notes")[-1] == (small.anchor_ms, moved, store.record("notes", moved).rev)


def test_restart_and_recorded_bodies(small):
    sim = Simulator(small, SimOptions(record_bodies=True)).start()
    url = sim.url
    first = get(sim, "/v1/brands").content
    sim.stop()
    with pytest.raises(RuntimeError):
        assert sim.url
    sim.start()
    try:
        assert sim.url == url and get(sim, "/v1/brands").content == first
        get(sim, "/v1/nothing")
        assert sim.served_bodies == [first, first] and len(sim.requests) == 3
    finally:
        sim.stop()


def test_truth_matches_a_full_walk():
    counts = {stream: 130 for stream in (*SEARCH_CONTEXTS, *LIST_STREAMS)}
    dataset = Dataset.generate(seed=9, counts=counts, tie_bursts={"customers": 700, "notes": 40})
    with Simulator(dataset, SimOptions(tie_order="id")) as sim:
        truth = sim.truth()
        assert set(truth) == set(SEARCH_CONTEXTS) | set(LIST_STREAMS)
        edge = fmt_ms(sim.search_edge())
        for stream, context in SEARCH_CONTEXTS.items():
            if context == "note":
                # Archive search has no note context: older notes are out of every search's reach.
                assert walk_search(sim, context) == {i: s for i, s in truth[stream].items() if s >= edge}
                continue
            assert {**walk_search(sim, context), **walk_search(sim, context, ARCHIVE)} == truth[stream], stream
        for stream in LIST_STREAMS:
            assert walk_list(sim, stream) == truth[stream], stream


def test_generation_is_deterministic_by_seed():
    def snapshot(seed):
        dataset = Dataset.generate(seed=seed, counts={"customers": 40, "messages": 40}, now=1_750_000_000_000)
        with Simulator(dataset) as sim:
            return sim.truth(), get(sim, "/v1/messages").content
    first = snapshot(4)
    assert first == snapshot(4)
    assert first[0] != snapshot(5)[0]


def test_generated_timelines_have_ties_and_sane_stamps(small):
    for stream, records in small.records.items():
        assert all(r.created <= r.updated < small.anchor_ms - 86_400_000 + 1 for r in records), stream
        assert len({r.id for r in records}) == len(records)
    natural = Counter(r.updated for r in small.records["conversations"])
    assert sum(1 for n in natural.values() if 2 <= n <= 5) >= 10
    assert max(Counter(r.updated for r in small.records["messages"]).values()) == 600
    with pytest.raises(ValueError):
        Dataset.profile("huge")
    demo = Dataset.profile("demo", seed=1)
    assert max(Counter(r.updated for r in demo.records["conversations"]).values()) == 550


def test_records_reproduce_the_api_quirks(small):
    with Simulator(small) as sim:
        bodies = search(sim, since("message"), pageSize=500).json()["data"]
        shapes = {type(m["attributes"]["meta"]["to"]).__name__ if "to" in m["attributes"].get("meta", {})
                  else "absent" for m in bodies}
        assert shapes == {"list", "dict", "str", "absent"}
        assert {m["relationships"]["customer"]["data"]["type"] for m in bodies} == {"customers"}
        assert all(isinstance(m["relationships"]["shortcuts"]["data"], list) for m in bodies)
        conversation = next(c for c in search(sim, since("conversation")).json()["data"] if "sla" in c["attributes"])
        assert conversation["relationships"]["sla"]["data"]["type"] == "sla"
        assert set(conversation["relationships"]["messages"]) == {"links"}
        kobjects = search(sim, since("kobject"), pageSize=500).json()["data"]
        assert len({k["type"] for k in kobjects}) > 1 and all(k["type"].startswith("kobject.") for k in kobjects)
        assert all(set(k["relationships"]["klass"]) == {"link", "data"} for k in kobjects)
        brands = get(sim, "/v1/brands").json()["data"]
        assert [b["attributes"]["default"] for b in brands] == [True, False, False]
        assert "modifiedAt" not in brands[0]["attributes"] and "modifiedAt" in brands[1]["attributes"]
        customs = [c["attributes"]["custom"] for c in search(sim, since("customer"), pageSize=500).json()["data"]]
        assert len({frozenset(c) for c in customs}) > 10 and {} in customs
        text = json.dumps(bodies, ensure_ascii=False)
        assert any(ord(ch) > 0xFFFF for ch in text) and re.search("[\u0590-\u06ff]", text)


def test_any_host_header_and_trailing_slash(small):
    with Simulator(small) as sim:
        response = requests.get(sim.url + "/v1/teams/", timeout=10,
                                headers={**headers(sim), "Host": "acme.api.kustomerapp.com"})
        assert response.status_code == 200 and response.json()["data"]
        assert get(sim, "/v1/unknown").status_code == 404


def test_control_endpoints(small):
    with Simulator(small, SimOptions(fault_rate=1.0, org_limit=1)) as sim:
        truth = requests.get(sim.url + "/_sim/truth", timeout=10).json()
        assert truth == sim.truth()
        ids = requests.post(sim.url + "/_sim/mutate", json={"stream": "tags", "count": 2}, timeout=10).json()["ids"]
        assert len(ids) == 2 and all(sim.truth()["tags"][i] != truth["tags"][i] for i in ids)
        assert requests.post(sim.url + "/_sim/mutate", json={"stream": "nope", "count": 1},
                             timeout=10).status_code == 400
        assert requests.get(sim.url + "/_sim/stats", timeout=10).json()["total"] == 0


def test_cli_announces_ready_and_exits_cleanly_on_sigterm():
    command = [sys.executable, "-m", "tests.sandbox", "--port", "0", "--profile", "small", "--seed", "7"]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) as process:
        try:
            word, url, token = process.stdout.readline().split()
            assert word == "READY" and token.startswith("eyJ")
            response = requests.get(url + "/v1/brands", headers={"Authorization": f"Bearer {token}"}, timeout=10)
            assert response.status_code == 200
        finally:
            process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
