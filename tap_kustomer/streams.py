"""The streams, declared as data: which sources each one reads, in what order, and what falls back to what."""
from dataclasses import dataclass

from .sources import Listed, Searched

# Searching is a permission of its own, besides reading the object searched for.
SEARCH_PERMISSION = "org.permission.search.create"
REPLICATION_KEY = "updated_at"
KEY_PROPERTIES = ("id",)


@dataclass(frozen=True)
class Stream:
    name: str
    source: object  # a source spec from sources.py: how the stream's records are read
    permission: str  # the role a 403 asks for, to name it in the error line
    # Read instead when the source refuses its query (HTTP 400) before anything was read.
    fallback: object = None

    @property
    def roles(self):
        """What a 403 asks the user to grant."""
        if isinstance(self.source, Searched):
            return f"{self.permission} and {SEARCH_PERMISSION}"
        return self.permission


def _role(kind):
    return f"org.permission.{kind}.read"


STREAMS = (
    Stream("customers", Searched("customer"), _role("customer")),
    Stream("conversations", Searched("conversation"), _role("conversation")),
    Stream("messages", Searched("message"), _role("message")),
    # Archive search has no note context: notes older than the horizon are out of search's reach.
    Stream("notes", Searched("note", archive=False, holder="conversation"), _role("note")),
    Stream("kobjects", Searched("kobject"), _role("kobject")),
    # Search by company_updated_at is undocumented: when the API refuses it, read the list instead.
    Stream("companies", Searched("company"), _role("company"), fallback=Listed("/v1/companies", page_max=100)),
    Stream("users", Listed("/v1/users", page_max=500), _role("user")),
    Stream("teams", Listed("/v1/teams", page_max=500), _role("team")),
    Stream("tags", Listed("/v1/tags", page_max=100), _role("tag")),
    Stream("shortcuts", Listed("/v1/shortcuts", page_max=100), _role("shortcut")),
    Stream("brands", Listed("/v1/brands", page_max=100), _role("brand")),
)
STREAMS_BY_NAME = {stream.name: stream for stream in STREAMS}
