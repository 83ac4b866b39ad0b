"""Render a record skeleton into the JSON:API resource object the real API returns (reference §6).

Stable content comes from the record's seed; a second generator seeded by (seed, rev) drives the fields
an update would plausibly change, so a mutated record differs in more than its timestamps. Shapes keep
the API's quirks on purpose: polymorphic message recipients, `sla` as both attribute and relationship,
KObject `klass.link`, message `customer.data.type == "customers"`, links-only and array relationships,
and a default brand without `modifiedAt`.
"""
import random

from . import custom_added
from .corpus import (CHANNELS, CITIES, COLORS, COMPANY_SUFFIXES, COMPANY_WORDS, DOMAINS, FIRST_NAMES,
                     KLASSES, LAST_NAMES, LOCALES, TAG_NAMES, TIME_ZONES, WORDS)
from .klasses import KLASS_SPECS
from .metadata import DEFAULT_TREE, STANDARD_ATTRIBUTES
from .timefmt import fmt_ms, fmt_offset

_TYPES = {"customers": "customer", "conversations": "conversation", "messages": "message", "notes": "note",
          "companies": "company", "users": "user", "teams": "team", "tags": "tag", "shortcuts": "shortcut",
          "brands": "brand"}
# Values by metadata type (metadata.py); what a value of each custom attribute type looks like.
_TYPE_VALUES = {
    "string": lambda m: m.pick(("gold", "silver", f"#{m.num(10**6)}", "Ünïcode ✓", "")),
    "text": lambda m: "\n".join(m.sentence() for _ in range(m.upto(1, 3))),
    "number": lambda m: m.pick((m.num(1000), round(m.rng.uniform(0, 5000), 2), 0, -1.5)),
    "date": lambda m: m.at() if m.chance(0.7) else fmt_offset(m.between(), m.pick((-300, 60, 330, 540))),
    "boolean": lambda m: m.chance(0.5),
    "url": lambda m: f"https://{m.pick(DOMAINS)}/p/{m.num(10**5)}?q=a%20b&x=ü",
    "id": lambda m: f"{m.rng.getrandbits(96):024x}",
    "tree": lambda m: m.pick(DEFAULT_TREE),
}


def render(dataset, stream, record, updated=None, rev=None):
    """Resource object for `record`, at its latest version or at (updated, rev) when given."""
    rev = record.rev if rev is None else rev
    resource = _RENDERERS[stream](_Maker(dataset, record, record.updated if updated is None else updated, rev))
    if record.custom_added:
        custom_added.apply(resource, record.custom_added, rev)
    return resource


class _Maker:
    def __init__(self, dataset, record, updated, rev):
        self.ds = dataset
        self.id = record.id
        self.seed = record.seed
        self.created = record.created
        self.updated = updated
        self.rev = rev
        self.rng = random.Random(record.seed)
        self.churn = random.Random(record.seed * 65_537 + rev)

    def chance(self, p, rng=None):
        return (rng or self.rng).random() < p

    # random()-based picks: several times cheaper than choice()/randrange(), and rendering every
    # record of a page on demand makes these the hot path.
    def pick(self, seq, rng=None):
        return seq[int((rng or self.rng).random() * len(seq))]

    def num(self, low, high=None):
        """Integer in [low, high), or in [0, low) with one argument."""
        if high is None:
            low, high = 0, low
        return low + int(self.rng.random() * (high - low))

    def upto(self, low, high):
        """Integer in [low, high], inclusive like randint."""
        return low + int(self.rng.random() * (high - low + 1))

    def maybe(self, p, value):
        return value if self.rng.random() < p else None

    def between(self, rng=None):
        return self.created + int((self.updated - self.created) * (rng or self.rng).random())

    def at(self, rng=None):
        return fmt_ms(self.between(rng))

    def modified_at(self):
        # modifiedAt tracks human edits, updatedAt also system ones, so it is sometimes older.
        return fmt_ms(self.updated if self.chance(0.6, self.churn) else self.between(self.churn))

    def person(self):
        return self.pick(FIRST_NAMES), self.pick(LAST_NAMES)

    def email(self):
        return f"user{self.num(10**6)}+tag@{self.pick(DOMAINS)}"

    def phone(self):
        return f"+1 212 555 {self.num(10**4):04d}"

    def sentence(self, rng=None):
        rng = rng or self.rng
        return " ".join(self.pick(WORDS, rng) for _ in range(2 + int(rng.random() * 11)))

    def ref(self, stream):
        ids = self.ds.ids(stream)
        return self.pick(ids) if ids else None

    def refs(self, stream, most):
        """Up to `most` distinct ids (duplicate draws collapse, so sometimes fewer)."""
        ids = self.ds.ids(stream)
        if not ids:
            return []
        return list(dict.fromkeys(self.pick(ids) for _ in range(self.upto(0, most))))

    def rel(self, stream, id_, type_=None):
        if id_ is None:
            return {"data": None}
        return {"links": {"self": f"/v1/{stream}/{id_}"}, "data": {"type": type_ or _TYPES[stream], "id": id_}}

    def base_rels(self):
        rels = {"org": self.rel("orgs", self.ds.org_id, "org")}
        if self.chance(0.9):
            rels["createdBy"] = self.rel("users", self.ref("users"))
        rels["modifiedBy"] = self.rel("users", self.ref("users"))
        return rels

    def custom(self, attributes):
        if self.chance(0.1):
            return {}
        chosen = self.rng.sample(attributes, self.upto(1, len(attributes)))
        return {attr.name: (None if self.chance(0.1) else _custom_value(self, attr)) for attr in chosen
                if attr.present_at(self.ds.anchor_ms, self.updated)}

    def sentiment(self):
        return self.pick(({}, None, {"confidence": round(self.rng.random(), 3),
                                     "polarity": self.pick((-1, 0, 1))}))

    def resource(self, stream, attributes, relationships, type_=None, self_link=None):
        return {"type": type_ or _TYPES[stream], "id": self.id, "attributes": attributes,
                "relationships": relationships, "links": {"self": self_link or f"/v1/{stream}/{self.id}"}}

    def stamps(self):
        return {"createdAt": fmt_ms(self.created), "updatedAt": fmt_ms(self.updated),
                "modifiedAt": self.modified_at()}


def _custom_value(m, attr):
    if attr.strays and m.chance(0.15):
        return m.pick(attr.strays)
    if attr.multi:
        return list(dict.fromkeys(_custom_item(m, attr) for _ in range(m.upto(0, 3))))
    return _custom_item(m, attr)


def _custom_item(m, attr):
    return m.pick(attr.options) if attr.options else _TYPE_VALUES[attr.type](m)


def _customer(m):
    first, last = m.person()
    name = f"{first} {last}"
    counts = [m.churn.randint(0, 6) for _ in range(3)]
    seen = m.at(m.churn)
    attrs = {
        "name": name, "displayName": name if m.chance(0.8) else first,
        "displayColor": m.pick(("blue", "purple", "green", "orange", None)),
        "displayIcon": m.pick(("user", "star", "cat", None)), "firstName": first, "lastName": last,
        "externalId": m.maybe(0.6, f"cust-{m.num(10**7)}"),
        "externalIds": [{"externalId": f"ext-{m.num(10**6)}", "verified": m.chance(0.5),
                         "id": f"{m.rng.getrandbits(96):024x}"} for _ in range(m.upto(0, 2))],
        "sharedExternalIds": [],
        "emails": [{"email": m.email(), "verified": m.chance(0.5), "type": m.pick(("home", "work", "other")),
                    "id": f"{m.rng.getrandbits(96):024x}", "externalVerified": m.maybe(0.5, m.chance(0.5))}
                   for _ in range(m.upto(0, 3))],
        "sharedEmails": [], "phones": [{"phone": m.phone(), "verified": False, "type": "mobile"}] * m.upto(0, 1),
        "sharedPhones": [], "whatsapps": [{"phone": m.phone()}] if m.chance(0.1) else [], "sharedWhatsapps": [],
        "facebookIds": [], "instagramIds": [{"pageId": str(m.num(10**9)), "username": f"ig_{first}",
                                             "threadId": None, "instagramId": str(m.num(10**12))}]
        if m.chance(0.1) else [],
        "socials": [{"type": "twitter", "userid": str(m.num(10**8)), "username": f"@{last}",
                     "url": None, "verified": False}] if m.chance(0.2) else [],
        "sharedSocials": [], "urls": [{"url": f"https://{m.pick(DOMAINS)}/{first}", "type": "website"}][:m.upto(0, 1)],
        "locations": [{"type": "home", "address": f"{m.upto(1, 999)} Rue de l'Église, {m.pick(CITIES)[1]}"}]
        if m.chance(0.3) else [],
        "activeUsers": [], "watchers": m.refs("users", 2),
        "recentLocation": _location(m) if m.chance(0.5) else {},
        "locale": m.pick(LOCALES), "timeZone": m.pick(TIME_ZONES), "birthdayAt": m.maybe(0.2, m.at()),
        "gender": m.pick(("f", "m", None, None)), "presence": m.pick(("online", "offline", "idle"), m.churn),
        "signedUpAt": m.maybe(0.4, m.at()), "avatarUrl": m.maybe(0.3, f"https://{m.pick(DOMAINS)}/a/{m.id}.png"),
        "username": m.maybe(0.3, f"{last.lower()}{m.num(100)}"), **m.stamps(),
        "lastSeenAt": seen, "lastActivityAt": seen, "lastCustomerActivityAt": m.maybe(0.8, seen),
        "lastMessageIn": {"sentAt": seen, "channel": m.pick(CHANNELS), "sentiment": m.sentiment()}
        if m.chance(0.8) else {},
        "lastMessageOut": {"sentAt": m.at(m.churn)} if m.chance(0.7) else {},
        "lastMessageAt": m.maybe(0.8, seen),
        "lastMessageUnrespondedTo": {"sentAt": seen, "channel": "email"} if m.chance(0.2) else {},
        "lastConversation": {"id": m.ref("conversations"), "channels": [m.pick(CHANNELS)],
                             "tags": m.refs("tags", 2), "sentiment": m.sentiment()} if m.chance(0.8) else {},
        "conversationCounts": {"all": sum(counts), "open": counts[0], "snoozed": counts[1], "done": counts[2]},
        "preview": {"previewAt": seen, "type": "message", "text": m.sentence(m.churn),
                    "subject": m.maybe(0.5, m.sentence()), "channel": m.pick(CHANNELS)} if m.chance(0.7) else {},
        "tags": m.refs("tags", 3), "sentiment": m.sentiment(),
        "progressiveStatus": m.pick((None, "open", "snoozed", "done"), m.churn),
        "verified": m.chance(0.4), "deleted": False, "rev": m.rev,
        "custom": m.custom(STANDARD_ATTRIBUTES["customer"]),
        "satisfactionLevel": _satisfaction_level(m) if m.chance(0.4) else {},
        "recentItems": [], "roleGroupVersions": [],
        "accessOverride": [{"user": m.ref("users")}] if m.chance(0.05) else [],
        "unmaskingWindow": None, "defaultLang": m.pick(("en", "fr", "ja", "ar", None)),
        "companyName": m.maybe(0.3, m.pick(COMPANY_WORDS)),
    }
    rels = {**m.base_rels(), "messages": {"links": {"self": f"/v1/customers/{m.id}/messages"}}}
    if m.chance(0.5):
        rels["company"] = m.rel("companies", m.ref("companies"))
    for klass in m.rng.sample(KLASSES, m.upto(0, 2)):
        rels[klass] = {"links": {"self": f"/v1/customers/{m.id}/klasses/{klass}"}, "meta": {"kobject": True}}
    return m.resource("customers", attrs, rels)


def _location(m):
    country, city, region, zip_code = m.pick(CITIES)
    return {"updatedAt": m.at(), "location": {"countryName": country, "cityName": city, "regionName": region,
                                              "zipCode": zip_code}}


def _satisfaction_level(m):
    return {"firstSatisfaction": {"sentAt": m.at()}, "lastSatisfaction": {"sentAt": m.at(), "rating": 4},
            "count": m.upto(1, 5), "acknowledgeCount": 0, "avgRating": round(m.rng.uniform(1, 5), 2),
            "avgScore": round(m.rng.random(), 3)}


def _conversation(m):
    status = m.pick(("open", "snoozed", "done", "done"), m.churn)
    inbound = m.upto(1, 8)
    outbound = m.upto(0, 8) + m.rev // 2
    channel = m.pick(CHANNELS)
    customer = m.ds.customer_of_conversation(m.id)
    first_in = {"id": m.ref("messages"), "sentAt": m.at(), "createdAt": m.at(), "channel": channel,
                "directionType": "initial-in", "meta": _recipients(m)}
    attrs = {
        "name": m.maybe(0.7, m.sentence()), "preview": m.sentence(m.churn), "channels": [channel],
        "status": status, "priority": m.upto(1, 5), "direction": m.pick(("in", "out")),
        "messageCount": inbound + outbound, "noteCount": m.upto(0, 3), "outboundMessageCount": outbound,
        "inboundMessageCount": inbound, "satisfaction": m.pick((0, 1, 2, None)),
        "satisfactionLevel": _satisfaction_level(m) if m.chance(0.3) else {}, "sentiment": m.sentiment(),
        "tags": m.refs("tags", 4), "suggestedTags": [{"tag": m.ref("tags"), "confidence": 0.87}][:m.upto(0, 1)],
        "assignedUsers": m.refs("users", 2), "assignedTeams": m.refs("teams", 2), **m.stamps(),
        "lastActivityAt": m.at(m.churn), "lastMessageAt": m.at(m.churn), "lastReceivedAt": m.maybe(0.9, m.at()),
        "firstMessageIn": first_in, "firstMessageOut": {"id": m.ref("messages"), "sentAt": m.at(),
                                                        "channel": channel} if outbound else {},
        "lastMessageIn": {"id": m.ref("messages"), "sentAt": m.at(m.churn), "channel": channel},
        "lastMessageOut": {"sentAt": m.at(m.churn)} if outbound else {},
        "lastMessageUnrespondedTo": {} if status == "done" else {"sentAt": m.at(), "channel": channel},
        "firstResponse": _response(m) if outbound else {}, "firstResponseSinceLastDone": {},
        "lastResponse": _response(m) if outbound else {},
        "firstDone": _done(m) if status == "done" else {}, "lastDone": _done(m) if status == "done" else {},
        "doneCount": m.churn.randint(0, 3), "reopenCount": m.churn.randint(0, 2),
        "snooze": {"time": m.at(), "status": "scheduled"} if status == "snoozed" else None,
        "snoozeCount": m.upto(0, 2), "totalOpen": {"time": m.num(10**8),
                                                          "businessTime": m.num(10**7)},
        "totalDone": {}, "ended": status == "done", "endedAt": m.at() if status == "done" else None,
        "endedReason": "done" if status == "done" else None, "endedByType": m.pick(("user", "workflow", None)),
        "spam": m.chance(0.02), "locale": m.pick(LOCALES), "defaultLang": m.pick(("en", "de", None)),
        "externalId": m.maybe(0.3, f"conv-{m.num(10**7)}"), "replyChannel": channel,
        "phase": m.pick(("initial", "queued", "assigned", None)), "importedAt": m.maybe(0.05, m.at()),
        "skills": [], "assistant": {"fieldResponses": [], "assistantId": []},
        "modificationHistory": {"statusAt": m.at(m.churn), "tagsAt": m.maybe(0.5, m.at())},
        "custom": m.custom(STANDARD_ATTRIBUTES["conversation"]), "rev": m.rev, "pinned": m.chance(0.05),
    }
    rels = {**m.base_rels(), "customer": m.rel("customers", customer),
            "messages": {"links": {"self": f"/v1/conversations/{m.id}/messages"}},
            "brand": m.rel("brands", m.ref("brands"))}
    if m.chance(0.8):
        # The reason Singer renames the denested attribute to sla_data.
        attrs["sla"] = _sla(m)
        rels["sla"] = m.rel("slas", f"{m.rng.getrandbits(96):024x}", "sla")
        rels["slaVersion"] = m.rel("sla-versions", f"{m.rng.getrandbits(96):024x}", "sla_version")
    if status == "done":
        rels["endedBy"] = m.rel("users", m.ref("users"))
    return m.resource("conversations", attrs, rels)


def _response(m):
    return {"id": m.ref("messages"), "time": m.num(10**7), "businessTime": m.num(10**6),
            "createdAt": m.at(), "createdBy": m.ref("users"), "sentAt": m.at(),
            "responseTime": m.num(10**7), "assignedUsers": m.refs("users", 1),
            "assignedTeams": m.refs("teams", 1), "createdByTeams": m.refs("teams", 1)}


def _done(m):
    return {"time": m.num(10**8), "businessTime": m.num(10**7), "createdAt": m.at(),
            "createdBy": m.ref("users"), "messageCount": m.upto(1, 9),
            "messageCountByChannel": {"email": m.upto(0, 5), "chat": m.upto(0, 5), "sms": 0,
                                      "voice": 0}}


def _sla(m):
    breached = m.chance(0.2, m.churn)
    return {"name": m.pick(("Standard", "VIP — 1h", "Support Tier 2")), "version": m.upto(1, 4),
            "matchedAt": m.at(), "breached": breached, "status": m.pick(("done", "pending", "paused"), m.churn),
            "metrics": {"firstResponse": {"satisfiedAt": m.maybe(0.7, m.at()), "breachAt": m.at()},
                        "longestUnrespondedMessage": {"satisfiedAt": None, "breachAt": m.at()},
                        "nextReply": {"onTimeCount": m.upto(0, 5), "lateCount": m.upto(0, 2)}},
            "summary": {"satisfiedAt": m.maybe(0.5, m.at()), "firstBreachAt": m.at() if breached else None},
            "breach": {"metric": "firstResponse", "at": m.at()} if breached else {}}


def _recipients(m):
    """Email `meta`: to/cc/bcc are a list of {email}, a single {email}, a plain string, or absent."""
    meta = {"subject": m.sentence(), "from": m.email(),
            "recipient": {"email": f"support@{m.pick(DOMAINS)}", "mailboxHash": m.maybe(0.3, "abc123")},
            "inReplyTo": m.maybe(0.5, f"<{m.rng.getrandbits(64):x}@mail.example.com>"),
            "trackingId": m.maybe(0.3, f"{m.rng.getrandbits(64):x}"), "attachmentNum": m.upto(0, 3)}
    for key in ("to", "cc", "bcc"):
        shape = m.num(5)
        if shape == 0:
            meta[key] = [{"email": m.email()} for _ in range(m.upto(0, 3))]
        elif shape == 1:
            meta[key] = {"email": m.email()}
        elif shape == 2:
            meta[key] = f"\"{m.pick(FIRST_NAMES)}\" <{m.email()}>"
    return meta


def _message_meta(m, channel):
    if channel == "email":
        return _recipients(m)
    if channel == "voice":
        return {"placedAt": m.at(), "answeredAt": m.maybe(0.8, m.at()), "endedAt": m.at(),
                "externalRecordingUrl": m.maybe(0.5, f"https://{m.pick(DOMAINS)}/rec/{m.id}.mp3"),
                "status": m.pick(("completed", "no-answer", "busy"))}
    if channel in ("facebook", "instagram", "twitter-dm"):
        return {"permalink": f"https://{m.pick(DOMAINS)}/p/{m.id}", "messageType": m.pick(("dm", "comment"))}
    return {}


def _message(m):
    channel = m.pick(CHANNELS)
    direction = m.pick(("in", "out"))
    conversation = m.ref("conversations")
    attrs = {
        "externalId": m.maybe(0.4, f"<{m.rng.getrandbits(64):x}@mail.example.com>"), "channel": channel,
        "app": m.pick(("postmark", "chat", "twilio", "gmail")), "size": m.num(100, 60_000),
        "direction": direction, "directionType": m.pick((f"initial-{direction}", f"response-{direction}",
                                                         f"followup-{direction}")),
        "preview": m.sentence(), "subject": m.maybe(0.6, m.sentence()),
        "status": m.pick(("sent", "received", "error"), m.churn), "auto": m.chance(0.1),
        "redacted": m.chance(0.02, m.churn), "lang": m.pick(("en", "fr", "ja", "ar", "he", None)),
        "sentAt": m.at(), **m.stamps(), "responseTime": m.maybe(0.5, m.num(10**7)),
        "responseBusinessTime": m.maybe(0.5, m.num(10**6)),
        "assignedUsers": m.refs("users", 2), "assignedTeams": m.refs("teams", 1),
        "createdByTeams": m.refs("teams", 1), "rev": m.rev,
        "reactions": [{"emoji": "👍🏽", "count": 1}] if m.chance(0.05) else [],
        "firstDelivered": {"timestamp": m.at(), "clientType": "web"} if m.chance(0.5) else {},
        "firstRead": {"timestamp": m.at()} if m.chance(0.4) else {}, "intentDetections": [],
        "sentiment": m.sentiment(), "custom": m.custom(STANDARD_ATTRIBUTES["message"]),
    }
    meta = _message_meta(m, channel)
    if meta or m.chance(0.5):
        attrs["meta"] = meta
    customer = m.ds.customer_of_conversation(conversation)
    rels = {**m.base_rels(), "customer": m.rel("customers", customer, "customers"),
            "conversation": m.rel("conversations", conversation),
            "shortcuts": {"data": [{"type": "shortcut", "id": sid} for sid in m.refs("shortcuts", 2)]}}
    resource = m.resource("messages", attrs, rels)
    if attrs["app"] == "postmark":
        resource["links"]["related"] = f"/v1/postmark/messages/{m.id}"
    return resource


def _note(m):
    conversation = m.ref("conversations")
    attrs = {"body": "\n\n".join(m.sentence() for _ in range(m.upto(1, 4))), **m.stamps(),
             "createdByTeams": m.refs("teams", 1), "userMentions": [{"user": uid} for uid in m.refs("users", 2)],
             "teamMentions": [{"team": tid} for tid in m.refs("teams", 1)], "rev": m.rev}
    rels = {**m.base_rels(), "customer": m.rel("customers", m.ds.customer_of_conversation(conversation)),
            "conversation": m.rel("conversations", conversation)}
    return m.resource("notes", attrs, rels)


def klass_of(record):
    """The klass of a kobject skeleton: its seed decides, so every version of it agrees."""
    return KLASSES[record.seed % len(KLASSES)]


def _kobject(m):
    klass = klass_of(m)
    klass_id = m.ds.klass_ids[klass]
    attrs = {"externalId": m.maybe(0.8, f"{klass}-{m.num(10**6)}"),
             "title": f"#{m.num(10**5)} {m.pick(WORDS)}", "description": m.maybe(0.6, m.sentence()),
             "icon": m.pick(("shopping-cart", "airplane", "box", None)),
             "images": [f"https://{m.pick(DOMAINS)}/i/{m.num(999)}.jpg"][:m.upto(0, 1)],
             "data": {"lineItems": [{"sku": f"SKU-{m.num(999)}", "qty": m.upto(1, 3)}
                                    for _ in range(m.upto(0, 3))], "raw": m.maybe(0.3, {})},
             "custom": m.custom(KLASS_SPECS[klass].attributes), "tags": m.refs("tags", 2),
             "createdAt": fmt_ms(m.created),
             "updatedAt": fmt_ms(m.updated), "rev": m.rev, "roleGroupVersions": []}
    if m.chance(0.3):
        attrs["attribution"] = {"conversationId": m.ref("conversations"), "attributionBy": "conversation",
                                "channel": m.pick(CHANNELS), "time": m.at(),
                                "revenueValue": round(m.rng.uniform(1, 900), 2), "currency": "EUR"}
    rels = {"org": m.rel("orgs", m.ds.org_id, "org"),
            # Singular "link" is how the real payload spells it for this one relationship.
            "klass": {"link": f"/v1/klasses/{klass_id}", "data": {"type": "klass", "id": klass_id}},
            "customer": m.rel("customers", m.ref("customers"))}
    if m.chance(0.2):
        rels["company"] = m.rel("companies", m.ref("companies"))
    return m.resource("kobjects", attrs, rels, f"kobject.{klass}", f"/v1/klasses/{klass}/{m.id}")


def _company(m):
    name = f"{m.pick(COMPANY_WORDS)} {m.pick(COMPANY_SUFFIXES)}".strip()
    domain = m.pick(DOMAINS)
    attrs = {"name": name, "externalId": m.maybe(0.5, f"acct-{m.num(10**6)}"),
             "domains": [domain][:m.upto(0, 1)], "emails": [{"email": f"info@{domain}"}][:m.upto(0, 1)],
             "phones": [{"phone": m.phone(), "type": "work"}][:m.upto(0, 1)],
             "whatapps": [], "socials": [], "urls": [{"url": f"https://{domain}"}][:m.upto(0, 1)],
             "locations": [{"type": "hq", "address": m.pick(CITIES)[1]}][:m.upto(0, 1)],
             "tags": m.refs("tags", 2), "custom": m.custom(STANDARD_ATTRIBUTES["company"]), "rev": m.rev,
             "roleGroupVersions": [], **m.stamps()}
    return m.resource("companies", attrs, m.base_rels())


def _user(m):
    first, last = m.person()
    machine = m.id == m.ds.api_user_id
    attrs = {"displayName": m.maybe(0.8, first), "name": "Data export key" if machine else f"{first} {last}",
             "userType": "machine" if machine else m.pick(("user", "user", "user", "limited")),
             "email": f"{m.id}@machine.kustomer.example" if machine else m.email(),
             "emailVerifiedAt": m.maybe(0.8, m.at()), "firstEmailVerifiedAt": m.maybe(0.8, m.at()),
             "mobile": m.maybe(0.3, m.phone()), "avatarUrl": m.maybe(0.4, f"https://{m.pick(DOMAINS)}/u.png"),
             "emailSignature": m.maybe(0.3, f"--\n{first} ✉️"),
             "password": {"allowNew": True, "forceNew": False, "updatedAt": m.at()},
             "verifiedEmailStatus": m.pick(("verified", "unverified")), "roleGroups": m.refs("teams", 1),
             "roles": ["org.permission.search.create", "org.permission.customer.read"] if machine
             else m.pick((["org.user.search.read"], ["org.admin"], [])),
             "firstLoginAt": m.maybe(0.9, m.at()), "mostRecentLoginAt": m.maybe(0.9, m.at(m.churn)),
             **m.stamps(), "isEmailValid": m.chance(0.95)}
    return m.resource("users", attrs, m.base_rels())


def _deletion(m, attrs, rels):
    deleted = m.chance(0.1)
    attrs["deleted"] = deleted
    attrs["deletedAt"] = fmt_ms(m.updated) if deleted else None
    if deleted:
        rels["deletedBy"] = m.rel("users", m.ref("users"))


def _team(m):
    name = f"{m.pick(('Support', 'Billing', 'Tier 2', 'Équipe FR', 'サポート', 'VIP'))} {m.num(100)}"
    attrs = {"name": name, "displayName": name, "icon": m.pick(("users", "headset", None)),
             "members": m.refs("users", 8), "roleGroups": [], **m.stamps()}
    rels = m.base_rels()
    _deletion(m, attrs, rels)
    return m.resource("teams", attrs, rels)


def _tag(m):
    attrs = {"name": f"{m.pick(TAG_NAMES)}-{m.id[-4:]}", "color": m.pick(COLORS), **m.stamps()}
    rels = m.base_rels()
    _deletion(m, attrs, rels)
    return m.resource("tags", attrs, rels)


def _shortcut(m):
    text = "Hi {{customer.firstName}}, " + m.sentence() + " [[sn.org.signature]]"
    attrs = {"name": f"{m.pick(WORDS)} {m.num(1000)}", "draft": {"text": text},
             "payload": {"text": {"blocks": [{"key": f"{m.rng.getrandbits(20):x}", "text": text, "type": "unstyled",
                                              "depth": 0, "inlineStyleRanges": [], "entityRanges": [],
                                              "data": {}}], "entityMap": {}}},
             "conversation": {"custom": {"contactReasonTree": "billing"} if m.chance(0.3) else {}},
             "isPrivate": m.chance(0.2), "deleted": m.chance(0.05), "appDisabled": False, "rev": m.rev,
             **m.stamps()}
    rels = {**m.base_rels(), "parent": m.rel("shortcuts", None),
            "accessUsers": {"data": [{"type": "user", "id": uid} for uid in m.refs("users", 2)]},
            "accessTeams": {"data": [{"type": "team", "id": tid} for tid in m.refs("teams", 1)]},
            "attachments": {"data": []}}
    return m.resource("shortcuts", attrs, rels)


def _brand(m):
    default = m.id == m.ds.ids("brands")[0]
    attrs = {"name": "Default" if default else f"{m.pick(COMPANY_WORDS)} Brand", "default": default,
             "createdAt": fmt_ms(m.created), "updatedAt": fmt_ms(m.updated)}
    rels = {"org": m.rel("orgs", m.ds.org_id, "org")}
    if not default:
        # The org's original brand predates modifiedAt/createdBy tracking.
        attrs["iconUrl"] = m.maybe(0.5, f"https://{m.pick(DOMAINS)}/brand.svg")
        attrs["modifiedAt"] = m.modified_at()
        rels.update(m.base_rels())
    return m.resource("brands", attrs, rels)


_RENDERERS = {"customers": _customer, "conversations": _conversation, "messages": _message, "notes": _note,
              "kobjects": _kobject, "companies": _company, "users": _user, "teams": _team, "tags": _tag,
              "shortcuts": _shortcut, "brands": _brand}
