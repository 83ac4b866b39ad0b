"""The streams, declared as data: where each comes from and how big its pages may be."""
from dataclasses import dataclass

SEARCH_PAGE_MAX = 500
# Searching is a permission of its own, besides reading the object searched for.
SEARCH_PERMISSION = "org.permission.search.create"


@dataclass(frozen=True)
class Stream:
    name: str
    context: str = None  # search queryContext; None for a paged list
    path: str = None  # GET list path: the source of a list stream, or a search stream's fallback
    page_max: int = SEARCH_PAGE_MAX
    permission: str = None  # the role a 403 asks for, to name it in the error line

    @property
    def is_search(self):
        return self.context is not None

    @property
    def roles(self):
        """What a 403 asks the user to grant."""
        return f"{self.permission} and {SEARCH_PERMISSION}" if self.is_search else self.permission

    def page_size(self, configured):
        return max(1, min(configured, self.page_max))


STREAMS = (
    Stream("customers", context="customer", permission="org.permission.customer.read"),
    Stream("conversations", context="conversation", permission="org.permission.conversation.read"),
    Stream("messages", context="message", permission="org.permission.message.read"),
    Stream("notes", context="note", permission="org.permission.note.read"),
    Stream("kobjects", context="kobject", permission="org.permission.kobject.read"),
    # Search by company_updated_at is undocumented: when the API refuses it, read the list instead.
    Stream("companies", context="company", path="/v1/companies", permission="org.permission.company.read"),
    Stream("users", path="/v1/users", page_max=500, permission="org.permission.user.read"),
    Stream("teams", path="/v1/teams", page_max=500, permission="org.permission.team.read"),
    Stream("tags", path="/v1/tags", page_max=100, permission="org.permission.tag.read"),
    Stream("shortcuts", path="/v1/shortcuts", page_max=100, permission="org.permission.shortcut.read"),
    Stream("brands", path="/v1/brands", page_max=100, permission="org.permission.brand.read"),
)
STREAMS_BY_NAME = {stream.name: stream for stream in STREAMS}
LIST_FALLBACK_PAGE_MAX = 100
REPLICATION_KEY = "updated_at"
KEY_PROPERTIES = ("id",)
