"""Custom attributes: what each resource and klass declares, and `GET /v1/metadata/{resource}`.

Records draw their `custom` block from these declarations (records.py), so the metadata and the data
agree except where an attribute is made to disagree on purpose (`strays`, masked `sensitive` values,
values of a deleted attribute left on old records).
"""
from dataclasses import dataclass

from .errors import ApiError
from .timefmt import fmt_ms

DAY_MS = 86_400_000
# The reference is UNCERTAIN whether `data` is the metadata object or a one-item list of it: "object" or
# "list". Tests flip it to prove the tap takes both.
DATA_SHAPE = "object"
METADATA_PREFIX = "/v1/metadata/"
KOBJECT_PREFIX = "kobject."
# The options of a hierarchical dropdown are dotted paths; `tree` in the metadata nests them.
DEFAULT_TREE = ("billing.refund.partial", "billing.refund.full", "shipping.delayed", "account",
                "product.bug.ios")


@dataclass(frozen=True)
class Attr:
    """One custom attribute. `type` is the metadata type, which also picks how values are generated.

    options: enumeration values (or, for type "tree", the dotted paths of the tree).
    strays: values some records carry although they do not fit `type` (hand-typed data, imports).
    deleted_days: deleted that many days before the dataset's anchor; only record versions written
    before then still carry it.
    sensitive: the API masks it, so a masked value ("****") arrives whatever the type.
    """
    name: str
    type: str
    display_name: str
    options: tuple = ()
    multi: bool = False
    strays: tuple = ()
    deleted_days: int = None
    sensitive: bool = False

    def deleted_ms(self, anchor_ms):
        return None if self.deleted_days is None else anchor_ms - self.deleted_days * DAY_MS

    def present_at(self, anchor_ms, updated_ms):
        deleted = self.deleted_ms(anchor_ms)
        return deleted is None or updated_ms < deleted


STANDARD_ATTRIBUTES = {
    "customer": (
        Attr("orderNumberStr", "string", "Order number"), Attr("vipBool", "boolean", "VIP"),
        Attr("lifetimeValueNum", "number", "Lifetime value"), Attr("renewalAt", "date", "Renewal"),
        Attr("loyaltyTierStr", "string", "Loyalty tier", options=("bronze", "silver", "gold", "platinum")),
        Attr("npsScoreNum", "number", "NPS score"), Attr("primaryOrderId", "id", "Primary order"),
        Attr("websiteUrl", "url", "Website"), Attr("notesTxt", "text", "Notes"),
        Attr("churnRiskBool", "boolean", "Churn risk"), Attr("yaleSerialNumberStr", "string", "Serial number"),
        Attr("lastOrderAt", "date", "Last order"),
        Attr("interestsStr", "string", "Interests", options=("shoes", "bags", "outdoor", "kids", "sale"),
             multi=True),
        Attr("creditScoreNum", "number", "Credit score", sensitive=True, strays=("****",)),
    ),
    "conversation": (
        Attr("contactReasonTree", "tree", "Contact reason", options=DEFAULT_TREE),
        Attr("issueReportTree", "tree", "Issue", options=DEFAULT_TREE),
        Attr("orderNumberStr", "string", "Order number"), Attr("refundAmountNum", "number", "Refund amount"),
        Attr("escalatedBool", "boolean", "Escalated"), Attr("followUpAt", "date", "Follow up"),
        Attr("csatCommentTxt", "text", "CSAT comment"), Attr("ticketUrl", "url", "Ticket"),
    ),
    "message": (
        Attr("campaignStr", "string", "Campaign"), Attr("botHandledBool", "boolean", "Bot handled"),
        Attr("scoreNum", "number", "Score"),
    ),
    "company": (
        Attr("accountManagerStr", "string", "Account manager"), Attr("arrNum", "number", "ARR"),
        Attr("renewalAt", "date", "Renewal"), Attr("ssoEnabledBool", "boolean", "SSO enabled"),
        Attr("crmUrl", "url", "CRM"), Attr("tierStr", "string", "Tier", options=("smb", "mid", "enterprise")),
    ),
}


def document(resource, attributes, anchor_ms):
    """The body of `GET /v1/metadata/{resource}`, shaped as DATA_SHAPE says."""
    properties = {attr.name: _property(attr, index, anchor_ms) for index, attr in enumerate(attributes)}
    data = {"type": "metadata", "id": resource, "attributes": {"properties": properties}}
    return {"data": [data] if DATA_SHAPE == "list" else data}


def not_found(resource):
    return ApiError(404, "not_found", f"No metadata for resource {resource}")


def _property(attr, index, anchor_ms):
    created = anchor_ms - 600 * DAY_MS
    deleted = attr.deleted_ms(anchor_ms)
    entry = {"type": attr.type, "displayName": attr.display_name, "createdAt": fmt_ms(created),
             "updatedAt": fmt_ms(deleted if deleted is not None else anchor_ms - (10 + 7 * index) * DAY_MS)}
    if attr.type == "tree":
        entry["tree"] = {"children": _tree(attr.options)}
    elif attr.options:
        entry["enumeration"] = [{"value": value, "displayName": value.title()} for value in attr.options]
    if attr.multi:
        entry["multi"] = True
    if attr.sensitive:
        entry["sensitive"] = True
    if deleted is not None:
        entry["deletedAt"] = fmt_ms(deleted)
    return entry


def _tree(paths):
    """Dotted paths as nested {value, displayName, children} nodes, in first-seen order."""
    root = {}
    for path in paths:
        level = root
        for part in path.split("."):
            level = level.setdefault(part, {})
    return _nodes(root, "")


def _nodes(level, prefix):
    return [{"value": f"{prefix}{name}", "displayName": name.title(), "children": _nodes(sub, f"{prefix}{name}.")}
            for name, sub in level.items()]
