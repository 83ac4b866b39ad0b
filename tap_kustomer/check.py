"""--check: prove the token, region and permissions, and ask each selected stream's source what the next
sync holds and costs, span by span, before it runs: a full sync, or from the bookmarks of a state."""
from .client import KustomerClient
from .custom_types import klass_stream_names
from .errors import AccessDenied
from .org_metadata import read_klasses
from .sources import source_of
from .streams import STREAMS, klass_stream
from .sync import read_range
from .timeutil import utc_now


def every_stream(client):
    """The static streams and a stream per klass, named as discovery names them. Only the klass list is
    read: --check needs no attribute metadata. Without the metadata role, the klasses row says DENIED."""
    try:
        klasses = read_klasses(client)
    except AccessDenied:
        return list(STREAMS)
    names = klass_stream_names(klass.name for klass in klasses)
    return list(STREAMS) + [klass_stream(stream, klass) for klass, stream in names.items()]


def print_costs(config, costs):
    """The search requests each span would spend, and the minutes that takes at the search budget."""
    for span in ("archive", "standard"):
        if span in costs:
            minutes = costs[span] / config.search_requests_per_minute
            print(f"{span} span: about {costs[span]:,} search requests, ~{minutes:.1f} min at "
                  f"{config.search_requests_per_minute} searches/min")


def preflight(config, selections, state):
    """`state`: the bookmarks the sync would start from (normalised; without bookmarks, a full sync)."""
    client = KustomerClient(config)
    try:
        me = client.get("/v1/users/current")
        user = (me.get("data") or {}).get("attributes") or {}
        print(f"token OK on {config.base_url}: {user.get('name') or user.get('email') or 'API user'} "
              f"({user.get('userType', 'unknown type')})")
        streams = [selection.stream for selection in selections] if selections is not None else every_stream(client)
        width = max([len("stream")] + [len(stream.name) for stream in streams])
        denied, costs, gaps = [], {}, []
        if state["bookmarks"]:
            print("what the next sync reads, from the state's bookmarks (a stream without one from start_date):")
        print(f"{'stream':<{width}} {'access':<8} {'span':<9} {'records':>9} {'requests':>9}  source")
        for stream in streams:
            try:
                source, reading = source_of(stream), read_range(config, state, stream.name, utc_now())
                estimates = source.estimate(client, reading)
                gap = source.out_of_reach(client, reading)
            except AccessDenied as exc:
                denied.append(stream.name)
                print(f"{stream.name:<{width}} {'DENIED':<8} {'':<9} {'':>9} {'':>9}  needs {stream.roles} ({exc})")
                continue
            for estimate in estimates:
                shown = "?" if estimate.records is None else f"{estimate.records:,}"
                cost = "?" if estimate.requests is None else f"{estimate.requests:,}"
                print(f"{stream.name:<{width}} {'ok':<8} {estimate.span:<9} {shown:>9} {cost:>9}  {estimate.source}")
                costs[estimate.span] = costs.get(estimate.span, 0) + (estimate.requests or 0)
            gaps += [gap] if gap else []
        print_costs(config, costs)
        print("plus the list pages; each search page after a span's first repeats the records at the timestamp "
              "the page before ended on, and a timestamp that more records share than a page holds takes a few "
              "pages more")
        for gap in gaps:
            print(gap)
        if denied:
            print(f"cannot read: {', '.join(denied)}")
            return 1
        return 0
    finally:
        client.close()
