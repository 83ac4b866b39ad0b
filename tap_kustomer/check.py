"""--check: one request per selected stream to prove the token, region and permissions, before a sync."""
import math

from .client import KustomerClient
from .cursor import SearchQuery
from .errors import AccessDenied, BadRequest
from .extract import search_body
from .streams import LIST_FALLBACK_PAGE_MAX, STREAMS
from .timeutil import utc_now


def _count(client, stream, config):
    """(records the stream would sync, or None when the endpoint does not say, source used)."""
    if stream.is_search:
        query = SearchQuery(config.start_date, True, config.end_date or utc_now(), False, 1)
        try:
            payload = client.search(search_body(stream.context, query), 1, 1)
            return (payload.get("meta") or {}).get("total"), "search"
        except BadRequest:
            if stream.path is None:
                raise
    payload = client.get(stream.path, {"page": 1, "pageSize": 1})
    return (payload.get("meta") or {}).get("total"), f"GET {stream.path}"


def preflight(config, selections):
    client = KustomerClient(config)
    try:
        me = client.get("/v1/users/current")
        user = (me.get("data") or {}).get("attributes") or {}
        print(f"token OK on {config.base_url}: {user.get('name') or user.get('email') or 'API user'} "
              f"({user.get('userType', 'unknown type')})")
        streams = [selection.stream for selection in selections] if selections is not None else list(STREAMS)
        denied, search_requests = [], 0
        print(f"{'stream':<14} {'access':<8} {'records':>9}  source")
        for stream in streams:
            try:
                total, source = _count(client, stream, config)
            except AccessDenied as exc:
                denied.append(stream.name)
                print(f"{stream.name:<14} {'DENIED':<8} {'':>9}  needs {stream.roles} ({exc})")
                continue
            if source == "search" and isinstance(total, int):
                search_requests += math.ceil(total / stream.page_size(config.page_size_limit)) + 1
            shown = f"{total:,}" if isinstance(total, int) else "?"
            print(f"{stream.name:<14} {'ok':<8} {shown:>9}  {source}")
        minutes = search_requests / config.search_requests_per_minute
        print(f"a full sync needs about {search_requests:,} search requests: ~{minutes:.1f} min at "
              f"{config.search_requests_per_minute} searches/min, plus the list pages "
              f"(up to {LIST_FALLBACK_PAGE_MAX} records each), plus a few pages for each timestamp that "
              f"more records share than a page holds")
        if denied:
            print(f"cannot read: {', '.join(denied)}")
            return 1
        return 0
    finally:
        client.close()
