"""Simulator.add_custom_attribute: the records it updates carry the new attribute from then on, others never."""
import pytest
import requests

from tests.sandbox import Dataset, SimOptions, Simulator

NAME = "warrantyMonthsNum"


@pytest.fixture(name="sim")
def fixture_sim():
    # An index lag longer than the test: search keeps serving the versions from before the addition.
    with Simulator(Dataset.profile("small", seed=7), SimOptions(index_lag_seconds=3600)) as sim:
        yield sim


def call(sim, method, path, **kwargs):
    response = requests.request(method, sim.url + path, headers={"Authorization": f"Bearer {sim.token}"},
                                timeout=10, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()


def listed(sim):
    pages = (call(sim, "GET", "/v1/conversations", params={"pageSize": 100, "page": page})["data"]
             for page in range(1, 4))
    return {item["id"]: item["attributes"]["custom"] for page in pages for item in page}


def searched(sim):
    body = {"queryContext": "conversation", "and": [], "or": []}
    return {item["id"]: item["attributes"]["custom"] for path in ("/search", "/archive/search")
            for item in call(sim, "POST", f"/v1/customers{path}", json=body, params={"pageSize": 500})["data"]}


def test_updated_records_carry_it_from_their_new_version_on(sim):
    before = sim.truth()["conversations"]
    ids = set(sim.add_custom_attribute("conversations", NAME, 24, count=5))
    after = sim.truth()["conversations"]
    assert len(ids) == 5
    assert {rid for rid in after if after[rid] != before[rid]} == ids
    current = listed(sim)
    assert set(current) == set(after)
    assert {rid: custom[NAME] for rid, custom in current.items() if NAME in custom} == dict.fromkeys(ids, 24)
    # Search still serves the versions written before the addition: none of them carries it.
    indexed = searched(sim)
    assert set(indexed) == set(after)
    assert not [rid for rid, custom in indexed.items() if NAME in custom]


def test_a_stream_without_custom_blocks_is_refused(sim):
    before = sim.truth()
    with pytest.raises(ValueError, match="no custom block"):
        sim.add_custom_attribute("notes", "fooStr", "x")
    assert sim.truth() == before
