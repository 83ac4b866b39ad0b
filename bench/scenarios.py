"""The measurements behind the five targets, each returning plain dicts for results.json."""
import re
import statistics

import orjson

from tests.sandbox import SimOptions, Simulator

from .common import (LISTS, SEARCH, STREAM_OF_CONTEXT, FloorBodies, instant, json_floor, json_floor_fresh,
                     keyset_floor, ratio, reachable, select, span_ideal, versus_truth)
from .ours import UNTHROTTLED
from .stages import breakdown

PAGE = 500
# The two biggest search streams with the most tie bursts. Their pages render quickly in the simulator,
# so the run is bound by the budget and the tap, not by the simulator's own latency.
PACED_STREAMS = ("messages", "notes")
# The API's search budget is 100 per 60 s; the same rate over 6 s windows keeps the run short.
PACED_WINDOW, PACED_SEARCH, PACED_ORG = 6.0, 10, 100
# The tap's closing summary says how long it waited for budgets; read if present, never required.
PACED_WAIT = re.compile(r"paced by the rate budgets for ([0-9.]+) s")
FLOOR_PASSES = 2
# Target 3 is taken as this many pairs, a full sync and then a fresh floor: this machine's speed drifts by
# tens of per cent within minutes (the same floor has read 3.9 s and 8.6 s), so a ratio only means something
# between two figures taken side by side, and the median of the pairs' ratios is the figure.
CPU_PAIRS = 3
# Every fourth body is enough to split the tap's CPU into stages within a few per cent.
STAGE_SAMPLE = 4


def per_thousand(requests, records):
    return None if not records else 1000 * requests / records


def search_figures(run, truth, edge_ms):
    """Target 1's figures: search requests (standard and archive: both spend the search budget) per stream
    and per 1,000 records the API can serve (see common.reachable), beside the ideal and the keyset floor."""
    streams = {}
    for name in SEARCH:
        records = len(truth.get(name, {}))
        standard, archive = run.requests["search"].get(name, 0), run.requests["archive"].get(name, 0)
        used = standard + archive
        streams[name] = {"records": records, "requests": used, "search": standard, "archive": archive,
                         "ideal": -(-records // PAGE), "spans": span_ideal(truth.get(name, {}).values(), edge_ms),
                         "floor": keyset_floor(truth.get(name, {}).values(), edge_ms),
                         "per_1000": per_thousand(used, records)}
    records = sum(item["records"] for item in streams.values())
    used = sum(item["requests"] for item in streams.values())
    return {"streams": streams, "records": records, "requests": used, "ideal": -(-records // PAGE),
            "spans": sum(item["spans"] for item in streams.values()),
            "floor": sum(item["floor"] for item in streams.values()), "per_1000": per_thousand(used, records),
            "ok": run.ok}


class PageFill:
    """How full each search page was, per stream: partial pages are where requests beyond the ideal go."""

    def __init__(self, entries):
        # Bodies are journaled for clean 200s only, in the same order as the entries.
        self.contexts = [entry["context"] if entry["kind"] in ("search", "archive") else None
                         for entry in entries if entry["status"] == 200 and entry["fault"] in (None, "stall")]
        self.streams = {}

    def __call__(self, index, document):
        context = self.contexts[index] if index < len(self.contexts) else None
        if context is None or not isinstance(document, dict):
            return
        size = len(document.get("data") or ())
        item = self.streams.setdefault(STREAM_OF_CONTEXT.get(context, context),
                                       {"pages": 0, "full": 0, "partial": 0, "empty": 0})
        item["pages"] += 1
        item["full" if size >= PAGE else "partial" if size else "empty"] += 1


def _sync_with_floor(tap, sim, label, start):
    """An unthrottled sync of every stream, and the JSON floor of the very bodies the simulator served."""
    truth, unreachable = reachable(sim.truth(), sim.search_edge())
    run = tap.run(label, sim, SEARCH + LISTS, start, **UNTHROTTLED)
    bodies = sim.served_bodies
    fill = PageFill(sim.requests)
    floor = json_floor(bodies, passes=FLOOR_PASSES)
    floor_fresh = json_floor_fresh(bodies)
    floor_orjson = json_floor(bodies, orjson.loads, fill)
    cpu, records = run.measured.cpu, run.output.records
    figures = {
        "label": label, "run": run.measured.as_dict(), "error": None if run.ok else tap.stderr_tail(label),
        "records": records, "requests": run.requests, "unreachable": unreachable,
        "served": {"bodies": len(bodies), "bytes": sum(map(len, bodies))},
        "truth": versus_truth(truth, run.output, SEARCH + LISTS),
        "search": search_figures(run, truth, sim.search_edge()), "page_fill": fill.streams,
        "cpu": {"tap": cpu, "floor_json": floor, "floor_json_fresh": floor_fresh,
                "ratio_fresh": ratio(cpu, floor_fresh), "floor_orjson": floor_orjson, "ratio": ratio(cpu, floor),
                "ratio_orjson": ratio(cpu, floor_orjson), "records_per_cpu_second": ratio(records, cpu)},
    }
    return figures, run, bodies


def full_sync(tap, dataset, start):
    """The main run, alone on the machine: targets 1 (near the oldest record), 3 (CPU against the JSON
    floor), 4 (RSS at this size) and 5 (a rerun from its final state), plus completeness and stages."""
    with Simulator(dataset, SimOptions(rate_limits=False, record_bodies=True)) as sim:
        figures, run, bodies = _sync_with_floor(tap, sim, "full", start)
        figures["stages"] = breakdown(bodies, select(tap.catalog(sim), SEARCH + LISTS), every=STAGE_SAMPLE)
        again = tap.run("incremental", sim, SEARCH + LISTS, start, state=run.output.last_state, **UNTHROTTLED)
    figures["incremental"] = incremental_figures(again, run.output.last_state, tap, "incremental")
    main_pair = (run.measured.cpu, figures["cpu"]["floor_json_fresh"])
    figures["cpu"].update(cpu_pairs(tap, dataset, start, bodies, main_pair))
    return figures


def cpu_pairs(tap, dataset, start, bodies, first):
    """Target 3 as CPU_PAIRS pairs (the tap's CPU, then the floor of the same bodies): `first` is the main run's
    pair; each other pair is one more full sync, on a simulator that keeps no bodies, and one floor process."""
    pairs = [first]
    with Simulator(dataset, SimOptions(rate_limits=False)) as sim, FloorBodies(bodies) as floor:
        for number in range(1, CPU_PAIRS):
            run = tap.run(f"cpu-pair-{number}", sim, SEARCH + LISTS, start, **UNTHROTTLED)
            pairs.append((run.measured.cpu if run.ok else None, floor.measure()))
    ratios = [ratio(cpu, floor) for cpu, floor in pairs if cpu is not None]
    return {"pairs": [{"tap": cpu, "floor_json_fresh": floor} for cpu, floor in pairs],
            "ratio_paired": statistics.median(ratios) if ratios else None}


def small_sync(tap, dataset, start):
    """The memory base, and the published tap's partner in the side by side: the same data at a fifth."""
    with Simulator(dataset, SimOptions(rate_limits=False, record_bodies=True)) as sim:
        figures, run, _ = _sync_with_floor(tap, sim, "small", start)
        again = tap.run("small-incremental", sim, SEARCH + LISTS, start, state=run.output.last_state,
                        **UNTHROTTLED)
    figures["incremental"] = incremental_figures(again, run.output.last_state, tap, "small-incremental")
    return figures


def incremental_figures(run, state, tap, label):
    """Target 5: what a rerun with the final state and no changes emits, and how many requests it needs."""
    bookmarks = (state or {}).get("bookmarks", {})
    streams = {}
    for name in SEARCH + LISTS:
        mark = (bookmarks.get(name) or {}).get("updated_at")
        got = run.output.streams.get(name)
        emitted = got.records if got else 0
        boundary = sum(1 for stamp in (got.latest.values() if got else ())
                       if mark is not None and instant(stamp) == instant(mark))
        streams[name] = {"bookmark": mark, "emitted": emitted, "boundary": boundary,
                         "search_requests": run.requests["search"].get(name, 0)
                         + run.requests["archive"].get(name, 0)}
    search_requests = [streams[name]["search_requests"] for name in SEARCH]
    return {"run": run.measured.as_dict(), "error": None if run.ok else tap.stderr_tail(label),
            "streams": streams, "emitted": sum(item["emitted"] for item in streams.values()),
            "non_boundary": sum(item["emitted"] - item["boundary"] for item in streams.values()),
            "search_requests": sum(search_requests), "max_search_requests_per_stream": max(search_requests),
            "list_requests": run.requests["other"].get("list", 0)}


def search_only(tap, dataset, start, label):
    """Target 1 from another start date: every search stream, unthrottled, bodies not kept."""
    with Simulator(dataset, SimOptions(rate_limits=False)) as sim:
        edge = sim.search_edge()
        truth, _ = reachable(sim.truth(), edge)
        run = tap.run(label, sim, SEARCH, start, **UNTHROTTLED)
    figures = search_figures(run, truth, edge)
    figures["start"] = start
    figures["error"] = None if run.ok else tap.stderr_tail(label)
    figures["missing"] = sum(item["missing"] for item in versus_truth(truth, run.output, SEARCH).values())
    return figures


def memory_point(tap, dataset, start, label):
    """Target 4 at another size: peak RSS of a full sync of every stream of `dataset`."""
    with Simulator(dataset, SimOptions(rate_limits=False)) as sim:
        truth, _ = reachable(sim.truth(), sim.search_edge())
        run = tap.run(label, sim, SEARCH + LISTS, start, **UNTHROTTLED)
    missing = sum(item["missing"] for item in versus_truth(truth, run.output, SEARCH + LISTS).values())
    return {"label": label, "records": run.output.records, "run": run.measured.as_dict(), "missing": missing,
            "error": None if run.ok else tap.stderr_tail(label)}


def paced(tap, dataset, start):
    """Target 2: a budget-bound sync, against what that budget allows at 500 records a page."""
    options = SimOptions(rate_window_seconds=PACED_WINDOW, search_limit=PACED_SEARCH, org_limit=PACED_ORG)
    with Simulator(dataset, options) as sim:
        run = tap.run("paced", sim, PACED_STREAMS, start)
    records = sum(run.output.streams[name].records for name in PACED_STREAMS if name in run.output.streams)
    searches = [entry for entry in run.entries if entry["kind"] in ("search", "archive")]
    rate = PACED_SEARCH / PACED_WINDOW
    allowed = rate * PAGE
    waited = PACED_WAIT.search(tap.stderr_tail("paced", lines=400))
    return {"streams": list(PACED_STREAMS), "records": records, "wall": run.measured.wall,
            "cpu": run.measured.cpu, "error": None if run.ok else tap.stderr_tail("paced"),
            "budget_per_second": rate, "allowed_records_per_second": allowed,
            "target_records_per_second": 0.9 * allowed, "records_per_second": ratio(records, run.measured.wall),
            "search_requests": len(searches), "requests": run.requests,
            "search_span_seconds": searches[-1]["at"] - searches[0]["at"] if len(searches) > 1 else None,
            # The most this walk could reach with the requests it needed; the rest of the gap is waiting.
            "records_per_second_at_these_requests": ratio(records, len(searches) / rate),
            "seconds_beyond_budget_pace": run.measured.wall - len(searches) / rate,
            "tap_reported_pacing_seconds": float(waited.group(1)) if waited else None,
            "http_429": run.requests["http_429"],
            "pct_429": 100 * ratio(run.requests["http_429"], run.requests["total"] or 1)}
