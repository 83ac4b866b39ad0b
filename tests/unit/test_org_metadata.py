"""org_metadata against the simulator over real HTTP, and against odd bodies through a fake client."""
import json
import pathlib

import pytest
from jsonschema import Draft4Validator

from tap_kustomer.client import KustomerClient
from tap_kustomer.config import parse_config
from tap_kustomer.org_metadata import (OrgMetadata, attribute_rows, klass_rows, metadata_properties,
                                       read_klasses, read_org_metadata)
from tests.sandbox import Dataset, Simulator
from tests.sandbox import metadata as sim_metadata
from tests.sandbox.corpus import KLASSES
from tests.sandbox.klasses import LATE_KLASS

SCHEMA_DIR = pathlib.Path(__file__).resolve().parents[2] / "tap_kustomer" / "schemas"
RESOURCES = ("customer", "conversation", "message", "company")


@pytest.fixture(name="small", scope="module")
def fixture_small():
    return Dataset.profile("small", seed=7)


def client_for(sim):
    config = parse_config({"api_token": sim.token, "start_date": "2020-01-01", "base_url": sim.url})
    return KustomerClient(config)


def paths(sim):
    return [entry["path"] for entry in sim.requests]


def validator(stream):
    return Draft4Validator(json.loads((SCHEMA_DIR / f"{stream}.json").read_text(encoding="utf-8")))


@pytest.mark.parametrize("shape", ["object", "list"])
def test_reads_every_klass_and_resource_once(small, shape, monkeypatch):
    monkeypatch.setattr(sim_metadata, "DATA_SHAPE", shape)
    with Simulator(small) as sim:
        org = read_org_metadata(client_for(sim), page_size=4)
        # All were created in one second: the id settles their order.
        assert [k.id for k in org.klasses] == sorted(small.klass_ids[name] for name in KLASSES)
        assert {k.name: k.id for k in org.klasses} == {name: small.klass_ids[name] for name in KLASSES}
        assert {k.name: k.status for k in org.klasses}["flight-booking"] == "disabled"
        expected = [*RESOURCES, *(f"kobject.{k.name}" for k in org.klasses)]
        assert list(org.attributes) == expected
        assert paths(sim) == ["/v1/klasses"] * 2 + [f"/v1/metadata/{r}" for r in expected]
    assert org.properties("kobject.subscription")["legacyPlanCodeStr"]["deletedAt"]
    assert org.properties("customer")["interestsStr"]["multi"] is True
    assert org.properties("kobject.nope") == {}
    schema = org.custom_schema("kobject.ecomm-order")
    assert schema["properties"]["shipping_cost_num"] == {"type": ["null", "number"]}
    assert schema["properties"]["erp_reference"] == {"type": ["null", "string"]}
    assert org.stream_names()["ShopifyOrder"] == "kobjects_shopify_order"


def test_status_filter_and_a_klass_created_between_reads(small):
    with Simulator(small) as sim:
        client = client_for(sim)
        assert [k.name for k in read_klasses(client, status="disabled")] == ["flight-booking"]
        before = read_org_metadata(client)
        sim.klasses.add()
        after = read_org_metadata(client)
    assert LATE_KLASS.name not in before.stream_names()
    assert after.stream_names()[LATE_KLASS.name] == "kobjects_warranty_claim"
    assert {k: v for k, v in after.stream_names().items() if k != LATE_KLASS.name} == before.stream_names()
    assert "claimNumberStr" in after.properties(f"kobject.{LATE_KLASS.name}")


def test_rows_fit_their_schemas(small):
    with Simulator(small) as sim:
        org = read_org_metadata(client_for(sim))
    rows = attribute_rows(org)
    assert not [e.message for row in rows for e in validator("custom_attributes").iter_errors(row)]
    by_id = {row["id"]: row for row in rows}
    assert len(by_id) == len(rows)
    legacy = by_id["kobject.subscription/legacyPlanCodeStr"]
    assert legacy["deleted"] is True and legacy["deleted_at"] == legacy["updated_at"]
    assert legacy["klass"] == "subscription" and legacy["column"] == "legacy_plan_code_str"
    add_ons = by_id["kobject.subscription/addOnsStr"]
    assert add_ons["multi"] is True and add_ons["enumeration"] == ["sso", "audit-log", "sandbox"]
    reason = by_id["conversation/contactReasonTree"]
    assert reason["tree"] is True and "billing.refund.partial" in reason["enumeration"]
    assert reason["klass"] is None and reason["attribute_type"] == "tree" and reason["json_type"] == "string"
    assert by_id["customer/creditScoreNum"]["sensitive"] is True
    assert by_id["kobject.order/placedAt"]["json_type"] == "date-time"
    klasses = klass_rows(org)
    assert not [e.message for row in klasses for e in validator("klasses").iter_errors(row)]
    assert [row["stream_name"] for row in klasses] == [org.stream_names()[k.name] for k in org.klasses]
    ecomm = next(row for row in klasses if row["name"] == "ecomm-order")
    assert ecomm["display_name"] == "E-commerce order" and ecomm["stream_name"] == "kobjects_ecomm_order"
    assert {k.resource["attributes"]["displayName"] for k in org.klasses} >= {"Order", "Shopify order"}


class FakeClient:
    """Serves canned bodies by (path, page) and records what was asked."""

    def __init__(self, pages, metadata=None):
        self.pages = pages
        self.metadata = metadata or {}
        self.calls = []

    def get(self, path, params=None):
        self.calls.append((path, dict(params or {})))
        if path == "/v1/klasses":
            return self.pages[min(params["page"], len(self.pages)) - 1]
        return self.metadata.get(path, {"data": {"attributes": {"properties": {}}}})


def klass(id_, name, created="2024-01-01T00:00:00Z"):
    return {"type": "klass", "id": id_, "attributes": {"name": name, "createdAt": created}}


def test_a_page_that_repeats_stops_the_walk():
    client = FakeClient([{"data": [klass("a", "one"), klass("b", "two")], "links": {"next": "/v1/klasses?page=2"}}])
    assert [k.name for k in read_klasses(client, page_size=2)] == ["one", "two"]
    assert [params["page"] for _, params in client.calls] == [1, 2]


def test_without_links_a_short_page_is_the_last():
    client = FakeClient([{"data": [klass("a", "one"), klass("b", "two")]}, {"data": [klass("c", "three")]}])
    assert [k.name for k in read_klasses(client, page_size=2)] == ["one", "two", "three"]
    assert len(client.calls) == 2


def test_an_empty_page_ends_the_walk_and_nameless_klasses_are_left_out():
    client = FakeClient([{"data": [klass("b", "later", "2024-02-01T00:00:00Z"), klass("a", "earlier"),
                                   {"type": "klass", "id": "c", "attributes": {}}, "junk"],
                          "links": {"next": "/v1/klasses?page=2"}},
                         {"data": [], "links": {"next": None}}])
    assert [k.name for k in read_klasses(client, page_size=4)] == ["earlier", "later"]
    assert len(client.calls) == 2


@pytest.mark.parametrize("payload, expected", [
    ({"data": {"attributes": {"properties": {"aStr": {"type": "string"}}}}}, {"aStr": {"type": "string"}}),
    ({"data": [{"attributes": {"properties": {"aStr": {"type": "string"}}}}]}, {"aStr": {"type": "string"}}),
    ({"data": {"properties": {"aStr": {"type": "string"}}}}, {"aStr": {"type": "string"}}),
    ({"data": {"attributes": {"properties": {"aStr": None}}}}, {"aStr": {}}),
    ({"data": []}, {}),
    ({"data": None}, {}),
    ({}, {}),
    ({"data": {"attributes": {"properties": []}}}, {}),
])
def test_metadata_properties_tolerates_both_shapes(payload, expected):
    assert metadata_properties(payload) == expected


def test_enumerations_of_plain_values_and_klass_names_that_need_quoting():
    properties = {"levelStr": {"type": "string", "enumeration": ["low", 2, None, {"value": True}]}}
    client = FakeClient([{"data": [klass("a", "a b/c")], "links": {"next": None}}],
                        {"/v1/metadata/kobject.a%20b%2Fc": {"data": {"attributes": {"properties": properties}}}})
    org = read_org_metadata(client)
    assert client.calls[-1][0] == "/v1/metadata/kobject.a%20b%2Fc"
    row = next(r for r in attribute_rows(org) if r["resource"] == "kobject.a b/c")
    assert row["enumeration"] == ["low", "2", "true"] and row["attribute_type"] == "string" and row["klass"] == "a b/c"
    assert attribute_rows(OrgMetadata((), {"customer": {"x": {}}}))[0]["attribute_type"] == "unknown"
