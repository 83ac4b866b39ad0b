"""The simulator's search horizon: five years of history, standard search for the recent part, archive
search (POST /v1/customers/archive/search) for the rest, and the switches for what Kustomer leaves open."""
import time
from collections import Counter

import pytest
import requests

from tests.sandbox import Dataset, Simulator, SimOptions
from tests.sandbox.data import DAY_MS
from tests.sandbox.timefmt import fmt_ms
from tests.unit.test_sandbox import ARCHIVE, SEARCH, error_detail, headers, since, walk_search

CONTEXTS = {"customers": "customer", "conversations": "conversation", "messages": "message",
            "kobjects": "kobject", "companies": "company"}


@pytest.fixture(name="small", scope="module")
def fixture_small():
    return Dataset.profile("small", seed=7)


def post(sim, path, body, **params):
    return requests.post(sim.url + path, json=body, params=params, headers=headers(sim), timeout=10)


def total(sim, path, body):
    response = post(sim, path, body, pageSize=1)
    assert response.status_code == 200, response.text
    return response.json()["meta"]["total"]


def split(truth, low, high):
    """(records standard search should hold, records archive search should hold) for bounds (low, high)."""
    return ({i: s for i, s in truth.items() if s >= fmt_ms(low)}, {i: s for i, s in truth.items() if s < fmt_ms(high)})


@pytest.mark.parametrize("name", ["small", "demo"])
def test_profiles_hold_five_years_with_a_tie_burst_beyond_the_horizon(name):
    dataset = Dataset.profile(name, seed=1)
    edge = dataset.anchor_ms - 730 * DAY_MS
    assert dataset.history_days == 1826
    for stream in CONTEXTS:
        stamps = [r.updated for r in dataset.records[stream]]
        assert min(stamps) < dataset.anchor_ms - 1500 * DAY_MS, stream
        assert 0.1 < sum(1 for s in stamps if s < edge) / len(stamps) < 0.8, stream
    archived = Counter(r.updated for r in dataset.records["customers"] if r.updated < edge)
    recent = Counter(r.updated for r in dataset.records["customers"] if r.updated >= edge)
    assert max(archived.values()) == 700 and max(recent.values()) == 1200


def test_a_burst_must_fall_inside_the_history():
    with pytest.raises(ValueError):
        Dataset.generate(counts={"customers": 10}, tie_bursts={"customers": (5, 400)}, history_days=300)
    short = Dataset.generate(counts={"customers": 10}, tie_bursts={"customers": [(5, 200), 7]}, history_days=300)
    assert min(r.updated for r in short.records["customers"]) >= short.anchor_ms - 300 * DAY_MS


def test_standard_search_misses_exactly_the_archived_records_and_archive_search_has_them(small):
    with Simulator(small, SimOptions(tie_order="id")) as sim:
        edge = sim.search_edge()
        assert abs(edge - (time.time() * 1000 - 730 * DAY_MS)) < 60_000
        truth = sim.truth()
        for stream, context in CONTEXTS.items():
            recent, old = split(truth[stream], edge, edge)
            assert old and recent, stream
            standard = walk_search(sim, context, SEARCH)
            assert standard == recent, stream
            assert set(truth[stream]) - set(standard) == set(old), stream
            assert walk_search(sim, context, ARCHIVE) == old, stream
        assert walk_search(sim, "note", SEARCH) == split(truth["notes"], edge, edge)[0]
        assert len(truth["customers"]) == 2200 and sim.search_edge() == edge
        assert requests.get(sim.url + "/_sim/horizon", timeout=10).json() == {"edge": fmt_ms(edge)}


def test_archive_search_envelope_caps_and_shuffled_ties(small):
    with Simulator(small, SimOptions(seed=3)) as sim:
        stamp, size = Counter(split(sim.truth()["customers"], 0, sim.search_edge())[1].values()).most_common(1)[0]
        assert size == 700
        body = post(sim, ARCHIVE, since("customer", stamp, "equals"), pageSize=500).json()
        assert body["meta"] == {"pageSize": 500, "page": 1, "total": 700, "totalPages": 2, "aggregations": {}}
        assert body["links"]["next"] == f"{ARCHIVE}?page=2&pageSize=500"
        assert body["links"]["last"] == f"{ARCHIVE}?page=2&pageSize=500"
        tie = since("customer", stamp, "equals")
        orders = {tuple(r["id"] for r in post(sim, ARCHIVE, tie, pageSize=500).json()["data"]) for _ in range(3)}
        assert len(orders) > 1
        beyond = post(sim, ARCHIVE, since("customer"), page=101, pageSize=1)
        assert beyond.status_code == 400 and "100 pages" in error_detail(beyond)
        assert sim.requests[0]["kind"] == "archive" and sim.requests[0]["context"] == "customer"


def test_archive_search_refuses_undocumented_contexts_and_attributes(small):
    with Simulator(small) as sim:
        for context in ("note", "work_item", "conversation_time", "work_session", "customers"):
            refused = post(sim, ARCHIVE, {"queryContext": context})
            assert refused.status_code == 400, context
            assert refused.json()["errors"][0]["code"] == "bad_request" and "queryContext" in error_detail(refused)
        for attribute in ("customer_name", "customer_modified_at", "conversation_updated_at"):
            refused = post(sim, ARCHIVE, {"queryContext": "customer", "and": [{attribute: {"gte": "2000-01-01"}}]})
            assert refused.status_code == 400 and attribute in error_detail(refused)
        by_creation = {"queryContext": "customer", "sort": [{"customer_created_at": "asc"}]}
        assert post(sim, ARCHIVE, by_creation).status_code == 400
        ids = list(small.ids("messages")[:3])
        by_id = {"queryContext": "message", "and": [{"message_id": {"in": ids}}]}
        by_created = {"queryContext": "message", "and": [{"message_created_at": {"gte": "2000-01-01"}}]}
        edge = fmt_ms(sim.search_edge())
        assert total(sim, ARCHIVE, by_id) == sum(1 for i in ids if sim.truth()["messages"][i] < edge)
        assert total(sim, ARCHIVE, by_created) + total(sim, SEARCH, by_created) == len(small.ids("messages"))


def test_horizon_days_moves_records_between_the_indexes(small):
    def totals(days):
        with Simulator(small, SimOptions(search_horizon_days=days)) as sim:
            return total(sim, SEARCH, since("conversation")), total(sim, ARCHIVE, since("conversation"))
    standard, archived = totals(730)
    shorter, more_archived = totals(365)
    assert shorter < standard and more_archived > archived
    assert standard + archived == shorter + more_archived == len(small.ids("conversations"))
    assert totals(2000) == (len(small.ids("conversations")), 0)


def near_edge_dataset():
    """Customers at both ends plus a burst within a day of a 730-day edge taken today."""
    return Dataset.generate(seed=5, counts={"customers": 200}, tie_bursts={"customers": [(40, 730), (30, 729.5)]})


@pytest.mark.parametrize("overlap", [2 * 86_400, -2 * 86_400])
def test_overlap_puts_records_near_the_edge_in_both_indexes_or_in_neither(overlap):
    with Simulator(near_edge_dataset(), SimOptions(horizon_overlap_seconds=overlap, tie_order="id")) as sim:
        edge = sim.search_edge()
        truth = sim.truth()["customers"]
        recent, old = split(truth, edge - overlap * 1000, edge + overlap * 1000)
        standard, archived = walk_search(sim, "customer", SEARCH), walk_search(sim, "customer", ARCHIVE)
        assert standard == recent and archived == old
        near = {i for i, s in truth.items() if fmt_ms(edge - 2 * DAY_MS) <= s < fmt_ms(edge + 2 * DAY_MS)}
        assert len(near) >= 70
        if overlap > 0:
            assert set(standard) & set(archived) == near and {**standard, **archived} == truth
        else:
            assert not set(standard) & set(archived) and set(truth) - set(standard) - set(archived) == near


def test_moving_edge_advances_during_a_run_and_a_fixed_one_does_not():
    dataset = Dataset.generate(seed=6, counts={"customers": 3000})
    speed = 1000.0 * 86_400  # a thousand days of data time per real second
    for edge_style in ("moving", "fixed"):
        with Simulator(dataset, SimOptions(horizon_edge=edge_style, horizon_speed=speed)) as sim:
            first_edge = sim.search_edge()
            before = total(sim, SEARCH, since("customer")), total(sim, ARCHIVE, since("customer"))
            time.sleep(0.3)
            after = total(sim, SEARCH, since("customer")), total(sim, ARCHIVE, since("customer"))
            if edge_style == "moving":
                assert sim.search_edge() - first_edge >= 250 * DAY_MS
                assert after[0] < before[0] and after[1] > before[1]
            else:
                assert sim.search_edge() == first_edge and after == before and sum(after) == 3000


@pytest.mark.parametrize("budget", ["search", "separate"])
def test_archive_budget_is_shared_or_separate(small, budget):
    with Simulator(small, SimOptions(search_limit=2, archive_budget=budget)) as sim:
        standard = [post(sim, SEARCH, since("customer")).status_code for _ in range(2)]
        archive = [post(sim, ARCHIVE, since("customer")) for _ in range(3)]
        assert standard == [200, 200]
        if budget == "search":
            assert [a.status_code for a in archive] == [429, 429, 429]
            assert "search" in error_detail(archive[0])
        else:
            assert [a.status_code for a in archive] == [200, 200, 429]
            assert [a.headers["x-ratelimit-remaining"] for a in archive] == ["1", "0", "0"]
        stats = sim.stats()
        assert stats["searches"] == 2 and stats["archive_searches"] == 3 and stats["by_kind"]["archive"] == 3


def test_archive_caps_can_be_narrower_than_search(small):
    with Simulator(small, SimOptions(archive_caps=(2, 150))) as sim:
        last = post(sim, ARCHIVE, since("customer"), page=2, pageSize=100).json()
        assert len(last["data"]) == 50 and last["links"]["next"] == f"{ARCHIVE}?page=3&pageSize=100"
        refused = post(sim, ARCHIVE, since("customer"), page=3, pageSize=10)
        assert refused.status_code == 400 and "2 pages and 150 results" in error_detail(refused)
        assert post(sim, SEARCH, since("customer"), page=3, pageSize=10).status_code == 200
    with pytest.raises(ValueError):
        SimOptions(archive_caps=(0, 10))


@pytest.mark.parametrize("path", [SEARCH, ARCHIVE])
@pytest.mark.parametrize("style, accepted", [("generic", {"kobject_updated_at"}),
                                             ("prefixed", {"kobject_order_updated_at"}),
                                             ("both", {"kobject_updated_at", "kobject_order_updated_at"})])
def test_klass_updated_at_name(small, path, style, accepted):
    with Simulator(small, SimOptions(klass_updated_at=style)) as sim:
        expected = total(sim, path, {"queryContext": "kobject_order"})
        assert expected > 0
        for attribute in ("kobject_updated_at", "kobject_order_updated_at"):
            body = {"queryContext": "kobject_order", "and": [{attribute: {"gte": "2000-01-01"}}],
                    "sort": [{attribute: "desc"}]}
            response = post(sim, path, body)
            if attribute in accepted:
                assert response.status_code == 200 and response.json()["meta"]["total"] == expected
            else:
                assert response.status_code == 400 and attribute in error_detail(response)
        plain = {"queryContext": "kobject", "and": [{"kobject_order_updated_at": {"gte": "2000-01-01"}}]}
        assert post(sim, path, plain).status_code == 400
