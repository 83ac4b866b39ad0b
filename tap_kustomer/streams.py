"""The streams, declared as data: which sources each one reads, in what order, and what falls back to what."""
from dataclasses import dataclass

from .sources import Listed, OrgAttributes, Searched

# Searching is a permission of its own, besides reading the object searched for.
SEARCH_PERMISSION = "org.permission.search.create"
REPLICATION_KEY = "updated_at"
KEY_PROPERTIES = ("id",)


@dataclass(frozen=True)
class Stream:
    name: str
    source: object  # a source spec from sources.py: how the stream's records are read
    permission: str  # the role a 403 asks for, to name it in the error line
    # Read instead when the source refuses its query (HTTP 400).
    fallback: object = None
    # The resource whose custom attribute metadata types the records' `custom` block (GET /v1/metadata/...).
    custom_of: str = None
    schema_name: str = None  # the bundled schema file, when it is not the stream's own name

    @property
    def schema_file(self):
        return self.schema_name or self.name

    @property
    def roles(self):
        """What a 403 asks the user to grant."""
        if isinstance(self.source, Searched):
            return f"{self.permission} and {SEARCH_PERMISSION}"
        return self.permission


def _role(kind):
    return f"org.permission.{kind}.read"


STREAMS = (
    Stream("customers", Searched("customer"), _role("customer"), custom_of="customer"),
    Stream("conversations", Searched("conversation"), _role("conversation"), custom_of="conversation"),
    Stream("messages", Searched("message"), _role("message"), custom_of="message"),
    # Archive search has no note context: notes older than the horizon are out of search's reach.
    Stream("notes", Searched("note", archive=False, holder="conversation"), _role("note")),
    Stream("kobjects", Searched("kobject"), _role("kobject")),
    # Search by company_updated_at is undocumented: when the API refuses it, read the list instead.
    Stream("companies", Searched("company"), _role("company"), fallback=Listed("/v1/companies", page_max=100),
           custom_of="company"),
    Stream("users", Listed("/v1/users", page_max=500), _role("user")),
    Stream("teams", Listed("/v1/teams", page_max=500), _role("team")),
    Stream("tags", Listed("/v1/tags", page_max=100), _role("tag")),
    Stream("shortcuts", Listed("/v1/shortcuts", page_max=100), _role("shortcut")),
    Stream("brands", Listed("/v1/brands", page_max=100), _role("brand")),
    # The org's own schema, as data: klass definitions, and every custom attribute of every resource.
    Stream("klasses", Listed("/v1/klasses", page_max=100), _role("metadata")),
    Stream("custom_attributes", OrgAttributes(), _role("metadata")),
)
STREAMS_BY_NAME = {stream.name: stream for stream in STREAMS}
# Catalog metadata that marks a stream of one klass's custom objects, and names the klass.
KLASS_METADATA = "tap-kustomer.klass"


def klass_stream(name, klass):
    """The stream of one klass's custom objects: a search stream like kobjects, in the klass's own context."""
    return Stream(name, Searched(f"kobject_{klass}", klass=klass), _role("kobject"),
                  custom_of=f"kobject.{klass}", schema_name="kobjects")
