import copy

import pytest

from tap_kustomer.transform import snake_case, transform_record

ORG = {"type": "org", "id": "5d1cb247d09f6b001a0f11a9"}
USER = {"type": "user", "id": "61534348e1b09f001a2aff07"}


def _rel(data, **extra):
    relationship = {"links": {"self": "/v1/somewhere"}, "data": data}
    relationship.update(extra)
    return relationship


CASES = [
    pytest.param(
        {
            "type": "customer",
            "id": "c1",
            "attributes": {
                "name": "Dave", "updatedAt": "2016-06-24T22:43:04.298Z", "verified": True, "rev": 1,
            },
            "relationships": {"org": _rel(ORG)},
            "links": {"self": "/v1/customers/c1"},
        },
        {
            "id": "c1",
            "type": "customer",
            "name": "Dave",
            "updated_at": "2016-06-24T22:43:04.298Z",
            "verified": True,
            "rev": 1,
            "org": ORG,
            "links": {"self": "/v1/customers/c1"},
        },
        id="denest-attributes-relationship-links",
    ),
    pytest.param(
        {
            "type": "message",
            "id": "m1",
            "attributes": {},
            "relationships": {
                "customer": _rel({"type": "customers", "id": "c1"}),
                "shortcuts": {"data": [{"type": "shortcut", "id": "s1"}, {"type": "shortcut", "id": "s2"}]},
                "conversation": {"data": None},
            },
        },
        {
            "id": "m1",
            "type": "message",
            "customer": {"type": "customers", "id": "c1"},
            "shortcuts": [{"type": "shortcut", "id": "s1"}, {"type": "shortcut", "id": "s2"}],
            "conversation": None,
        },
        id="relationship-single-list-and-null-data",
    ),
    pytest.param(
        {
            "type": "kobject.order",
            "id": "k1",
            "attributes": {"title": "Order"},
            "relationships": {
                "klass": {"link": "/v1/klasses/order", "data": {"type": "klass", "id": "order"}},
                "messages": {"links": {"self": "/v1/conversations/k1/messages"}},
                "shopify-orders": {"links": {"self": "/v1/x"}, "meta": {"kobject": True}},
            },
        },
        {"id": "k1", "type": "kobject.order", "title": "Order", "klass": {"type": "klass", "id": "order"}},
        id="links-only-relationships-dropped-singular-link-ignored",
    ),
    pytest.param(
        {
            "type": "customer",
            "id": "c2",
            "attributes": {
                "firstMessageIn": {"sentAt": "2020-01-01T00:00:00.000Z", "directionType": "initial-in"},
                "externalIDs": [{"externalID": "x", "HTMLBody": "<p>", "address2Line": "Apt 2"}],
                "custom": {
                    "orderNumberStr": "ORD-1",
                    "shipping-address.line2Str": "3º",
                    "favourite colour Str": "blue",
                    "augustIDStr": "A-1",
                    "nested": {"innerKeyNum": 1, "deeperList": [{"leafAt": None}]},
                },
            },
            "relationships": {
                "createdBy": _rel(USER),
                "shopify-orders": {
                    "data": [{"type": "kobject.shopify-order", "id": "o1"}],
                    "meta": {"kobject": True},
                },
                "weirdData": {"data": {"type": "thing", "id": "t1", "extraInfo": {"someKey": 1}}},
            },
        },
        {
            "id": "c2",
            "type": "customer",
            "first_message_in": {"sent_at": "2020-01-01T00:00:00.000Z", "direction_type": "initial-in"},
            "external_ids": [{"external_id": "x", "html_body": "<p>", "address2_line": "Apt 2"}],
            "custom": {
                "order_number_str": "ORD-1",
                "shipping_address_line2_str": "3º",
                "favourite_colour_str": "blue",
                "august_id_str": "A-1",
                "nested": {"inner_key_num": 1, "deeper_list": [{"leaf_at": None}]},
            },
            "created_by": USER,
            "shopify_orders": [{"type": "kobject.shopify-order", "id": "o1"}],
            "weird_data": {"type": "thing", "id": "t1", "extra_info": {"some_key": 1}},
        },
        id="recursive-snake-case-custom-acronyms-hyphens-relationship-data",
    ),
    pytest.param(
        {
            "type": "conversation",
            "id": "v1",
            "attributes": {
                "sla": {"name": "Gold", "breached": False, "metrics": {"firstResponse": {"breachAt": None}}},
            },
            "relationships": {"sla": _rel({"type": "sla", "id": "sla1"})},
        },
        {
            "id": "v1",
            "type": "conversation",
            "sla_data": {
                "name": "Gold", "breached": False, "metrics": {"first_response": {"breach_at": None}},
            },
            "sla": {"type": "sla", "id": "sla1"},
        },
        id="sla-attribute-becomes-sla-data",
    ),
    pytest.param(
        {"type": "conversation", "id": "v2", "attributes": {"sla": {"status": "done"}}},
        {"id": "v2", "type": "conversation", "sla_data": {"status": "done"}},
        id="sla-renamed-even-without-relationship",
    ),
    pytest.param(
        {
            "type": "conversation",
            "id": "v3",
            "attributes": {"queue": {"external": "amazon-connect"}, "createdBy": "u1"},
            "relationships": {"queue": _rel({"type": "queue", "id": "q1"}), "createdBy": _rel(USER)},
        },
        {
            "id": "v3",
            "type": "conversation",
            "queue": {"external": "amazon-connect"},
            "created_by": "u1",
            "queue_relationship": {"type": "queue", "id": "q1"},
            "created_by_relationship": USER,
        },
        id="attribute-relationship-collision-keeps-both",
    ),
    pytest.param(
        {
            "type": "attachment",
            "id": "a1",
            "attributes": {"type": "image/png", "id": "legacy-id", "links": ["x"]},
            "relationships": {
                "links": _rel({"type": "link", "id": "l1"}),
                "type": _rel({"type": "t", "id": "t1"}),
            },
            "links": {"self": "/v1/a1", "related": "https://s3.example.com/a1?X-Amz-Expires=600"},
        },
        {
            "id": "a1",
            "type": "attachment",
            "type_attribute": "image/png",
            "id_attribute": "legacy-id",
            "links_attribute": ["x"],
            "links_relationship": {"type": "link", "id": "l1"},
            "type_relationship": {"type": "t", "id": "t1"},
            "links": {"self": "/v1/a1", "related": "https://s3.example.com/a1?X-Amz-Expires=600"},
        },
        id="resource-members-never-overwritten",
    ),
    pytest.param(
        {
            "type": "message",
            "id": "m2",
            "attributes": {
                "meta": {
                    "from": "a@example.com",
                    "to": [{"email": "b@example.com"}],
                    "cc": {"email": "c@example.com", "name": "C"},
                    "bcc": "d@example.com",
                    "mailboxHash": "h",
                }
            },
        },
        {
            "id": "m2",
            "type": "message",
            "meta": {
                "from": "a@example.com",
                "to": [{"email": "b@example.com"}],
                "cc": [{"email": "c@example.com", "name": "C"}],
                "bcc": [{"email": "d@example.com"}],
                "mailbox_hash": "h",
            },
        },
        id="meta-list-object-string",
    ),
    pytest.param(
        {
            "type": "message",
            "id": "m3",
            "attributes": {
                "meta": {"to": ["b@example.com", {"email": "c@example.com"}], "cc": None, "bcc": ""},
            },
        },
        {
            "id": "m3",
            "type": "message",
            "meta": {"to": [{"email": "b@example.com"}, {"email": "c@example.com"}], "cc": None, "bcc": []},
        },
        id="meta-list-of-strings-null-and-empty-string",
    ),
    pytest.param(
        {
            "type": "message",
            "id": "m4",
            "attributes": {"meta": {"placedAt": "2022-03-02T14:35:34.786Z", "to": []}},
        },
        {"id": "m4", "type": "message", "meta": {"placed_at": "2022-03-02T14:35:34.786Z", "to": []}},
        id="meta-without-recipients-untouched",
    ),
    pytest.param(
        {
            "type": "conversation",
            "id": "v4",
            "attributes": {
                "firstMessageIn": {"channel": "sms", "meta": {"from": "+1404", "to": "+1718"}},
                "lastMessageIn": {
                    "meta": {"to": {"email": "x@example.com"}, "cc": ["y@example.com"], "bcc": None},
                },
                "lastMessageOut": {},
                "custom": {"toStr": "not a recipient"},
            },
        },
        {
            "id": "v4",
            "type": "conversation",
            "first_message_in": {"channel": "sms", "meta": {"from": "+1404", "to": [{"email": "+1718"}]}},
            "last_message_in": {
                "meta": {"to": [{"email": "x@example.com"}], "cc": [{"email": "y@example.com"}], "bcc": None}
            },
            "last_message_out": {},
            "custom": {"to_str": "not a recipient"},
        },
        id="embedded-message-meta-normalised",
    ),
    pytest.param(
        {
            "type": "note",
            "id": "n1",
            "attributes": {
                "body": "Appelé le client — 返金 🙏 camelCaseValue",
                "custom": {"größeStr": "groß", "名前Str": "名前"},
                "tags": ["camelCaseId", "😀"],
            },
        },
        {
            "id": "n1",
            "type": "note",
            "body": "Appelé le client — 返金 🙏 camelCaseValue",
            "custom": {"größe_str": "groß", "名前_str": "名前"},
            "tags": ["camelCaseId", "😀"],
        },
        id="unicode-and-values-untouched",
    ),
    pytest.param(
        {"type": "tag", "id": "t1", "attributes": {"name": "VIP", "listOfLists": [[{"innerKey": 1}], []]}},
        {"id": "t1", "type": "tag", "name": "VIP", "list_of_lists": [[{"inner_key": 1}], []]},
        id="no-relationships-no-links-nested-lists",
    ),
    pytest.param(
        {"type": "brand", "id": "b1"},
        {"id": "b1", "type": "brand"},
        id="bare-resource",
    ),
]


@pytest.mark.parametrize("resource, expected", CASES)
def test_transform_record(resource, expected):
    assert transform_record(copy.deepcopy(resource)) == expected


@pytest.mark.parametrize("resource, expected", CASES)
def test_transform_record_is_stable_once_keys_are_cached(resource, expected):
    transform_record(copy.deepcopy(resource))
    assert transform_record(copy.deepcopy(resource)) == expected


def test_key_order_is_resource_then_attributes_then_relationships_then_links():
    record = transform_record({
        "links": {"self": "/v1/x"},
        "relationships": {"org": {"data": ORG}},
        "attributes": {"name": "x"},
        "id": "1",
        "type": "tag",
    })
    assert list(record) == ["id", "type", "name", "org", "links"]


@pytest.mark.parametrize("name, expected", [
    ("updatedAt", "updated_at"),
    ("firstMessageIn", "first_message_in"),
    ("orderNumberStr", "order_number_str"),
    ("externalID", "external_id"),
    ("externalIDs", "external_ids"),
    ("HTMLBody", "html_body"),
    ("URLs", "urls"),
    ("address2Line", "address2_line"),
    ("ABC123Def", "abc123_def"),
    ("shopify-orders", "shopify_orders"),
    ("kobject.order", "kobject_order"),
    ("first name", "first_name"),
    ("a - b", "a_b"),
    ("twitter-dm", "twitter_dm"),
    ("already_snake", "already_snake"),
    ("Order_Number", "order_number"),
    ("_id", "_id"),
    ("userid", "userid"),
    ("1", "1"),
    ("größeStr", "größe_str"),
    ("名前Str", "名前_str"),
])
def test_snake_case(name, expected):
    assert snake_case(name) == expected
