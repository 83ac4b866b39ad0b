"""--check: prove the token, region and permissions, and ask each selected stream's source what a full
sync holds and costs, span by span, before a sync."""
from .client import KustomerClient
from .custom_types import klass_stream_names
from .errors import AccessDenied
from .org_metadata import read_klasses
from .sources import ReadRange, source_of
from .streams import STREAMS, klass_stream
from .timeutil import utc_now


def full_range(config, stream_name):
    now = utc_now()
    end = min(now, config.end_date) if config.end_date else now
    return ReadRange(stream=stream_name, start=config.start_date, end=end,
                     settled=now, now=now, page_size=config.page_size_limit)


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


def preflight(config, selections):
    client = KustomerClient(config)
    try:
        me = client.get("/v1/users/current")
        user = (me.get("data") or {}).get("attributes") or {}
        print(f"token OK on {config.base_url}: {user.get('name') or user.get('email') or 'API user'} "
              f"({user.get('userType', 'unknown type')})")
        streams = [selection.stream for selection in selections] if selections is not None else every_stream(client)
        width = max([len("stream")] + [len(stream.name) for stream in streams])
        denied, costs, gaps = [], {}, []
        print(f"{'stream':<{width}} {'access':<8} {'span':<9} {'records':>9} {'requests':>9}  source")
        for stream in streams:
            try:
                source, reading = source_of(stream), full_range(config, stream.name)
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
        print("plus one archive request per search stream at the horizon, the list pages, and a few pages for "
              "each timestamp that more records share than a page holds")
        for gap in gaps:
            print(gap)
        if denied:
            print(f"cannot read: {', '.join(denied)}")
            return 1
        return 0
    finally:
        client.close()
