"""The real CLI against the simulator: every record at its latest version, bounded duplicates, valid STATE."""
import json
import signal
import subprocess
import time
from collections import Counter

import pytest

from tests.e2e.harness import (expected, ALL_STREAMS, LIST_STREAMS, SEARCH_STREAMS, TAP, duplicates, make_config,
                               assert_complete, group_records, parse_messages, run_tap, write_json)
from tests.ecosystem.tools import SINGER_CHECK_TAP, require
from tests.sandbox import Dataset, SimOptions


def total_records(run):
    return sum(len(records) for records in run.records.values())


@pytest.mark.slow
def test_full_sync_matches_ground_truth(tmp_path, start_sim, catalog):
    sim = start_sim()
    run = run_tap(tmp_path, make_config(sim), catalog())
    assert run.returncode == 0, run.stderr[-2000:]
    assert_complete(expected(sim), run.records, ALL_STREAMS)
    dupes = sum(duplicates(records) for records in run.records.values())
    assert dupes <= 0.01 * total_records(run), dupes
    final = run.last_state
    assert "currently_syncing" not in final
    assert set(final["bookmarks"]) == set(ALL_STREAMS)
    # The transformed shape, not the API's envelope.
    customer = run.records["customers"][0]
    assert "attributes" not in customer and "updated_at" in customer and "links" in customer
    # singer-check-tap validates every record against its SCHEMA (draft 4, date-time formats).
    require(SINGER_CHECK_TAP)
    check = subprocess.run([SINGER_CHECK_TAP], input=run.stdout, capture_output=True, text=True, check=False)
    assert check.returncode == 0, (check.stdout + check.stderr)[-3000:]


@pytest.mark.slow
def test_second_run_with_final_state_is_nearly_empty_and_cheap(tmp_path, start_sim, catalog):
    sim = start_sim()
    first = run_tap(tmp_path, make_config(sim), catalog())
    assert first.returncode == 0, first.stderr[-2000:]
    before = len(sim.requests)
    second = run_tap(tmp_path, make_config(sim), catalog(), state=first.last_state)
    assert second.returncode == 0, second.stderr[-2000:]
    for stream in SEARCH_STREAMS + LIST_STREAMS:
        # Only records at the bookmark's exact timestamp may come again.
        assert len(second.records.get(stream, [])) <= 5, (stream, len(second.records.get(stream, [])))
    search_requests = [r for r in sim.requests[before:] if r["kind"] == "search"]
    assert len(search_requests) <= len(SEARCH_STREAMS) + 1, search_requests


@pytest.mark.slow
def test_updates_during_the_sync_arrive_by_the_next_run(tmp_path, start_sim, catalog):
    options = SimOptions(mutations=[(3, "customers", 25), (9, "messages", 10), (14, "conversations", 10)])
    sim = start_sim(options)
    first = run_tap(tmp_path, make_config(sim), catalog())
    assert first.returncode == 0, first.stderr[-2000:]
    second = run_tap(tmp_path, make_config(sim), catalog(), state=first.last_state)
    assert second.returncode == 0, second.stderr[-2000:]
    combined = {stream: first.records.get(stream, []) + second.records.get(stream, []) for stream in ALL_STREAMS}
    assert_complete(expected(sim), combined, ALL_STREAMS)


@pytest.mark.slow
def test_unstable_tie_order_loses_nothing(tmp_path, start_sim, catalog):
    sim = start_sim(SimOptions(tie_order="shuffle"))
    run = run_tap(tmp_path, make_config(sim), catalog(SEARCH_STREAMS))
    assert run.returncode == 0, run.stderr[-2000:]
    assert_complete(expected(sim), run.records, SEARCH_STREAMS)
    assert all(duplicates(records) == 0 for records in run.records.values())


def test_a_tie_is_paged_from_the_keyset_pages_last_places_and_its_last_page_carries_what_follows(
        tmp_path, start_sim, catalog):
    # 1,200 customers on one stamp, served in a stable order. The keyset page that finds the tie shows its
    # first 500; its first `equals` page starts at place 480 and shows those 20 ids again in place (so
    # the tie shows whole on a page 1 once, not again for an `equals` page 1); its page 3, asked with
    # `>= T`, holds its last 240 and then the customers after it.
    dataset = Dataset.generate(seed=12, counts={"customers": 1_500}, tie_bursts={"customers": [(1_200, 100.0)]},
                               now=int(time.time() * 1000))
    sim = start_sim(SimOptions(tie_order="id", record_bodies=True), dataset=dataset)
    run = run_tap(tmp_path, make_config(sim), catalog(["customers"]))
    assert run.returncode == 0, run.stderr[-2000:]
    assert_complete(expected(sim), run.records, ["customers"])
    assert duplicates(run.records["customers"]) == 0
    tie = Counter(sim.truth()["customers"].values()).most_common(1)[0][0]
    clean = [entry for entry in sim.requests if entry["fault"] is None and entry["status"] == 200]
    pages = [(entry["page"], entry["page_size"], [item["attributes"]["updatedAt"] for item in json.loads(body)["data"]])
             for entry, body in zip(clean, sim.served_bodies) if entry["kind"] == "search"]
    assert sum(page == 1 and set(stamps) == {tie} for page, _, stamps in pages) == 1
    later = [(page, size, stamps) for page, size, stamps in pages if page > 1]
    assert [(page, size, stamps.count(tie)) for page, size, stamps in later] == [(2, 480, 480), (3, 480, 240)]
    closing = later[1][2]
    assert len(closing) > 240 and all(stamp > tie for stamp in closing[240:])


def test_company_search_refused_falls_back_to_the_list(tmp_path, start_sim, catalog):
    sim = start_sim(SimOptions(company_updated_at_supported=False))
    run = run_tap(tmp_path, make_config(sim), catalog(["companies"]))
    assert run.returncode == 0, run.stderr[-2000:]
    assert_complete(expected(sim), run.records, ["companies"])
    assert "reading GET /v1/companies instead" in run.stderr


@pytest.mark.slow
def test_small_pages_still_lose_nothing(tmp_path, start_sim, catalog):
    sim = start_sim()
    config = make_config(sim, page_size_limit="7", date_window_size="3")
    run = run_tap(tmp_path, config, catalog(["notes", "tags", "brands"]))
    assert run.returncode == 0, run.stderr[-2000:]
    assert_complete(expected(sim), run.records, ["notes", "tags", "brands"])


def test_field_selection_is_honoured(tmp_path, start_sim, catalog):
    sim = start_sim()
    run = run_tap(tmp_path, make_config(sim), catalog(["users"], deselect_fields=("email", "roles")))
    assert run.returncode == 0, run.stderr[-2000:]
    schema = next(m for m in run.messages if m["type"] == "SCHEMA")["schema"]
    assert "email" not in schema["properties"] and "id" in schema["properties"]
    for record in run.records["users"]:
        assert "email" not in record and "roles" not in record
        assert "id" in record and "updated_at" in record


def test_the_original_taps_flat_state_is_accepted(tmp_path, start_sim, catalog):
    sim = start_sim()
    newest = max(sim.truth()["tags"].values())
    run = run_tap(tmp_path, make_config(sim), catalog(["tags"]), state={"bookmarks": {"tags": newest}})
    assert run.returncode == 0, run.stderr[-2000:]
    assert [r["id"] for r in run.records["tags"]] == [rid for rid, ts in sim.truth()["tags"].items() if ts == newest]
    assert run.last_state["bookmarks"]["tags"]["updated_at"].startswith(newest[:19])


@pytest.mark.slow
@pytest.mark.parametrize("kill_after", [40, 400, 1500, 2600])
def test_killed_sync_resumes_from_last_state_without_loss(tmp_path, start_sim, catalog, kill_after):
    sim = start_sim()
    config_path = write_json(tmp_path / "config.json", make_config(sim))
    catalog_path = write_json(tmp_path / "catalog.json", catalog())
    with subprocess.Popen([TAP, "--config", config_path, "--catalog", catalog_path],
                          stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as tap:
        lines = []
        for line in tap.stdout:
            lines.append(line)
            if len(lines) >= kill_after:
                tap.send_signal(signal.SIGKILL)
                break
        tap.wait()
    first = parse_messages(b"".join(lines).decode("utf-8"))
    last_state = [m["value"] for m in first if m["type"] == "STATE"][-1]
    resumed = run_tap(tmp_path, make_config(sim), catalog(), state=last_state)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    combined = group_records(first + resumed.messages)
    assert_complete(expected(sim), combined, ALL_STREAMS)
    # Finished streams are not extracted again.
    finished = [s for s in ALL_STREAMS if s in last_state["bookmarks"] and s != last_state.get("currently_syncing")]
    for stream in finished:
        if stream in SEARCH_STREAMS:
            assert len(resumed.records.get(stream, [])) <= 5, stream


@pytest.mark.slow
@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_stops_cleanly_with_a_valid_state(tmp_path, start_sim, catalog, stop_signal):
    sim = start_sim()
    config_path = write_json(tmp_path / "config.json", make_config(sim))
    catalog_path = write_json(tmp_path / "catalog.json", catalog(SEARCH_STREAMS))
    with subprocess.Popen([TAP, "--config", config_path, "--catalog", catalog_path],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as tap:
        lines = []
        for line in tap.stdout:
            lines.append(line)
            if len(lines) == 300:
                tap.send_signal(stop_signal)
        stderr = tap.stderr.read().decode()
        code = tap.wait()
    assert code != 0
    critical = [line for line in stderr.splitlines() if line.startswith("CRITICAL")]
    assert len(critical) == 1 and stop_signal.name in critical[0], stderr[-1500:]
    assert "Traceback" not in stderr
    messages = parse_messages(b"".join(lines).decode())
    assert messages[-1]["type"] == "STATE", "records were emitted after the last STATE"
    resumed = run_tap(tmp_path, make_config(sim), catalog(SEARCH_STREAMS), state=messages[-1]["value"])
    combined = group_records(messages + resumed.messages)
    assert_complete(expected(sim), combined, SEARCH_STREAMS)


def test_a_stop_during_a_list_budget_wait_ends_the_wait_and_leaves_a_state_last(tmp_path, start_sim, catalog):
    # Three requests per ten-minute window: the fourth page waits for the budget, as long as it may.
    sim = start_sim(SimOptions(org_limit=3, rate_window_seconds=600))
    config = make_config(sim, page_size_limit=20)
    config_path = write_json(tmp_path / "config.json", config)
    catalog_path = write_json(tmp_path / "catalog.json", catalog(["tags"]))
    with subprocess.Popen([TAP, "--config", config_path, "--catalog", catalog_path],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as tap:
        lines = []
        for line in tap.stdout:
            lines.append(line)
            # SCHEMA, STATE and the records of two pages (the window's third request read the key's roles):
            # mid-list, with the next page waiting for the budget.
            if len(lines) == 42:
                tap.send_signal(signal.SIGTERM)
        stderr = tap.stderr.read().decode()
        code = tap.wait(timeout=300)
    assert code == 143, stderr[-1500:]
    assert "SIGTERM" in [line for line in stderr.splitlines() if line.startswith("CRITICAL")][0]
    # The wait for the next window was cut short: no fourth request went out.
    assert sim.stats()["total"] == 3
    messages = parse_messages(b"".join(lines).decode())
    assert messages[-1]["type"] == "STATE" and "tags" not in messages[-1]["value"]["bookmarks"]
    fresh = start_sim()  # the same seeded org, with its budget untouched
    resumed = run_tap(tmp_path, make_config(fresh, page_size_limit=20), catalog(["tags"]),
                      state=messages[-1]["value"])
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert_complete(expected(fresh), resumed.records, ["tags"])


def metric_line(stderr):
    lines = [line for line in stderr.splitlines() if line.startswith("INFO METRIC: ")]
    assert len(lines) == 1, stderr[-2000:]
    return json.loads(lines[0][len("INFO METRIC: "):])


@pytest.mark.slow
def test_the_summary_counts_what_was_emitted_and_quiet_keeps_only_its_json_line(tmp_path, start_sim, catalog):
    sim = start_sim()
    streams = ["customers", "tags"]
    run = run_tap(tmp_path, make_config(sim), catalog(streams))
    assert run.returncode == 0, run.stderr[-2000:]
    metrics = metric_line(run.stderr)
    rows = {row["stream"]: row for row in metrics["streams"]}
    assert list(rows) == streams + ["TOTAL"]
    for stream in streams:
        assert rows[stream]["records"] == len(run.records[stream])
        assert rows[stream]["bookmark"] == run.last_state["bookmarks"][stream]["updated_at"]
    assert rows["TOTAL"]["records"] == total_records(run)
    # Every request is counted: the streams', and the one that reads the key's roles before them.
    assert rows["TOTAL"]["requests"] == len(sim.requests) == sum(rows[s]["requests"] for s in streams) + 1
    table = run.stderr[run.stderr.index("sync summary:"):]
    for stream in streams + ["TOTAL"]:
        assert f"  {stream} " in table
    quiet = run_tap(tmp_path, make_config(sim), catalog(streams), extra_args=["--quiet"])
    assert quiet.returncode == 0
    assert quiet.stderr.splitlines() == [line for line in quiet.stderr.splitlines() if "METRIC" in line]
    assert metric_line(quiet.stderr)["streams"][-1]["stream"] == "TOTAL"
