import pytest
from jsonschema import Draft4Validator

from tap_kustomer.custom_types import (attribute_schema, attribute_type, custom_schema, klass_stream_name,
                                       klass_stream_names)
from tap_kustomer.transform import transform_record

NUMBER = {"type": ["null", "number"]}
STRING = {"type": ["null", "string"]}
BOOLEAN = {"type": ["null", "boolean"]}
DATE_TIME = {"type": ["null", "string"], "format": "date-time"}
ANYTHING = {}


def array_of(item):
    return {"type": ["null", "array"], "items": item}


@pytest.mark.parametrize("name, meta, expected", [
    # The suffix alone.
    ("orderNumberStr", None, STRING),
    ("notesTxt", {}, STRING),
    ("totalPriceNum", {}, NUMBER),
    ("placedAt", {}, DATE_TIME),
    ("giftBool", {}, BOOLEAN),
    ("trackingUrl", {}, STRING),
    ("customerId", {}, STRING),
    ("contactReasonTree", {}, STRING),
    # The metadata type alone.
    ("erpReference", {"type": "string"}, STRING),
    ("legacy", {"type": "number"}, NUMBER),
    ("legacy", {"type": "date"}, DATE_TIME),
    ("legacy", {"type": "Boolean"}, BOOLEAN),
    ("legacy", {"type": " tree "}, STRING),
    ("legacy", {"type": "integer"}, NUMBER),
    # Both, agreeing.
    ("seatsNum", {"type": "number"}, NUMBER),
    ("renewsAt", {"type": "date"}, DATE_TIME),
    ("autoRenewBool", {"type": "boolean"}, BOOLEAN),
    ("planStr", {"type": "string", "enumeration": [{"value": "pro"}]}, STRING),
    ("billingUrl", {"type": "url"}, STRING),
    ("rmaId", {"type": "id"}, STRING),
    ("reasonTree", {"type": "tree", "tree": {"children": []}}, STRING),
    ("commentTxt", {"type": "text"}, STRING),
    # Both, disagreeing: the metadata wins.
    ("zipCodeNum", {"type": "string"}, STRING),
    ("countStr", {"type": "number"}, NUMBER),
    ("flagAt", {"type": "boolean"}, BOOLEAN),
    ("whenStr", {"type": "date"}, DATE_TIME),
    # A metadata type we do not know wins too: anything goes.
    ("totalNum", {"type": "json"}, ANYTHING),
    # Neither known.
    ("legacy", {}, ANYTHING),
    ("legacy", None, ANYTHING),
    ("Str", {}, ANYTHING),
    ("legacy", {"type": None}, ANYTHING),
    ("legacy", {"type": 7}, ANYTHING),
    ("legacy", "not a dict", ANYTHING),
    # Multi: an array of the type.
    ("interestsStr", {"type": "string", "multi": True}, array_of(STRING)),
    ("scoresNum", {"multi": True}, array_of(NUMBER)),
    ("datesAt", {"type": "date", "multi": True}, array_of(DATE_TIME)),
    ("flagsBool", {"type": "boolean", "multi": True}, array_of(BOOLEAN)),
    ("pathsTree", {"type": "tree", "multi": True}, array_of(STRING)),
    ("oddNum", {"type": "string", "multi": True}, array_of(STRING)),
    ("legacy", {"multi": True}, array_of(ANYTHING)),
    ("tagsStr", {"type": "string", "multi": False}, STRING),
    ("tagsStr", {"type": "string", "multi": "yes"}, STRING),
    # Sensitive: a masked value is a string whatever the type.
    ("creditScoreNum", {"type": "number", "sensitive": True}, {"type": ["null", "number", "string"]}),
    ("birthAt", {"type": "date", "sensitive": True}, STRING),
    ("ssnStr", {"type": "string", "sensitive": True}, STRING),
    ("vipBool", {"type": "boolean", "sensitive": True, "multi": True},
     array_of({"type": ["null", "boolean", "string"]})),
])
def test_attribute_schema(name, meta, expected):
    assert attribute_schema(name, meta) == expected
    Draft4Validator.check_schema(expected)
    assert Draft4Validator(expected).is_valid(None)


def test_attribute_type_names_what_the_schema_uses():
    assert attribute_type("totalNum", {"type": "json"}) == "unknown"
    assert attribute_type("placedAt", {}) == "date-time"
    assert attribute_type("x", {"type": "url"}) == "string"


PROPERTIES = {
    "orderNumberStr": {"type": "string", "displayName": "Order number"},
    "totalPriceNum": {"type": "number"},
    "placedAt": {"type": "date"},
    "addOnsStr": {"type": "string", "multi": True, "enumeration": [{"value": "sso"}]},
    "legacyPlanCodeStr": {"type": "string", "deletedAt": "2025-01-01T00:00:00.000Z"},
    "erpReference": {"type": "string"},
    "odd": {"type": "json"},
}


def test_custom_schema_is_keyed_as_records_are():
    schema = custom_schema(PROPERTIES)
    assert schema["type"] == ["null", "object"] and schema["additionalProperties"] is True
    assert schema["properties"] == {
        "order_number_str": STRING, "total_price_num": NUMBER, "placed_at": DATE_TIME,
        "add_ons_str": array_of(STRING), "legacy_plan_code_str": STRING, "erp_reference": STRING, "odd": ANYTHING}
    Draft4Validator.check_schema(schema)
    record = transform_record({"id": "k1", "type": "kobject.order", "attributes": {"custom": {
        "orderNumberStr": "A-1", "totalPriceNum": 12.5, "placedAt": "2024-05-01T10:00:00.000Z",
        "addOnsStr": ["sso", None], "legacyPlanCodeStr": None, "odd": {"any": "thing"}, "newSinceDiscoveryAt": "x"}}})
    assert not list(Draft4Validator(schema).iter_errors(record["custom"]))
    assert Draft4Validator(schema).is_valid(None)
    assert not Draft4Validator(schema).is_valid({"total_price_num": "n/a"})


def test_custom_schema_names_that_snake_case_alike():
    agreeing = custom_schema({"orderNumberStr": {"type": "string"}, "order_number_str": {"type": "string"}})
    assert agreeing["properties"] == {"order_number_str": STRING}
    clashing = custom_schema({"scoreNum": {"type": "number"}, "score_num": {"type": "string"}})
    assert clashing["properties"] == {"score_num": ANYTHING}
    assert not custom_schema({})["properties"] and not custom_schema(None)["properties"]


@pytest.mark.parametrize("klass, stream", [
    ("order", "kobjects_order"),
    ("ecomm-order", "kobjects_ecomm_order"),
    ("ShopifyOrder", "kobjects_shopify_order"),
    ("loop-returns", "kobjects_loop_returns"),
    ("Flight Booking (old)", "kobjects_flight_booking_old"),
    ("größe-Bestellung", "kobjects_gr_e_bestellung"),
    ("__odd--name__", "kobjects_odd_name"),
    ("v2.order", "kobjects_v2_order"),
])
def test_klass_stream_name(klass, stream):
    assert klass_stream_name(klass) == stream


def test_a_klass_name_without_ascii_is_named_by_its_hash():
    assert len(klass_stream_name("注文")) == len("kobjects_") + 8
    assert klass_stream_name("注文") == klass_stream_name("注文") != klass_stream_name("返品")


def test_klass_stream_names_keep_the_oldest_klass_plain():
    names = klass_stream_names(["ecomm-order", "ecomm_order", "EcommOrder", "order", "ecomm-order"])
    assert names["ecomm-order"] == "kobjects_ecomm_order" and names["order"] == "kobjects_order"
    assert len(set(names.values())) == len(names) == 4
    assert names["ecomm_order"].startswith("kobjects_ecomm_order_") and len(names["ecomm_order"]) == 29
    later = klass_stream_names(["ecomm-order", "ecomm_order", "EcommOrder", "order", "new-klass"])
    assert all(later[name] == stream for name, stream in names.items())


def test_klass_stream_names_survive_a_klass_named_like_a_hashed_name():
    hashed = klass_stream_names(["a-b", "a_b"])["a_b"]
    names = klass_stream_names(["a-b", hashed[len("kobjects_"):], "a_b"])
    assert len(set(names.values())) == 3
