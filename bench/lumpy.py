"""Issue 13: requests per 1,000 records and the paced share of the search budget on lumpy data.

Per profile (bench/profiles.py), runs of the six search streams:
- unthrottled, ties in a stable order (TIE_ORDER): requests per stream from the simulator's journal, split
  into standard search and archive search (the archive span, read after the standard span), against the
  ideal of one request per 500 records the API can serve, per stream, rounded up; and,
  from the served bodies, how many pages each big tie came back on (on two or more: it crossed a boundary);
- five-year profiles, unthrottled again with ties reshuffled on every request (the simulator's default);
- paced: the same streams under a search budget of 10 per 6 s (100 per minute, scaled as in target 2),
  the tap at its default search_requests_per_minute of 100: records per second over what the budget
  allows at 500 records a request.
"""
import math
from collections import Counter
from datetime import datetime

import orjson

from tests.sandbox import SimOptions, Simulator

from .common import (SEARCH, STREAM_OF_CONTEXT, keyset_floor, ratio, reachable, span_ideal, start_before_oldest,
                     versus_truth)
from .ours import UNTHROTTLED
from .stages import STREAM_OF_TYPE
from .profiles import GOALS, LUMPY, PAGE, lumpy_dataset
from .scenarios import PACED_ORG, PACED_SEARCH, PACED_WINDOW, per_thousand

# Records sharing an updatedAt come back in a stable order (by id), as the org suggests: its ties of
# 1,200 cost about three pages each. The simulator's default reshuffles them on every request, which makes
# a tie longer than a page cost many passes; each five-year profile is also run that way, unthrottled.
TIE_ORDER = "id"
# A stamp shared by this many records of one stream is a tie worth following page by page.
TIE_MIN = 100
SEARCH_KINDS = ("search", "archive")


def _spans(entries):
    """{stream: {"search", "archive"}}: standard and archive search requests per stream."""
    spans = {}
    for entry in entries:
        if entry["kind"] not in SEARCH_KINDS:
            continue
        stream = STREAM_OF_CONTEXT.get(entry["context"], entry["context"])
        spans.setdefault(stream, {"search": 0, "archive": 0})[entry["kind"]] += 1
    return spans


def _ties(dataset, bodies):
    """Per stream: each tie of TIE_MIN or more records, with its size and the pages it came back on."""
    ties = {}
    for name in SEARCH:
        counts = Counter(record.updated for record in dataset.records[name])
        ties[name] = {stamp: size for stamp, size in counts.items() if size >= TIE_MIN}
    pages = {name: Counter() for name in SEARCH}
    # Bodies follow the journal's clean 200s, lists and metadata included: each page is placed by its data.
    for body in bodies:
        document = orjson.loads(body)
        data = document.get("data") if isinstance(document, dict) else None
        if not isinstance(data, list) or not data or not isinstance(data[0], dict):
            continue
        name = _stream_of(data[0])
        if name not in ties or not ties[name]:
            continue
        for stamp in {_ms(item) for item in data} & set(ties[name]):
            pages[name][stamp] += 1
    return {name: [{"size": size, "pages": pages[name][stamp]} for stamp, size in sorted(found.items())]
            for name, found in ties.items() if found}


def _stream_of(resource):
    kind = resource.get("type") or ""
    return "kobjects" if kind.startswith("kobject") else STREAM_OF_TYPE.get(kind)


def _ms(resource):
    # The simulator writes updatedAt as ...sssZ; the dataset keeps epoch ms.
    text = resource["attributes"]["updatedAt"]
    return round(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def unthrottled(tap, dataset, start, label, tie_order=TIE_ORDER):
    with Simulator(dataset, SimOptions(rate_limits=False, record_bodies=True, tie_order=tie_order)) as sim:
        edge = sim.search_edge()
        truth, unreachable = reachable(sim.truth(), edge)
        run = tap.run(label, sim, SEARCH, start, **UNTHROTTLED)
        bodies = sim.served_bodies
    spans = _spans(run.entries)
    checked = versus_truth(truth, run.output, SEARCH)
    streams = {}
    for name in SEARCH:
        records = len(truth.get(name, {}))
        used = spans.get(name, {"search": 0, "archive": 0})
        total = sum(used.values())
        streams[name] = {"records": records, "unreachable": unreachable.get(name, 0), **used, "requests": total,
                         "ideal": math.ceil(records / PAGE), "spans": span_ideal(truth.get(name, {}).values(), edge),
                         "floor": keyset_floor(truth.get(name, {}).values(), edge),
                         "per_1000": per_thousand(total, records),
                         "missing": checked[name]["missing"], "duplicates": checked[name]["duplicates"],
                         "stale": checked[name]["stale"]}
    records = sum(item["records"] for item in streams.values())
    requests = sum(item["requests"] for item in streams.values())
    return {"streams": streams, "records": records, "requests": requests,
            "ideal": sum(item["ideal"] for item in streams.values()),
            "spans": sum(item["spans"] for item in streams.values()),
            "floor": sum(item["floor"] for item in streams.values()), "per_1000": per_thousand(requests, records),
            "ties": _ties(dataset, bodies), "wall": run.measured.wall, "cpu": run.measured.cpu,
            "error": None if run.ok else tap.stderr_tail(label)}


def paced(tap, dataset, start, label):
    options = SimOptions(rate_window_seconds=PACED_WINDOW, search_limit=PACED_SEARCH, org_limit=PACED_ORG,
                         tie_order=TIE_ORDER)
    with Simulator(dataset, options) as sim:
        truth, _ = reachable(sim.truth(), sim.search_edge())
        run = tap.run(label, sim, SEARCH, start)
    records = sum(len(run.output.streams[name].latest) for name in SEARCH if name in run.output.streams)
    searches = [entry for entry in run.entries if entry["kind"] in SEARCH_KINDS]
    rate = PACED_SEARCH / PACED_WINDOW
    allowed = rate * PAGE
    return {"records": records, "expected": sum(len(truth.get(name, {})) for name in SEARCH),
            "wall": run.measured.wall, "search_requests": len(searches), "requests_total": run.requests["total"],
            "allowed_records_per_second": allowed, "records_per_second": ratio(records, run.measured.wall),
            "share": ratio(ratio(records, run.measured.wall), allowed),
            "share_at_these_requests": ratio(records, len(searches) / rate * allowed),
            "http_429": run.requests["http_429"], "error": None if run.ok else tap.stderr_tail(label)}


def run_profiles(tap, seed, anchor, names, paced_names, say, shuffled=True):
    """Each profile unthrottled; the five-year ones also with reshuffled ties (unless `shuffled` is False);
    those in `paced_names` also under the search budget."""
    results = {}
    for name in names:
        tie, history = LUMPY[name]
        dataset = lumpy_dataset(seed, anchor, tie, history)
        start = start_before_oldest(dataset)
        say(f"{name}: ties of {tie}, {history} days of history, from {start}: unthrottled")
        item = {"tie": tie, "history_days": history, "start": start, "goal_per_1000": GOALS[tie],
                "unthrottled": unthrottled(tap, dataset, start, name)}
        if shuffled and history > 700:
            say(f"{name}: unthrottled, ties reshuffled on every request")
            shuffled = unthrottled(tap, dataset, start, f"{name}-shuffled", tie_order="shuffle")
            item["shuffled"] = {key: shuffled[key] for key in ("records", "requests", "ideal", "per_1000", "error")}
            item["shuffled"]["streams"] = {stream: row["requests"] for stream, row in shuffled["streams"].items()}
        if name in paced_names:
            say(f"{name}: paced at {PACED_SEARCH} searches per {PACED_WINDOW:g} s")
            item["paced"] = paced(tap, dataset, start, f"{name}-paced")
        results[name] = item
    return results


def lumpy_rows(results):
    """Issue 13's goals as rows of the targets table: requests per 1,000 per profile, the paced share."""
    rows = []
    for name, item in results.items():
        run = item["unthrottled"]
        goal = item["goal_per_1000"]
        rows.append((f"13 {name}: requests / 1,000", f"{_num(run['per_1000'], 3)} ({run['requests']} for ideal "
                     f"{run['ideal']}; any walk {run['spans']}+)", f"<= {goal}", _at_most(run["per_1000"], goal)))
        paced_run = item.get("paced")
        if paced_run:
            rows.append((f"   {name}: paced share of budget", f"{_num(paced_run['share'])} "
                         f"({paced_run['http_429']} 429s)", ">= 0.90", None if paced_run["share"] is None
                         else paced_run["share"] >= 0.9 and not paced_run["error"]))
    return rows


def _at_most(value, limit):
    return None if value is None else value <= limit


def print_lumpy(results):
    for name, item in results.items():
        run = item["unthrottled"]
        print(f"\n{name}: ties of {item['tie']}, {item['history_days']} days, from {item['start']}"
              + (f"  ERROR {run['error']}" if run["error"] else ""))
        print(f"{'stream':<14}{'records':>8}{'search':>8}{'archive':>8}{'total':>6}{'ideal':>6}{'spans':>6}"
              f"{'floor':>6}{'/1000':>7}  ties (size: pages)")
        for stream, row in run["streams"].items():
            ties = ", ".join(f"{tie['size']}:{tie['pages']}" for tie in run["ties"].get(stream, ()))
            lost = f" (+{row['unreachable']} out of reach)" if row["unreachable"] else ""
            bad = "" if not (row["missing"] or row["duplicates"] or row["stale"]) else \
                f" MISSING {row['missing']} DUP {row['duplicates']} STALE {row['stale']}"
            print(f"{stream:<14}{row['records']:>8,}{row['search']:>8}{row['archive']:>8}"
                  f"{row['requests']:>6}{row['ideal']:>6}{row['spans']:>6}{row['floor']:>6}{_num(row['per_1000']):>7}"
                  f"  {ties}{lost}{bad}")
        met = "yes" if run["per_1000"] is not None and run["per_1000"] <= item["goal_per_1000"] else "NO"
        print(f"{'all':<14}{run['records']:>8,}{'':>16}{run['requests']:>6}{run['ideal']:>6}{run['spans']:>6}"
              f"{run['floor']:>6}{_num(run['per_1000']):>7}  goal <= {item['goal_per_1000']}: {met}")
        shuffled = item.get("shuffled")
        if shuffled:
            print(f"ties reshuffled on every request (the simulator's default): {shuffled['requests']} requests, "
                  f"{_num(shuffled['per_1000'])} per 1,000 ("
                  + ", ".join(f"{stream} {used}" for stream, used in shuffled["streams"].items()) + ")")
        paced_run = item.get("paced")
        if paced_run:
            met = "yes" if (paced_run["share"] or 0) >= 0.9 else "NO"
            print(f"paced: {paced_run['records']:,} records in {paced_run['wall']:.1f} s, "
                  f"{paced_run['search_requests']} searches, share of budget {_num(paced_run['share'])} "
                  f"(goal >= 0.90: {met}; {_num(paced_run['share_at_these_requests'])} at these requests), "
                  f"429s {paced_run['http_429']}" + (f"  ERROR {paced_run['error']}" if paced_run["error"] else ""))


def _num(value, digits=2):
    return "-" if value is None else f"{value:.{digits}f}"
