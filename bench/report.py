"""Targets judged from the figures, the side-by-side summary, and the printed table."""
from .common import SEARCH, ratio
from .peer_lane import PUBLISHED_SEARCH, PUBLISHED_STREAMS
from .scenarios import per_thousand

RSS_LIMIT_MB = 100.0


def judge(results):
    """[(target, figure text, limit text, met or None)]: None when the figure could not be measured."""
    full, paced, memory, incremental = (results.get(key) for key in ("full", "paced", "memory", "incremental"))
    rows = []
    search = full["search"]
    rows.append(("1 search requests / 1,000 records", f"{_num(search['per_1000'], 3)} ({search['requests']}; any walk "
                 f"{_opt(search.get('spans'))}+, keyset {_opt(search.get('floor'))}+)", "<= 2.05 (ideal 2.00)",
                 _le(search["per_1000"], 2.05)))
    early = results.get("search_2020")
    if early:
        rows.append(("  same, start_date 2020-01-01", _num(early["per_1000"], 3), "(reported)", None))
    if paced:
        rate, goal = paced["records_per_second"], paced["target_records_per_second"]
        rows.append((f"2 paced records/s (budget {paced['allowed_records_per_second']:.0f}/s)",
                     f"{_num(rate, 0)} = {_pct(ratio(rate, paced['allowed_records_per_second']))} of budget",
                     f">= {goal:.0f}", _ge(rate, goal)))
        most = paced["records_per_second_at_these_requests"]
        rows.append(("  most at the requests it needed", f"{_num(most, 0)} = "
                     f"{_pct(ratio(most, paced['allowed_records_per_second']))}; "
                     f"{paced['seconds_beyond_budget_pace']:.1f} s beyond the budget's pace", "(reported)", None))
        rows.append(("  429s / requests", f"{paced['pct_429']:.2f}% ({paced['http_429']}/{paced['requests']['total']})",
                     "<= 1%", _le(paced["pct_429"], 1.0)))
    cpu = full["cpu"]
    paired = cpu.get("ratio_paired")
    each = ", ".join(f"{_num(ratio(pair['tap'], pair['floor_json_fresh']), 2)}x" for pair in cpu.get("pairs", ()))
    rows.append(("3 tap CPU / json.loads floor, median of pairs", f"{_num(paired, 2)}x (pairs: {each})", "<= 3x",
                 _le(paired, 3.0)))
    rows.append(("  issue 13's goal for the same ratio", f"{_num(paired, 2)}x", "<= 2.5x", _le(paired, 2.5)))
    rows.append(("  the main run's pair", f"{_num(cpu['ratio_fresh'], 2)}x ({cpu['tap']:.1f} s / "
                 f"{cpu['floor_json_fresh']:.1f} s, the floor's median of 3)", "(reported)", None))
    rows.append(("  same, strictest floor (best of 2, warm)", f"{_num(cpu['ratio'], 2)}x ({cpu['tap']:.1f} s / "
                 f"{cpu['floor_json']:.1f} s)", "(reported)", None))
    rows.append(("  records per CPU-second", _num(cpu["records_per_cpu_second"], 0), "(reported)", None))
    if memory:
        points = memory["points"]
        for index, point in enumerate(points):
            rows.append((f"{' ' if index else '4'} peak RSS, {point['records']:,} records",
                         f"{point['run']['rss_mb']:.1f} MB",
                         f"< {RSS_LIMIT_MB:.0f} MB", _lt(point["run"]["rss_mb"], RSS_LIMIT_MB)))
        for step in memory["growth"]:
            rows.append((f"  growth x{step['data_factor']:.1f} data ({step['label']})",
                         f"{step['growth_pct']:+.1f}%", "<= +10%", _le(step["growth_pct"], 10.0)))
    if incremental:
        rows.append(("5 incremental: records emitted", f"{incremental['emitted']} "
                     f"({incremental['non_boundary']} not at a bookmark)", "boundary records only",
                     incremental["non_boundary"] == 0 and not incremental["error"]))
        rows.append(("  search requests per search stream", f"max {incremental['max_search_requests_per_stream']}"
                     f", {incremental['search_requests']} for {len(SEARCH)} streams "
                     f"(+{incremental['list_requests']} list pages)", "about 1",
                     _le(incremental["max_search_requests_per_stream"], 1)))
    return rows


def side_by_side(ours_run, ours_incremental, peer, data_name):
    """The published tap's figures where they mean something, and ours on the same data and streams."""
    if not peer or not peer.get("streams"):
        return None
    streams = peer["streams"]
    runs = [item for item in streams.values() if "run" in item]
    done = [name for name in PUBLISHED_SEARCH if streams.get(name, {}).get("run", {}).get("exit_code") == 0]
    records = sum(streams[name]["records"]["truth"] for name in done)
    cpu = sum(item["run"]["cpu"] for item in runs)
    emitted = sum(item["records"]["emitted"] for item in runs)
    ours_search = sum(ours_run["search"]["streams"][name]["requests"] for name in done)
    theirs = {
        "completed_search_streams": done,
        "failed_streams": {name: item.get("error") for name, item in streams.items() if item.get("error")},
        "search_per_1000": per_thousand(sum(streams[name]["requests"]["search"].get(name, 0) for name in done),
                                        records),
        "all_requests_per_1000": per_thousand(sum(streams[name]["requests"]["total"] for name in done), records),
        "cpu": cpu, "floor_json": peer.get("floor_json_cpu"), "cpu_ratio": ratio(cpu, peer.get("floor_json_cpu")),
        "records_emitted": emitted, "records_per_cpu_second": ratio(emitted, cpu),
        "rss_mb": max((item["run"]["rss_mb"] for item in runs), default=None),
        "duplicates": sum(item["records"]["duplicates"] for item in runs),
        "missing": sum(item["records"]["missing"] for item in runs),
    }
    # Target 5 on the streams whose rerun from the published tap's own final state finished.
    again = {name: item["incremental"] for name, item in streams.items()
             if (item.get("incremental") or {}).get("exit_code") == 0}
    again_search = [name for name in again if name in SEARCH]
    theirs.update(incremental_streams=sorted(again), incremental_emitted=sum(i["emitted"] for i in again.values()),
                  incremental_search=sum(again[name]["requests"]["search"].get(name, 0) for name in again_search))
    ours = {
        # Ours makes no requests besides searches on these streams: no token checks.
        "search_per_1000_same_streams": per_thousand(ours_search, records),
        "all_per_1000_same_streams": per_thousand(ours_search, records),
        "cpu_ratio": ours_run["cpu"]["ratio"], "records_per_cpu_second": ours_run["cpu"]["records_per_cpu_second"],
        "rss_mb": ours_run["run"]["rss_mb"],
        "duplicates": sum(item["duplicates"] for item in ours_run["truth"].values()),
        "missing": sum(item["missing"] for item in ours_run["truth"].values()),
        "incremental_emitted": sum(ours_incremental["streams"][name]["emitted"] for name in again),
        "incremental_search": sum(ours_incremental["streams"][name]["search_requests"] for name in again_search),
    }
    ratios = {key: ratio(ours[mine], theirs[key]) for key, mine in (
        ("search_per_1000", "search_per_1000_same_streams"), ("all_requests_per_1000", "all_per_1000_same_streams"),
        ("cpu_ratio", "cpu_ratio"), ("records_per_cpu_second", "records_per_cpu_second"), ("rss_mb", "rss_mb"),
        ("incremental_emitted", "incremental_emitted"), ("incremental_search", "incremental_search"))}
    return {"data": data_name, "records": ours_run["records"], "published": theirs, "ours": ours,
            "ours_over_theirs": ratios, "streams": _stream_rows(ours_run, streams)}


def _stream_rows(ours_run, streams):
    rows = []
    for name in PUBLISHED_STREAMS:
        item = streams.get(name, {})
        counts = item.get("records", {})
        truth = ours_run["truth"][name]["truth"]
        mine = ours_run["search"]["streams"].get(name, {}).get("requests")
        requests = item.get("requests", {})
        used = requests.get("search", {}).get(name) if name in SEARCH else requests.get("other", {}).get("list")
        rows.append({"stream": name, "records": truth, "ours_requests": mine,
                     "ours_per_1000": per_thousand(mine, truth) if mine else None,
                     "requests": used, "per_1000": per_thousand(used, truth) if used and name in SEARCH else None,
                     "emitted": counts.get("emitted"), "duplicates": counts.get("duplicates"),
                     "missing": counts.get("missing"), "exit": _exit(item)})
    return rows


def print_report(results, rows, sides):
    meta = results["meta"]
    print()
    print(f"tap-kustomer bench: bench profile x{meta['scale']:g}, seed {meta['seed']}: {meta['records']:,} records "
          f"({meta['search_records']:,} in search streams), start_date {meta['start']}")
    print(f"{'target':<44} {'measured':<44} {'target':<22} met")
    for name, figure, limit, met in rows:
        print(f"{name:<44} {figure:<44} {limit:<22} {_met(met)}")
    _print_streams(results)
    _print_stages(results["full"])
    if sides:
        _print_sides(results, sides)
    elif results.get("peer_error"):
        print(f"\npublished tap-kustomer 1.1.0: not run ({results['peer_error']})")
    print(f"\nbench took {results['meta']['seconds']:.0f} s; figures in {results['meta']['out']}")


def _print_streams(results):
    full = results["full"]
    early = results.get("search_2020") or {"streams": {}}
    fill = full.get("page_fill", {})
    print(f"\ntarget 1 per stream (start {results['meta']['start'][:10]}; 2020: start 2020-01-01)")
    print(f"{'stream':<14} {'records':>8} {'ideal':>6} {'spans':>6} {'floor':>6} {'requests':>9} {'archive':>8} "
          f"{'/1000':>7} "
          f"{'partial':>8} {'2020 req':>9} {'/1000':>7}")
    for name in SEARCH:
        ours, late = full["search"]["streams"][name], early["streams"].get(name, {})
        partial = fill.get(name, {})
        print(f"{name:<14} {ours['records']:>8,} {ours['ideal']:>6} {_opt(ours.get('spans')):>6} "
              f"{_opt(ours.get('floor')):>6} {ours['requests']:>9} "
              f"{_opt(ours.get('archive')):>8} "
              f"{_num(ours['per_1000'], 3):>7} {_opt(_partial(partial)):>8} {_opt(late.get('requests')):>9} "
              f"{_num(late.get('per_1000'), 3):>7}")
    total = full["search"]
    print(f"{'all':<14} {total['records']:>8,} {total['ideal']:>6} {_opt(total.get('spans')):>6} "
          f"{_opt(total.get('floor')):>6} "
          f"{total['requests']:>9} {'':>8} "
          f"{_num(total['per_1000'], 3):>7} {'':>8} {_opt(early.get('requests')):>9} "
          f"{_num(early.get('per_1000'), 3):>7}")
    print(f"(requests: standard and archive searches, both spend the search budget; records: those a search can "
          f"serve, {sum((full.get('unreachable') or {}).values()):,} notes past the horizon left out; spans: the "
          f"fewest any walk needs, 500 records a response from one index, per span; floor: the fewest a keyset "
          f"walk needs, each page repeating the records at the stamp the page before ended on)")


def _print_stages(full):
    stages = full.get("stages") or {}
    if "seconds" not in stages:
        print(f"\nwhere our CPU goes: {stages.get('error', 'not measured')}")
        return
    tap = full["cpu"]["tap"]
    seconds = stages["seconds"]
    print(f"\nwhere our CPU goes: each stage timed in-process on {stages['sampled_bodies']} of the "
          f"{full['served']['bodies']} served bodies, scaled up; the whole tap process took {tap:.1f} s")
    names = {"json_loads": "json.loads (the floor)", "orjson_loads": "orjson.loads (what the tap parses with)",
             "transform": "transform_record", "conform": "Conformer (schema drift check)",
             "serialise": "orjson.dumps of RECORD lines"}
    for key, label in names.items():
        print(f"  {label:<42} {seconds[key]:>7.1f} s  {100 * seconds[key] / tap:>5.1f}% of the tap's CPU")
    rest = tap - sum(value for key, value in seconds.items() if key != "json_loads")
    print(f"  {'the rest (HTTP, requests, loop, startup)':<42} {rest:>7.1f} s  {100 * rest / tap:>5.1f}%")


def _partial(fill):
    return None if not fill else fill["partial"] + fill["empty"]


def _print_sides(results, sides):
    theirs, ours, ratios = sides["published"], sides["ours"], sides["ours_over_theirs"]
    print(f"\nside by side with the published tap-kustomer 1.1.0: both on the {sides['data']} "
          f"({sides['records']:,} records), same simulator")
    print(f"{'stream':<14} {'records':>8} {'ours req':>9} {'/1000':>7} {'pub req':>8} {'/1000':>7} "
          f"{'pub emitted':>12} {'dups':>6} {'missing':>8}  published exit")
    for row in sides["streams"]:
        print(f"{row['stream']:<14} {row['records']:>8,} {_opt(row['ours_requests']):>9} "
              f"{_num(row['ours_per_1000'], 3):>7} {_opt(row['requests']):>8} {_num(row['per_1000'], 3):>7} "
              f"{_opt(row['emitted']):>12} {_opt(row['duplicates']):>6} {_opt(row['missing']):>8}  {row['exit']}")
    print(f"(request figures below: the search streams the published tap finished: "
          f"{', '.join(theirs['completed_search_streams']) or 'none'})")
    print(f"{'figure':<44} {'ours':>12} {'published':>12} {'ours/theirs':>12}")
    lines = [
        ("search requests / 1,000 records", ours["search_per_1000_same_streams"], theirs["search_per_1000"],
         ratios["search_per_1000"], 3),
        ("  all requests / 1,000 (+ token checks)", ours["all_per_1000_same_streams"],
         theirs["all_requests_per_1000"], ratios["all_requests_per_1000"], 3),
        ("CPU / json.loads floor", ours["cpu_ratio"], theirs["cpu_ratio"], ratios["cpu_ratio"], 2),
        ("records per CPU-second", ours["records_per_cpu_second"], theirs["records_per_cpu_second"],
         ratios["records_per_cpu_second"], 0),
        ("peak RSS MB", ours["rss_mb"], theirs["rss_mb"], ratios["rss_mb"], 1),
        ("duplicate records", ours["duplicates"], theirs["duplicates"], None, 0),
        ("missing records", ours["missing"], theirs["missing"], None, 0),
        ("rerun, no changes: records emitted", ours["incremental_emitted"], theirs["incremental_emitted"],
         ratios["incremental_emitted"], 0),
        ("  search requests", ours["incremental_search"], theirs["incremental_search"],
         ratios["incremental_search"], 0),
    ]
    for name, mine, published, quotient, digits in lines:
        print(f"{name:<44} {_num(mine, digits):>12} {_num(published, digits):>12} {_num(quotient, 3):>12}")
    print(f"(reruns: the streams whose rerun of the published tap finished: "
          f"{', '.join(theirs['incremental_streams']) or 'none'})")
    for name, error in theirs["failed_streams"].items():
        print(f"  published {name}: {error[:150]}")
    if results["published"].get("error"):
        print(f"  published lane: {results['published']['error']}")


def _num(value, digits):
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def _opt(value):
    return "-" if value is None else f"{value:,}"


def _pct(value):
    return "-" if value is None else f"{100 * value:.1f}%"


def _exit(item):
    run = item.get("run")
    if not run:
        return item.get("skipped", "-")
    return "timed out" if run["timed_out"] else str(run["exit_code"])


def _met(met):
    return {True: "yes", False: "NO", None: ""}[met]


def _le(value, limit):
    return None if value is None else value <= limit


def _lt(value, limit):
    return None if value is None else value < limit


def _ge(value, limit):
    return None if value is None else value >= limit
