"""The simulator's klasses, custom attribute sets and metadata, over real HTTP."""
import pytest
import requests

from tests.sandbox import Dataset, Simulator, SimOptions, TokenSpec
from tests.sandbox import metadata as metadata_module
from tests.sandbox.corpus import KLASSES
from tests.sandbox.klasses import KLASS_SPECS, LATE_KLASS
from tests.sandbox.metadata import STANDARD_ATTRIBUTES

SEARCH = "/v1/customers/search"


@pytest.fixture(name="small", scope="module")
def fixture_small():
    return Dataset.profile("small", seed=7)


@pytest.fixture(name="sim", scope="module")
def fixture_sim(small):
    with Simulator(small) as sim:
        yield sim


def get(sim, path, token=None, **params):
    return requests.get(sim.url + path, params=params, headers={"Authorization": f"Bearer {token or sim.token}"},
                        timeout=10)


def search_all(sim, context):
    """The newest 500 records from standard search, and the newest 500 from archive search."""
    body = {"queryContext": context, "and": [], "or": []}
    return [record for path in (SEARCH, "/v1/customers/archive/search")
            for record in requests.post(sim.url + path, json=body, params={"pageSize": 500}, timeout=10,
                                        headers={"Authorization": f"Bearer {sim.token}"}).json()["data"]]


def properties(sim, resource):
    response = get(sim, f"/v1/metadata/{resource}")
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["type"] == "metadata" and data["id"] == resource
    return data["attributes"]["properties"]


def test_every_klass_with_records_declares_its_attributes():
    assert set(KLASSES) <= set(KLASS_SPECS) and LATE_KLASS.name not in KLASSES
    sets = [frozenset(a.name for a in spec.attributes) for spec in KLASS_SPECS.values()]
    assert len(set(sets)) == len(sets)


def test_klasses_list_pages_and_filters(sim, small):
    first = get(sim, "/v1/klasses", pageSize=4).json()
    assert [k["attributes"]["name"] for k in first["data"]] == list(KLASSES[:4])
    assert first["meta"] == {"pageSize": 4, "page": 1}
    second = get(sim, first["links"]["next"]).json()
    assert [k["attributes"]["name"] for k in second["data"]] == list(KLASSES[4:])
    assert second["links"]["next"] is None and second["links"]["prev"] == first["links"]["self"]
    klass = first["data"][0]
    assert klass["type"] == "klass" and klass["id"] == small.klass_ids["order"]
    assert set(klass["attributes"]) >= {"name", "displayName", "icon", "color", "status", "createdAt", "updatedAt",
                                        "description"}
    disabled = get(sim, "/v1/klasses", status="disabled").json()
    assert [k["attributes"]["name"] for k in disabled["data"]] == ["flight-booking"]
    assert "status=disabled" in disabled["links"]["self"]
    enabled = get(sim, "/v1/klasses", status="enabled").json()["data"]
    assert len(enabled) == len(KLASSES) - 1 and {k["attributes"]["status"] for k in enabled} == {"enabled"}
    assert len(get(sim, "/v1/klasses", status="existing_only").json()["data"]) == len(KLASSES)
    assert get(sim, "/v1/klasses", status="all").status_code == 400
    assert get(sim, "/v1/klasses", page=9).json()["data"] == []


def test_metadata_matches_the_records(sim):
    resources = {"customer": "customers", "conversation": "conversations", "message": "messages",
                 "company": "companies"}
    for resource, stream in resources.items():
        declared = properties(sim, resource)
        assert list(declared) == [a.name for a in STANDARD_ATTRIBUTES[resource]]
        seen = set().union(*(r["attributes"]["custom"] for r in search_all(sim, resource)))
        assert seen <= set(declared), stream
    for name in KLASSES:
        declared = properties(sim, f"kobject.{name}")
        records = search_all(sim, f"kobject_{name}")
        assert records and {r["type"] for r in records} == {f"kobject.{name}"}
        assert set().union(*(r["attributes"]["custom"] for r in records)) <= set(declared), name


def test_metadata_declares_types_enumerations_multi_trees_and_deletions(sim):
    customer = properties(sim, "customer")
    assert customer["interestsStr"]["multi"] is True
    assert {"value": "gold", "displayName": "Gold"} in customer["loyaltyTierStr"]["enumeration"]
    assert customer["creditScoreNum"]["sensitive"] is True
    tree = properties(sim, "conversation")["contactReasonTree"]
    assert tree["type"] == "tree" and tree["tree"]["children"][0]["children"][0]["value"] == "billing.refund"
    subscription = properties(sim, "kobject.subscription")
    assert "deletedAt" in subscription["legacyPlanCodeStr"]
    assert not any("deletedAt" in p for name, p in subscription.items() if name != "legacyPlanCodeStr")
    assert properties(sim, "kobject.ecomm-order")["erpReference"]["type"] == "string"
    assert {p["type"] for p in properties(sim, "kobject.order").values()} == {
        "string", "number", "date", "boolean", "url", "id"}


def test_values_follow_their_declarations_except_where_they_should_not(sim):
    interests = [r["attributes"]["custom"].get("interestsStr") for r in search_all(sim, "customer")]
    assert all(isinstance(v, list) for v in interests if v is not None) and any(interests)
    costs = [r["attributes"]["custom"].get("shippingCostNum") for r in search_all(sim, "kobject_ecomm-order")]
    assert {"n/a", ""} & set(c for c in costs if isinstance(c, str))
    assert any(isinstance(c, (int, float)) for c in costs)
    deleted_at = properties(sim, "kobject.subscription")["legacyPlanCodeStr"]["deletedAt"]
    subscriptions = search_all(sim, "kobject_subscription")
    carriers = [r["attributes"]["updatedAt"] for r in subscriptions if "legacyPlanCodeStr" in r["attributes"]["custom"]]
    assert carriers and all(stamp < deleted_at for stamp in carriers)
    assert any(r["attributes"]["updatedAt"] >= deleted_at for r in subscriptions)


def test_metadata_as_a_one_item_list(sim, monkeypatch):
    monkeypatch.setattr(metadata_module, "DATA_SHAPE", "list")
    data = get(sim, "/v1/metadata/company").json()["data"]
    assert isinstance(data, list) and len(data) == 1 and "arrNum" in data[0]["attributes"]["properties"]


def test_unknown_resources_and_klasses_are_404(sim):
    for resource in ("kobject.nope", "kobject.", "note", "kobject.Order", LATE_KLASS.name):
        assert get(sim, f"/v1/metadata/{resource}").status_code == 404, resource


def test_a_klass_created_later(small):
    with Simulator(small) as sim:
        assert get(sim, f"/v1/metadata/kobject.{LATE_KLASS.name}").status_code == 404
        before = get(sim, "/v1/klasses").json()["data"]
        klass_id = sim.klasses.add()
        after = get(sim, "/v1/klasses").json()["data"]
        assert after[:-1] == before and after[-1]["id"] == klass_id
        assert after[-1]["attributes"]["name"] == LATE_KLASS.name
        assert "claimNumberStr" in properties(sim, f"kobject.{LATE_KLASS.name}")
        with pytest.raises(ValueError):
            sim.klasses.add()
        body = {"queryContext": f"kobject_{LATE_KLASS.name}"}
        found = requests.post(sim.url + SEARCH, json=body, timeout=10,
                              headers={"Authorization": f"Bearer {sim.token}"}).json()
        assert found["meta"]["total"] == 0


def test_klasses_and_metadata_need_the_metadata_role(small):
    denied = "denied-token"
    options = SimOptions(tokens={denied: TokenSpec(denied=frozenset({"metadata"}))})
    with Simulator(small, options) as sim:
        for path in ("/v1/klasses", "/v1/metadata/customer"):
            response = get(sim, path, token=denied)
            assert response.status_code == 403
            assert "org.permission.metadata.read" in response.json()["errors"][0]["detail"]
