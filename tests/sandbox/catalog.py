"""Which streams exist, how the API exposes them, and what they are called in each place."""

# Tap stream name -> JSON:API `type` (also the singular used in role names and search attribute prefixes).
STREAM_TYPES = {
    "customers": "customer",
    "conversations": "conversation",
    "messages": "message",
    "notes": "note",
    "kobjects": "kobject",
    "companies": "company",
    "users": "user",
    "teams": "team",
    "tags": "tag",
    "shortcuts": "shortcut",
    "brands": "brand",
}
STREAMS = tuple(STREAM_TYPES)

# queryContext -> stream, for the contexts the simulator holds data for.
SEARCH_STREAMS = {
    "customer": "customers",
    "conversation": "conversations",
    "message": "messages",
    "note": "notes",
    "kobject": "kobjects",
    "company": "companies",
}


class ListSpec:
    __slots__ = ("stream", "max_page_size", "reports_total")

    def __init__(self, stream, max_page_size, reports_total=False):
        self.stream = stream
        self.max_page_size = max_page_size
        self.reports_total = reports_total


# GET /v1/<segment>: documented maxima (users/teams 500, most lists 100); only GET /customers reports
# meta.total/totalPages and links.last.
LISTS = {
    "users": ListSpec("users", 500),
    "teams": ListSpec("teams", 500),
    "tags": ListSpec("tags", 100),
    "shortcuts": ListSpec("shortcuts", 100),
    "brands": ListSpec("brands", 100),
    "companies": ListSpec("companies", 100),
    "customers": ListSpec("customers", 100, reports_total=True),
    "conversations": ListSpec("conversations", 100),
    "messages": ListSpec("messages", 100),
    "notes": ListSpec("notes", 100),
}


def read_role(resource):
    """The permission-set role a key needs to read a list (by name) or a search context."""
    return f"org.permission.{STREAM_TYPES.get(resource, resource)}.read"
