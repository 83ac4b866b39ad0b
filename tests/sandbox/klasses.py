"""The org's custom object types (klasses): `GET /v1/klasses` and the metadata of each klass.

Every name in corpus.KLASSES has records; `LATE_KLASS` has none and exists only once `add` creates it,
which is how a test makes a klass appear between a tap's discovery and its sync.
"""
import hashlib
import threading
from dataclasses import dataclass
from urllib.parse import parse_qsl

from .corpus import KLASSES
from .errors import bad_request
from .metadata import DAY_MS, KOBJECT_PREFIX, STANDARD_ATTRIBUTES, Attr, document, not_found
from .paging import link, page_params
from .timefmt import fmt_ms, now_ms

KLASSES_PATH = "/v1/klasses"
MAX_PAGE_SIZE = 100
# UNCERTAIN what existing_only leaves out; the simulator has no deleted klasses, so it leaves out nothing.
STATUS_FILTERS = {"enabled": ("enabled",), "disabled": ("disabled",), "existing_only": ("enabled", "disabled")}


@dataclass(frozen=True)
class KlassSpec:
    name: str
    display_name: str
    icon: str
    color: str
    description: str
    attributes: tuple
    status: str = "enabled"


KLASS_SPECS = {spec.name: spec for spec in (
    KlassSpec("order", "Order", "shopping-cart", "#1e90ff", "Orders from the web shop", (
        Attr("orderNumberStr", "string", "Order number"), Attr("totalPriceNum", "number", "Total price"),
        Attr("orderStatusStr", "string", "Status", options=("pending", "paid", "shipped", "delivered")),
        Attr("placedAt", "date", "Placed"), Attr("orderUpdatedAt", "date", "Order updated"),
        Attr("giftBool", "boolean", "Gift"), Attr("trackingUrl", "url", "Tracking"),
        Attr("customerId", "id", "Customer"))),
    # Dashed, as most klass names are: searched as kobject_ecomm-order.
    KlassSpec("ecomm-order", "E-commerce order", "box", "#2ecc71", "Orders synced from the ERP", (
        Attr("orderNumberStr", "string", "Order number"), Attr("subtotalNum", "number", "Subtotal"),
        # Hand-typed in the ERP: some orders say "n/a" or "" where a number belongs.
        Attr("shippingCostNum", "number", "Shipping cost", strays=("n/a", "")),
        Attr("fulfilledAt", "date", "Fulfilled"), Attr("storefrontUrl", "url", "Storefront"),
        Attr("salesChannelStr", "string", "Sales channel", options=("web", "pos", "marketplace")),
        # Created through the API without a type suffix: only the metadata says what it is.
        Attr("erpReference", "string", "ERP reference"))),
    KlassSpec("subscription", "Subscription", "refresh", "#9b59b6", "Plans and renewals", (
        Attr("planStr", "string", "Plan", options=("basic", "pro", "enterprise")),
        Attr("seatsNum", "number", "Seats"), Attr("renewsAt", "date", "Renews"),
        Attr("autoRenewBool", "boolean", "Auto-renew"), Attr("billingPortalUrl", "url", "Billing portal"),
        Attr("addOnsStr", "string", "Add-ons", options=("sso", "audit-log", "sandbox"), multi=True),
        Attr("cancelReasonTree", "tree", "Cancel reason",
             options=("price.too_high", "price.budget_cut", "product.missing_feature", "other")),
        # Deleted when plans were renamed; subscriptions not written since still carry it.
        Attr("legacyPlanCodeStr", "string", "Legacy plan code", deleted_days=300))),
    KlassSpec("loop-returns", "Return", "undo", "#f1c40f", "Returns from Loop", (
        Attr("returnReasonTree", "tree", "Return reason",
             options=("size.too_small", "size.too_big", "damaged", "changed_mind")),
        Attr("refundAmountNum", "number", "Refund amount"), Attr("returnedAt", "date", "Returned"),
        Attr("exchangeBool", "boolean", "Exchange"), Attr("labelUrl", "url", "Return label"),
        Attr("rmaId", "id", "RMA"), Attr("customerCommentTxt", "text", "Customer comment"))),
    # Disabled years ago; its records remain and are still searchable.
    KlassSpec("flight-booking", "Flight booking", "airplane", "#FF5733", "Bookings from the retired travel desk", (
        Attr("pnrStr", "string", "PNR"), Attr("departsAt", "date", "Departs"),
        Attr("passengersNum", "number", "Passengers"), Attr("businessClassBool", "boolean", "Business class")),
        status="disabled"),
    # CamelCase, as the Shopify app names it: the tap has to snake-case it (shopify_order).
    KlassSpec("ShopifyOrder", "Shopify order", "shopping-bag", "#000000", "Created by the Shopify app", (
        Attr("shopifyOrderId", "id", "Shopify order"), Attr("totalPriceNum", "number", "Total price"),
        Attr("financialStatusStr", "string", "Financial status", options=("pending", "paid", "refunded")),
        Attr("processedAt", "date", "Processed"), Attr("adminUrl", "url", "Shopify admin"),
        Attr("tagsStr", "string", "Tags", multi=True))),
)}
LATE_KLASS = KlassSpec("warranty-claim", "Warranty claim", "shield", "#2ecc71", "Added after the tap's discovery", (
    Attr("claimNumberStr", "string", "Claim number"), Attr("productSkuStr", "string", "Product SKU"),
    Attr("purchasedAt", "date", "Purchased"), Attr("approvedBool", "boolean", "Approved")))


class _Klass:
    __slots__ = ("spec", "id", "created")

    def __init__(self, spec, id_, created):
        self.spec = spec
        self.id = id_
        self.created = created


class KlassRegistry:
    """The klasses the org has now, in creation order, and the metadata of every resource."""

    def __init__(self, dataset):
        self._anchor = dataset.anchor_ms
        self._org_id = dataset.org_id
        self._lock = threading.Lock()
        # An ObjectId starts with its creation second.
        self._klasses = [_Klass(KLASS_SPECS[name], id_, int(id_[:8], 16) * 1000)
                         for name, id_ in ((name, dataset.klass_ids[name]) for name in KLASSES)]

    def add(self, spec=LATE_KLASS):
        """Create a klass now (as an admin would); returns its id. A name that exists is refused."""
        with self._lock:
            if any(k.spec.name == spec.name for k in self._klasses):
                raise ValueError(f"klass {spec.name!r} exists already")
            created = now_ms()
            id_ = f"{created // 1000:08x}{hashlib.sha256(spec.name.encode()).hexdigest()[:16]}"
            self._klasses.append(_Klass(spec, id_, created))
            return id_

    def names(self):
        with self._lock:
            return [k.spec.name for k in self._klasses]

    def listing(self, query_string):
        """(page, page_size, body) of `GET /v1/klasses`; `status` filters, other parameters are echoed."""
        page, page_size, extra = page_params(query_string, MAX_PAGE_SIZE)
        status = dict(parse_qsl(query_string)).get("status")
        if status is not None and status not in STATUS_FILTERS:
            raise bad_request(f"query parameter status should be one of {', '.join(STATUS_FILTERS)}", "/status")
        with self._lock:
            chosen = [k for k in self._klasses if status is None or k.spec.status in STATUS_FILTERS[status]]
        start = (page - 1) * page_size

        def at(number):
            return link(KLASSES_PATH, extra, number, page_size)
        links = {"self": at(page), "first": at(1), "prev": at(page - 1) if page > 1 else None,
                 "next": at(page + 1) if start + page_size < len(chosen) else None}
        return page, page_size, {"meta": {"pageSize": page_size, "page": page},
                                 "data": [self._resource(k) for k in chosen[start:start + page_size]],
                                 "links": links}

    def metadata(self, resource):
        """The body of `GET /v1/metadata/{resource}`, or a 404 for a resource or klass the org lacks."""
        attributes = STANDARD_ATTRIBUTES.get(resource)
        if attributes is None and resource.startswith(KOBJECT_PREFIX):
            name = resource[len(KOBJECT_PREFIX):]
            with self._lock:
                attributes = next((k.spec.attributes for k in self._klasses if k.spec.name == name), None)
        if attributes is None:
            raise not_found(resource)
        return document(resource, attributes, self._anchor)

    def _resource(self, klass):
        spec = klass.spec
        attributes = {"name": spec.name, "displayName": spec.display_name, "icon": spec.icon, "color": spec.color,
                      "description": spec.description, "status": spec.status, "createdAt": fmt_ms(klass.created),
                      "updatedAt": fmt_ms(max(klass.created, self._anchor - 45 * DAY_MS))}
        return {"type": "klass", "id": klass.id, "attributes": attributes,
                "relationships": {"org": {"data": {"type": "org", "id": self._org_id}}},
                "links": {"self": f"{KLASSES_PATH}/{klass.id}"}}
