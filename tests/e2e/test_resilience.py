"""Faults, budgets and lag through the real CLI: zero records lost, and never the token in the output."""
import contextlib
import subprocess

import pytest

from tests.e2e.harness import (expected, ALL_STREAMS, SEARCH_STREAMS, TAP, TapRun, assert_complete, make_config,
                               missing_or_stale, normalise_ts, parse_messages, run_tap, write_json)
from tests.sandbox import SimOptions

# Each test runs the tap several times: `make test-fast` leaves them out.
pytestmark = pytest.mark.slow

FAULT_KINDS = ("500_json", "502_html", "503", "drop", "stall", "truncate", "invalid_json")


def assert_clean_success(run, sim):
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    assert sim.token not in run.stdout and sim.token not in run.stderr


@pytest.mark.parametrize("seed", [1])
def test_soak_under_a_high_fault_rate_loses_nothing(tmp_path, start_sim, catalog, seed):
    sim = start_sim(SimOptions(fault_rate=0.3, fault_kinds=FAULT_KINDS, stall_seconds=3, seed=seed))
    run = run_tap(tmp_path, make_config(sim, request_timeout=1), catalog(), timeout=900)
    assert_clean_success(run, sim)
    assert_complete(expected(sim), run.records, ALL_STREAMS)
    faults = sim.stats()["faults"]
    assert sum(faults.values()) >= 10, faults
    assert "retry" in run.stderr


def test_each_fault_kind_is_survived(tmp_path, start_sim, catalog):
    # Each kind twice in a row, then a clean request: a fault streak, not an outage.
    script = [entry for kind in FAULT_KINDS for entry in (kind, kind, None)]
    sim = start_sim(SimOptions(fault_script=script, stall_seconds=3))
    # Small pages: the walk must make more requests than the script has entries, or faults go unserved.
    run = run_tap(tmp_path, make_config(sim, request_timeout=1, page_size_limit=25), catalog(["notes", "tags"]),
                  timeout=600)
    assert_clean_success(run, sim)
    assert_complete(expected(sim), run.records, ["notes", "tags"])
    assert run.stderr.count("retry") >= 2 * len(FAULT_KINDS)


@pytest.mark.parametrize("reset_style,retry_after", [("epoch", False), ("delta", True)])
def test_paced_run_meets_almost_no_429s(tmp_path, start_sim, catalog, reset_style, retry_after):
    sim = start_sim(SimOptions(rate_window_seconds=2, search_limit=4, org_limit=12, reset_style=reset_style,
                               retry_after=retry_after))
    streams = ["notes", "kobjects", "companies", "tags", "shortcuts"]
    # Small pages, so that the run spends the 2 s budget many times over.
    run = run_tap(tmp_path, make_config(sim, page_size_limit=40), catalog(streams), timeout=600)
    assert_clean_success(run, sim)
    assert_complete(expected(sim), run.records, streams)
    served = [r for r in sim.requests if r["kind"] in ("search", "archive", "list")]
    limited = [r for r in served if r["status"] == 429]
    assert len(served) > 20
    assert len(limited) <= max(1, len(served) // 100), (len(limited), len(served))


def test_two_taps_sharing_one_budget_both_finish_complete(tmp_path, start_sim, catalog):
    # Other integrations spend the same org budget: 429s are expected here, and must cost nothing.
    sim = start_sim(SimOptions(rate_window_seconds=2, search_limit=6, org_limit=8, retry_after=True))
    streams = ["notes", "tags", "shortcuts"]
    runs, procs = [], []
    with contextlib.ExitStack() as stack:
        for index in range(2):
            workdir = tmp_path / f"tap{index}"
            workdir.mkdir()
            args = [TAP, "--config", write_json(workdir / "config.json", make_config(sim, page_size_limit=50)),
                    "--catalog", write_json(workdir / "catalog.json", catalog(streams))]
            procs.append(stack.enter_context(subprocess.Popen(args, stdout=subprocess.PIPE,
                                                              stderr=subprocess.PIPE, text=True)))
        for proc in procs:
            stdout, stderr = proc.communicate(timeout=600)
            runs.append(TapRun(proc.returncode, stdout, stderr, parse_messages(stdout)))
    for run in runs:
        assert_clean_success(run, sim)
        assert_complete(expected(sim), run.records, streams)


def runs_until_complete(tmp_path, sim, catalog_doc, lag_seconds, max_runs):
    """Incremental runs one after another, each from the last STATE, until the customers match the
    truth: the number of runs it took, or None after `max_runs`."""
    state, combined = None, {}
    for number in range(1, max_runs + 1):
        run = run_tap(tmp_path, make_config(sim, index_lag_seconds=lag_seconds), catalog_doc, state=state)
        assert run.returncode == 0, run.stderr[-2000:]
        for stream, records in run.records.items():
            combined.setdefault(stream, []).extend(records)
        state = run.last_state
        if not missing_or_stale(expected(sim), combined, ["customers"]):
            return number
    return None


def test_updates_the_index_shows_late_are_read_by_a_later_run_without_any_margin(tmp_path, start_sim, catalog):
    # Updates made just before the sync stay invisible to search until 15 more searches have been served
    # (a lag counted in searches, not seconds, so the machine's load cannot change the outcome). The bookmark
    # never passes the newest stamp the run saw, so a later run reads them, with no margin at all.
    sim = start_sim(SimOptions(index_lag_searches=15, tie_order="id"))
    updated = sim.mutate("customers", 15)
    first = run_tap(tmp_path, make_config(sim, index_lag_seconds=0), catalog(["customers"]))
    # The control: the simulator really hides them. The first run makes fewer than 40 searches and emits only
    # their old versions; with the bookmark at its sync start (the old rule) they would be lost for good.
    assert len([r for r in sim.requests if r["kind"] in ("search", "archive")]) < 15
    latest = expected(sim)["customers"]
    shown = {record["id"]: record["updated_at"] for record in first.records["customers"] if record["id"] in updated}
    assert shown and all(normalise_ts(shown[rid]) < normalise_ts(latest[rid]) for rid in shown)
    assert runs_until_complete(tmp_path, sim, catalog(["customers"]), lag_seconds=0, max_runs=20)


def test_search_streams_only_under_faults_keep_state_valid(tmp_path, start_sim, catalog):
    sim = start_sim(SimOptions(fault_rate=0.2, fault_kinds=("drop", "truncate", "503"), seed=5))
    run = run_tap(tmp_path, make_config(sim, request_timeout=2), catalog(SEARCH_STREAMS), timeout=600)
    assert_clean_success(run, sim)
    states = run.states
    bookmarks = [state["bookmarks"].get("customers", {}).get("updated_at") for state in states]
    seen = [b for b in bookmarks if b]
    assert seen == sorted(seen), "a bookmark moved backwards"
