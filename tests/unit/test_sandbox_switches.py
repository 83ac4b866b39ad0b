"""One switch per point the Kustomer reference leaves UNCERTAIN, each shown over real HTTP to change what
the simulator answers."""
import time
from email.utils import parsedate_to_datetime

import pytest
import requests

from tests.sandbox import Dataset, Simulator, SimOptions, TokenSpec
from tests.sandbox.__main__ import options_from, parse_args
from tests.unit.test_sandbox import ARCHIVE, SEARCH, error_detail, get, headers, search, since, walk_list

# Every record of the five-year small profile stays inside standard search: these tests are not about it.
WIDE = 3650.0


@pytest.fixture(name="small", scope="module")
def fixture_small():
    return Dataset.profile("small", seed=7)


def options(**changes):
    return SimOptions(search_horizon_days=WIDE, **changes)


@pytest.mark.parametrize("semantics", ["intersect", "first", "last"])
def test_bound_semantics_of_two_criteria_on_one_attribute(small, semantics):
    with Simulator(small, options(bound_semantics=semantics)) as sim:
        stamps = sorted(sim.truth()["conversations"].values())
        low, high = stamps[len(stamps) // 4], stamps[3 * len(stamps) // 4]
        body = {"queryContext": "conversation",
                "and": [{"conversation_updated_at": {"gte": low}}, {"conversation_updated_at": {"lt": high}}]}
        expected = {"intersect": sum(1 for s in stamps if low <= s < high),
                    "first": sum(1 for s in stamps if s >= low), "last": sum(1 for s in stamps if s < high)}
        assert search(sim, body).json()["meta"]["total"] == expected[semantics]
        one_object = {"queryContext": "conversation", "and": [{"conversation_updated_at": {"gte": low, "lt": high}}]}
        assert search(sim, one_object).json()["meta"]["total"] == expected["intersect"]


def test_total_cap_caps_meta_total_but_next_keeps_walking(small):
    with Simulator(small, options(tie_order="id")) as sim:
        exact = search(sim, since("customer"), pageSize=100).json()
        assert exact["meta"]["total"] == 2200 and exact["links"]["last"].endswith("page=22&pageSize=100")
    with Simulator(small, options(tie_order="id", total_cap=1000)) as sim:
        first = search(sim, since("customer"), pageSize=100).json()
        assert first["meta"]["total"] == 1000 and first["meta"]["totalPages"] == 10
        assert first["links"]["last"] == f"{SEARCH}?page=10&pageSize=100"
        tenth = search(sim, since("customer"), page=10, pageSize=100).json()
        assert tenth["links"]["next"] == f"{SEARCH}?page=11&pageSize=100"
        seen, page = set(), 1
        while page:
            body = search(sim, since("customer"), page=page, pageSize=500).json()
            seen.update(r["id"] for r in body["data"])
            page = page + 1 if body["links"]["next"] else None
        assert len(seen) == 2200 and body["meta"]["total"] == 1000


def test_total_cap_next_stops_at_the_result_cap():
    dataset = Dataset.generate(seed=3, counts={"customers": 10_500}, history_days=700)
    with Simulator(dataset, SimOptions(tie_order="id", total_cap=10_000)) as sim:
        page20 = search(sim, since("customer"), page=20, pageSize=500).json()
        assert page20["meta"]["total"] == 10_000 and page20["links"]["next"] is None
        assert page20["links"]["last"] == f"{SEARCH}?page=20&pageSize=500"


def fresh_ids(sim, since_stamp):
    """Ids search shows at their updated version (updatedAt after since_stamp)."""
    body = search(sim, since("customer", since_stamp, "gt"), pageSize=500).json()
    return {r["id"] for r in body["data"]}


@pytest.mark.parametrize("mode", ["constant", "varying"])
def test_index_lag_mode_varying_surfaces_updates_out_of_order(small, mode):
    with Simulator(small, options(index_lag_seconds=1.0, index_lag_mode=mode, rate_limits=False)) as sim:
        start = max(sim.truth()["customers"].values())
        order = []
        for _ in range(12):
            order += sim.mutate("customers", 1)
            time.sleep(0.01)
        snapshots = []
        deadline = time.monotonic() + 10
        while len(snapshots) < 2 or snapshots[-1] != set(order):
            assert time.monotonic() < deadline
            snapshots.append(fresh_ids(sim, start))
            time.sleep(0.02)
        prefixes = [set(order[:n]) for n in range(len(order) + 1)]
        in_order = all(seen in prefixes for seen in snapshots)
        assert in_order == (mode == "constant")


def test_index_lag_counted_in_searches_is_deterministic(small):
    with Simulator(small, options(index_lag_searches=2)) as sim:
        start = max(sim.truth()["customers"].values())
        [moved] = sim.mutate("customers", 1)
        assert [fresh_ids(sim, start) for _ in range(3)] == [set(), set(), {moved}]
        archive = requests.post(sim.url + ARCHIVE, json=since("customer"), headers=headers(sim), timeout=10)
        assert archive.status_code == 200
        [again] = sim.mutate("customers", 1)
        requests.post(sim.url + ARCHIVE, json=since("customer"), headers=headers(sim), timeout=10)
        assert again not in fresh_ids(sim, start)
        assert again in fresh_ids(sim, start)
    with Simulator(small, options()) as sim:
        start = max(sim.truth()["customers"].values())
        moved = sim.mutate("customers", 1)
        assert fresh_ids(sim, start) == set(moved)


@pytest.mark.parametrize("refused", [False, True])
def test_large_page_refused(small, refused):
    with Simulator(small, options(large_page_refused=refused)) as sim:
        assert search(sim, since("customer"), pageSize=500).status_code == 200
        assert search(sim, since("customer"), page=2, pageSize=100).status_code == 200
        second = search(sim, since("customer"), page=2, pageSize=500)
        archived = requests.post(sim.url + ARCHIVE, json=since("customer"), params={"page": 2, "pageSize": 101},
                                 headers=headers(sim), timeout=10)
        if refused:
            assert second.status_code == archived.status_code == 400
            assert "pageSize above 100" in error_detail(second)
        else:
            assert second.status_code == archived.status_code == 200


@pytest.mark.parametrize("style", ["epoch", "delta", "epoch_ms", "http_date"])
def test_reset_styles(small, style):
    with Simulator(small, options(reset_style=style, rate_window_seconds=30)) as sim:
        before = time.time()
        reset = get(sim, "/v1/brands").headers["x-ratelimit-reset"]
        if style == "http_date":
            assert reset.endswith(" GMT") and 0 <= parsedate_to_datetime(reset).timestamp() - before <= 31
        else:
            value = int(reset)
            expected = {"epoch": value - before, "delta": value,
                        "epoch_ms": value / 1000 - before}[style]
            assert 0 <= expected <= 31


@pytest.mark.parametrize("style", ["seconds", "date"])
def test_retry_after_style(small, style):
    with Simulator(small, options(org_limit=1, retry_after=True, retry_after_style=style)) as sim:
        get(sim, "/v1/brands")
        before = time.time()
        retry = get(sim, "/v1/brands").headers["Retry-After"]
        if style == "seconds":
            assert 1 <= int(retry) <= 60
        else:
            assert retry.endswith(" GMT") and 0 <= parsedate_to_datetime(retry).timestamp() - before <= 61


def test_rate_clock_in_requests_rolls_the_window_deterministically(small):
    with Simulator(small, options(org_limit=2, rate_clock="requests", rate_window_requests=3,
                                  reset_style="delta")) as sim:
        answers = [get(sim, "/v1/brands") for _ in range(7)]
        assert [a.status_code for a in answers] == [200, 200, 429, 200, 200, 429, 200]
        assert [a.headers["x-ratelimit-reset"] for a in answers[:3]] == ["3", "2", "1"]
        assert "per 3 requests" in error_detail(answers[2])


@pytest.mark.parametrize("style", ["403", "401", "filtered"])
def test_missing_role_answer(small, style):
    tokens = {"limited": TokenSpec(denied=frozenset({"conversation", "users", "customers"}))}
    with Simulator(small, options(tokens=tokens, missing_role=style)) as sim:
        answers = [search(sim, since("conversation")), get(sim, "/v1/users"), get(sim, "/v1/customers")]
        if style == "filtered":
            assert {a.status_code for a in answers} == {200}
            assert all(a.json()["data"] == [] and a.json()["links"]["next"] is None for a in answers)
            assert answers[0].json()["meta"]["total"] == answers[2].json()["meta"]["total"] == 0
        else:
            assert {a.status_code for a in answers} == {int(style)}
            assert "org.permission.conversation.read" in error_detail(answers[0])
        assert search(sim, since("customer")).json()["meta"]["total"] == 2200
    with Simulator(small, options(tokens={"none": TokenSpec(denied=frozenset({"search"}))},
                                  missing_role="filtered")) as sim:
        assert search(sim, since("customer")).json()["meta"]["total"] == 0


@pytest.mark.parametrize("order", ["creation", "newest", "unstable"])
def test_list_order(small, order):
    with Simulator(small, options(list_order=order, seed=2)) as sim:
        reads = [[r["id"] for r in get(sim, "/v1/tags").json()["data"]] for _ in range(3)]
        created = small.ids("tags")
        if order == "creation":
            assert reads == [created[:100]] * 3
        elif order == "newest":
            assert reads == [created[::-1][:100]] * 3
        else:
            assert len({tuple(ids) for ids in reads}) == 3 and len(walk_list(sim, "tags")) <= len(created)


def test_list_hard_deletes_after_the_first_page_once_per_list(small):
    with Simulator(small, options(list_hard_deletes=5)) as sim:
        first = get(sim, "/v1/tags", pageSize=50).json()["data"]
        assert len(sim.truth()["tags"]) == 145 and len(first) == 50
        get(sim, "/v1/tags")
        assert len(sim.truth()["tags"]) == 145 and len(walk_list(sim, "tags")) == 145
        customers = len(sim.truth()["customers"])
        get(sim, "/v1/customers")
        truth = sim.truth()["customers"]
        assert len(truth) == customers - 5
        assert search(sim, since("customer")).json()["meta"]["total"] == len(truth)
    with Simulator(small, options()) as sim:
        walk_list(sim, "tags")
        assert len(sim.truth()["tags"]) == 150


def test_delete_removes_records_from_lists_search_and_truth(small):
    with Simulator(small, options()) as sim:
        gone = sim.delete("messages", 3)
        assert len(gone) == 3 and not set(gone) & set(sim.truth()["messages"])
        by_id = {"queryContext": "message", "and": [{"message_id": {"in": gone}}]}
        assert search(sim, by_id).json()["meta"]["total"] == 0
        assert not set(gone) & set(walk_list(sim, "messages"))
        ids = requests.post(sim.url + "/_sim/delete", json={"stream": "tags", "count": 2}, timeout=10).json()["ids"]
        assert len(ids) == 2 and len(sim.truth()["tags"]) == 148
        with pytest.raises(ValueError):
            sim.delete("tags", 1000)


def test_cli_flags_default_to_the_options_defaults_and_reach_them():
    assert options_from(parse_args([])) == SimOptions()
    flags = ["--reset-style", "http_date", "--retry-after-style", "date", "--rate-clock", "requests",
             "--rate-window-requests", "7", "--archive-budget", "separate", "--klass-updated-at", "prefixed",
             "--bound-semantics", "last", "--total-cap", "1000", "--large-page-refused",
             "--search-horizon-days", "365", "--horizon-edge", "moving", "--horizon-overlap", "-60",
             "--horizon-speed", "86400", "--archive-caps", "2:150", "--index-lag-mode", "varying",
             "--index-lag-searches", "3", "--missing-role", "filtered", "--list-order", "unstable",
             "--list-hard-deletes", "4"]
    chosen = options_from(parse_args(flags))
    assert (chosen.reset_style, chosen.retry_after_style, chosen.rate_clock, chosen.rate_window_requests,
            chosen.archive_budget, chosen.klass_updated_at, chosen.bound_semantics, chosen.total_cap,
            chosen.large_page_refused) == ("http_date", "date", "requests", 7, "separate", "prefixed", "last",
                                           1000, True)
    assert (chosen.search_horizon_days, chosen.horizon_edge, chosen.horizon_overlap_seconds, chosen.horizon_speed,
            chosen.archive_caps, chosen.index_lag_mode, chosen.index_lag_searches, chosen.missing_role,
            chosen.list_order, chosen.list_hard_deletes) == (365.0, "moving", -60.0, 86400.0, (2, 150), "varying",
                                                             3, "filtered", "unstable", 4)
