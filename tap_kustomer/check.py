"""--check: prove the token, region and permissions, and ask each selected stream's source what a full
sync holds and costs, span by span, before a sync."""
from .client import KustomerClient
from .errors import AccessDenied
from .sources import ReadRange, source_of
from .streams import STREAMS
from .timeutil import utc_now

def full_range(config, stream_name):
    now = utc_now()
    end = min(now, config.end_date) if config.end_date else now
    return ReadRange(stream=stream_name, start=config.start_date, end=end,
                     settled=now, now=now, page_size=config.page_size_limit)


def preflight(config, selections):
    client = KustomerClient(config)
    try:
        me = client.get("/v1/users/current")
        user = (me.get("data") or {}).get("attributes") or {}
        print(f"token OK on {config.base_url}: {user.get('name') or user.get('email') or 'API user'} "
              f"({user.get('userType', 'unknown type')})")
        streams = [selection.stream for selection in selections] if selections is not None else list(STREAMS)
        denied, costs, gaps = [], {}, []
        print(f"{'stream':<14} {'access':<8} {'span':<9} {'records':>9} {'requests':>9}  source")
        for stream in streams:
            try:
                source, reading = source_of(stream), full_range(config, stream.name)
                estimates = source.estimate(client, reading)
                gap = source.out_of_reach(client, reading)
            except AccessDenied as exc:
                denied.append(stream.name)
                print(f"{stream.name:<14} {'DENIED':<8} {'':<9} {'':>9} {'':>9}  needs {stream.roles} ({exc})")
                continue
            for estimate in estimates:
                shown = "?" if estimate.records is None else f"{estimate.records:,}"
                cost = "?" if estimate.requests is None else f"{estimate.requests:,}"
                print(f"{stream.name:<14} {'ok':<8} {estimate.span:<9} {shown:>9} {cost:>9}  {estimate.source}")
                costs[estimate.span] = costs.get(estimate.span, 0) + (estimate.requests or 0)
            gaps += [gap] if gap else []
        for span in ("archive", "standard"):
            if span in costs:
                minutes = costs[span] / config.search_requests_per_minute
                print(f"{span} span: about {costs[span]:,} search requests, ~{minutes:.1f} min at "
                      f"{config.search_requests_per_minute} searches/min")
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
