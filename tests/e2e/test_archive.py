"""Every record, however old: the real CLI across search's two-year horizon (tap_kustomer/sources.py).

The simulator's profiles hold five years of history; standard search serves only the newest two, archive
search the rest, with no note context. These tests judge the tap against the simulator's truth.
"""
import copy
import json
import re
import signal
import subprocess
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest

from tests.e2e.harness import (ALL_STREAMS, LIST_STREAMS, SEARCH_STREAMS, TAP, assert_complete, duplicates, expected,
                               group_records, latest_versions, make_config, normalise_ts, parse_messages, run_tap,
                               select, write_json)
from tests.e2e.test_sync import metric_line
from tests.sandbox import Dataset, SimOptions, Simulator

# Search streams whose context archive search knows; notes' does not.
ARCHIVED_STREAMS = tuple(stream for stream in SEARCH_STREAMS if stream != "notes")
MARGIN = timedelta(days=1)  # sources.HORIZON_MARGIN: the band both spans look at, below the edge


# Budgets out of the way: a resumed run would otherwise wait out the minute its killed run spent.
UNPACED = {"search_limit": 100_000, "org_limit": 100_000}


def unpaced_config(sim, **overrides):
    return make_config(sim, search_requests_per_minute=100_000, **overrides)


def edge_of(sim):
    return datetime.fromtimestamp(sim.search_edge() / 1000, timezone.utc)


def older_than(stamps, moment):
    """Ids of {id: updatedAt} last updated before `moment`."""
    return {rid for rid, stamp in stamps.items() if normalise_ts(stamp) < moment}


def archive_count(sim):
    return sum(1 for entry in sim.requests if entry["kind"] == "archive")


def searches(entries):
    return [entry for entry in entries if entry["kind"] in ("search", "archive")]


@pytest.fixture(name="full_sync", scope="module")
def fixture_full_sync(tmp_path_factory, catalog_template):
    """One five-year full sync of every stream, shared by the tests that only read what it did. The
    simulator keeps served bodies, so a test can tell which records came from archive requests."""
    sim = Simulator(Dataset.profile("small", seed=7), SimOptions(record_bodies=True)).start()
    try:
        workdir = tmp_path_factory.mktemp("full_sync")
        catalog_doc = select(copy.deepcopy(catalog_template), ALL_STREAMS)
        truth_before = sim.truth()
        run = run_tap(workdir, make_config(sim), catalog_doc)
        yield SimpleNamespace(sim=sim, run=run, truth=truth_before, edge=edge_of(sim), workdir=workdir,
                              catalog=catalog_doc, entries=sim.requests, bodies=sim.served_bodies)
    finally:
        sim.stop()


@pytest.mark.slow
def test_five_year_full_sync_reads_every_archived_record_and_warns_once_of_old_notes(full_sync):
    run, sim, truth, edge = full_sync.run, full_sync.sim, full_sync.truth, full_sync.edge
    assert run.returncode == 0, run.stderr[-2000:]
    assert_complete(expected(sim), run.records, ALL_STREAMS)
    for stream in ARCHIVED_STREAMS:
        old = older_than(truth[stream], edge)
        # Not vacuous: a real share of each stream is reachable only through archive search.
        assert len(old) >= 50, (stream, len(old))
        assert old <= set(latest_versions(run.records[stream])), stream
    # Notes: what was not emitted is exactly the notes older than the edge, no more, no less.
    old_notes = older_than(truth["notes"], edge)
    assert old_notes
    assert set(truth["notes"]) - {record["id"] for record in run.records["notes"]} == old_notes
    warnings = [line for line in run.stderr.splitlines() if line.startswith("WARNING")]
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith("WARNING note records last updated before"), warnings
    # Its cost is one request per conversation created before the edge; the least of it, the archived
    # conversations: those last updated before the archive span's end.
    archived_conversations = len(older_than(truth["conversations"], edge - MARGIN))
    assert f"one request per conversation created before then: at least {archived_conversations:,}, the " \
           f"conversations last updated before it" in warnings[0], warnings
    rows = {row["stream"]: row for row in metric_line(run.stderr)["streams"]}
    for stream in ARCHIVED_STREAMS:
        assert rows[stream]["archive"] > 0, rows[stream]
    for stream in ("notes",) + LIST_STREAMS:
        assert rows[stream]["archive"] == 0, rows[stream]
    assert re.search(r"^INFO +stream +records +requests +archive ", run.stderr, re.MULTILINE), run.stderr[-3000:]
    # The column counts archive-span pages, and they are every archive request made: the notes warning's
    # count of archived conversations is the one the conversations stream's first archive page gave.
    journaled = [entry for entry in full_sync.entries if entry["kind"] == "archive"]
    assert rows["TOTAL"]["archive"] == len(journaled), (rows["TOTAL"], len(journaled))
    assert all(entry["page_size"] != 1 for entry in journaled), journaled


@pytest.mark.slow
def test_an_incremental_run_after_a_full_sync_makes_no_archive_request(full_sync, tmp_path):
    assert full_sync.run.returncode == 0, full_sync.run.stderr[-2000:]
    final = full_sync.run.last_state
    assert all("archive_sweep_from" not in bookmark for bookmark in final["bookmarks"].values()), final
    sim = full_sync.sim
    before = len(sim.requests)
    second = run_tap(tmp_path, make_config(sim), full_sync.catalog, state=final)
    assert second.returncode == 0, second.stderr[-2000:]
    made = sim.requests[before:]
    assert searches(made), "the incremental run made no search at all"
    assert [entry for entry in made if entry["kind"] == "archive"] == []
    assert metric_line(second.stderr)["streams"][-1]["archive"] == 0
    # Nor does it warn of old notes again: its range starts long after the horizon.
    assert not [line for line in second.stderr.splitlines() if line.startswith("WARNING")]


@pytest.mark.slow
def test_archive_requests_are_what_bring_the_records_older_than_the_edge(full_sync):
    """Control at tap level: the records past the edge arrive in archive responses and never in standard
    search ones. (The simulator-level control, that standard search alone misses exactly those records,
    is tests/unit/test_sandbox_archive.py::test_standard_search_misses_exactly_the_archived_records_and_
    archive_search_has_them.)"""
    assert full_sync.run.returncode == 0, full_sync.run.stderr[-2000:]
    # Served bodies are kept for clean 200s only, in journal order.
    clean = [entry for entry in full_sync.entries if entry["fault"] is None and entry["status"] == 200]
    assert len(clean) == len(full_sync.bodies)
    served = {"archive": set(), "search": set()}
    for entry, body in zip(clean, full_sync.bodies):
        if entry["kind"] in served:
            served[entry["kind"]].update(item["id"] for item in json.loads(body)["data"])
    for stream in ARCHIVED_STREAMS:
        old = older_than(full_sync.truth[stream], full_sync.edge)
        assert old <= served["archive"], stream
        assert not old & served["search"], stream


@pytest.mark.slow
@pytest.mark.parametrize("page_size_limit", [500, 100])
def test_a_tie_longer_than_a_page_past_the_horizon_is_read_whole(tmp_path, start_sim, catalog, page_size_limit):
    sim = start_sim(SimOptions(**UNPACED))
    # The profile's burst past the horizon: longer than either page size, inside the archive span.
    _, tie = burst_past_the_horizon(sim)
    run = run_tap(tmp_path, unpaced_config(sim, page_size_limit=page_size_limit), catalog(["customers"]))
    assert run.returncode == 0, run.stderr[-2000:]
    emitted = [record["id"] for record in run.records["customers"]]
    assert tie <= set(emitted)
    assert duplicates([record for record in run.records["customers"] if record["id"] in tie]) == 0
    assert_complete(expected(sim), run.records, ["customers"])
    assert sim.stats()["archive_searches"] >= 2


def watch_tap(workdir, config, catalog_doc, after_line, state=None):
    """Run the tap, calling after_line(line) after each stdout line; SIGKILL it when that returns True.
    Returns (messages read, exit code)."""
    args = [TAP, "--config", write_json(workdir / "config.json", config),
            "--catalog", write_json(workdir / "catalog.json", catalog_doc)]
    if state is not None:
        args += ["--state", write_json(workdir / "state.json", state)]
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as tap:
        lines = []
        for line in tap.stdout:
            lines.append(line)
            if after_line(line):
                tap.send_signal(signal.SIGKILL)
                break
        code = tap.wait(timeout=300)
    return parse_messages(b"".join(lines).decode("utf-8")), code


def burst_past_the_horizon(sim):
    """(stamp, ids) of the small profile's 700 customers on one stamp 1200 days back."""
    customers = sim.truth()["customers"]
    stamp, size = Counter(customers.values()).most_common(2)[1]
    assert size == 700 and normalise_ts(stamp) < edge_of(sim) - MARGIN, (stamp, size)
    return stamp, {rid for rid, value in customers.items() if value == stamp}


def past(stamp):
    """A kill condition: a STATE line whose customers archive span is owed from past `stamp`."""
    def check(line):
        if not line.startswith(b'{"type":"STATE"'):
            return False
        bookmark = json.loads(line)["value"]["bookmarks"].get("customers") or {}
        owed = bookmark.get("archive_sweep_from")
        return owed is not None and normalise_ts(owed) > normalise_ts(stamp)
    return check


@pytest.mark.slow
@pytest.mark.parametrize("kill_at", ["2 archive requests", "6 archive requests", "past the burst"])
def test_killed_inside_the_archive_span_resumes_there_without_loss(tmp_path, start_sim, catalog, kill_at):
    sim = start_sim(SimOptions(**UNPACED))
    stamp = burst_past_the_horizon(sim)[0]
    config = unpaced_config(sim, page_size_limit=100)
    catalog_doc = catalog(["customers"])
    if kill_at == "past the burst":
        kill = past(stamp)
    else:
        wanted = int(kill_at.split()[0])

        def kill(_line):
            return archive_count(sim) >= wanted
    first, code = watch_tap(tmp_path, config, catalog_doc, kill)
    assert code == -signal.SIGKILL
    # The kill landed inside the archive span, which is read after the standard span.
    kinds = [entry["kind"] for entry in searches(sim.requests)]
    assert "archive" in kinds and "search" not in kinds[kinds.index("archive"):], kinds
    last_state = [message["value"] for message in first if message["type"] == "STATE"][-1]
    bookmark = last_state["bookmarks"]["customers"]
    owed = normalise_ts(bookmark["archive_sweep_from"])
    # The bookmark is where the standard span ended; the archive span is owed from where it had got to,
    # past the start: the first run's archive pages moved it.
    assert owed < edge_of(sim) <= normalise_ts(bookmark["updated_at"]), bookmark
    assert owed > min(normalise_ts(stamp) for stamp in sim.truth()["customers"].values()), bookmark
    before = len(sim.requests)
    resumed = run_tap(tmp_path, config, catalog_doc, state=last_state)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    # It goes on with the archive span past what the first run read, not from the start.
    assert "archive" in [entry["kind"] for entry in searches(sim.requests[before:])]
    assert min(normalise_ts(r["updated_at"]) for r in resumed.records["customers"]) >= owed
    combined = group_records(first + resumed.messages)
    assert_complete(expected(sim), combined, ["customers"])
    twice = {rid for rid, count in Counter(r["id"] for r in combined["customers"]).items() if count > 1}
    if owed == normalise_ts(stamp):
        # Killed mid-burst: the state names the ids already read at the tie's timestamp, so the resumed run
        # reads on inside the tie and repeats at most the page it was stopped in.
        assert bookmark.get("archive_seen"), bookmark
        assert len(twice & burst_past_the_horizon(sim)[1]) <= config["page_size_limit"], len(twice)
    assert duplicates(combined["customers"]) <= 0.02 * len(sim.truth()["customers"]), (twice, bookmark)


@pytest.mark.slow
def test_old_records_updated_mid_sync_move_to_the_standard_span_and_arrive_by_the_next_run(tmp_path, start_sim,
                                                                                          catalog):
    sim = start_sim(SimOptions(tie_order="id", **UNPACED))
    old = older_than(sim.truth()["customers"], edge_of(sim))
    config = unpaced_config(sim, page_size_limit=100)
    catalog_doc = catalog(["customers"])
    mutated = []

    def update_once(_line):
        # While the archive span is under way: 600 random customers, old ones among them.
        if not mutated and archive_count(sim) >= 2:
            mutated.extend(sim.mutate("customers", 600))
        return False

    first, code = watch_tap(tmp_path, config, catalog_doc, update_once)
    assert code == 0
    moved = set(mutated) & old
    assert moved, "no old customer was updated: the scenario did not happen"
    first_records = group_records(first)
    # Some of them had not been read yet, and left the archive index before the walk got there.
    unread = moved - set(latest_versions(first_records["customers"]))
    assert unread, "every updated old customer had been read before the update"
    second = run_tap(tmp_path, config, catalog_doc, state=[m["value"] for m in first if m["type"] == "STATE"][-1])
    assert second.returncode == 0, second.stderr[-2000:]
    assert unread <= set(latest_versions(second.records["customers"]))
    combined = group_records(first + second.messages)
    assert_complete(expected(sim), combined, ["customers"])


@pytest.fixture(name="edge_sim")
def fixture_edge_sim():
    """A simulator whose org has 150 customers on one stamp in the day below the edge (a burst is placed
    within the day after its age; the anchor is now, not midnight): inside the band both spans look at, in
    the archive index only, so only the archive span, read after the standard span, can read them."""
    started = []

    def start(options):
        dataset = Dataset.generate(seed=11, counts={"conversations": 100, "messages": 50},
                                   tie_bursts={"customers": [(150, 731.0)]}, now=int(time.time() * 1000))
        started.append(Simulator(dataset, options).start())
        return started[-1]

    yield start
    for sim in started:
        sim.stop()


EDGE_STREAMS = ["customers", "conversations"]


@pytest.mark.slow
@pytest.mark.parametrize("options", [
    {},
    {"horizon_edge": "moving"},
    # Both indexes hold the records within an hour of the edge: read twice at most, never lost.
    {"horizon_overlap_seconds": 3600},
    # A gap of neither index near the edge. With a fixed edge it would hide its records from every endpoint
    # for good, beyond any reader: not asserted. With a real-time edge the gap is crossed in two seconds,
    # long before the archive span reads the band (after the standard span): asserted, 0 missing.
    {"horizon_edge": "moving", "horizon_overlap_seconds": -1},
    {"archive_budget": "separate"},
    {"archive_budget": "search"},
], ids=["fixed", "moving", "overlap", "gap-moving", "budget-separate", "budget-search"])
def test_edge_options_lose_nothing(tmp_path, edge_sim, catalog, options):
    sim = edge_sim(SimOptions(**UNPACED, **options))
    truth = sim.truth()["customers"]
    band = {rid for rid, stamp in truth.items()
            if edge_of(sim) - MARGIN <= normalise_ts(stamp) < edge_of(sim)}
    assert len(band) >= 150, len(band)
    run = run_tap(tmp_path, unpaced_config(sim), catalog(EDGE_STREAMS))
    assert run.returncode == 0, run.stderr[-2000:]
    assert_complete(expected(sim), run.records, EDGE_STREAMS)
    assert band <= {record["id"] for record in run.records["customers"]}


@pytest.mark.slow
def test_an_edge_racing_ahead_of_real_time_loses_nothing(tmp_path, start_sim, catalog):
    """The tap's clock puts the edge at now - 730 days. Here it advances ten days of data time per real
    second, faster than a paced walk reads them, so records cross from the standard index to the archive
    ahead of the standard span, and far past where the clock puts the edge. The archive span reads the
    archive to its end, so it finds them there."""
    dataset = Dataset.generate(seed=11, counts={"customers": 600}, density={"customers": [0, 0, 0, 1, 0, 0]},
                               now=int(time.time() * 1000))
    # Two searches a second, pages of 20: the standard span takes some seconds, the edge moves weeks.
    sim = start_sim(SimOptions(rate_window_seconds=1.0, search_limit=2, org_limit=100, horizon_edge="moving",
                               horizon_speed=864_000), dataset=dataset)
    clock_edge = datetime.now(timezone.utc) - timedelta(days=730)
    run = run_tap(tmp_path, make_config(sim, page_size_limit=20), catalog(["customers"]))
    assert run.returncode == 0, run.stderr[-2000:]
    truth = sim.truth()["customers"]
    # Not vacuous: records crossed the edge past the band above where the clock puts it.
    crossed = {rid for rid, stamp in truth.items() if clock_edge + MARGIN <= normalise_ts(stamp) < edge_of(sim)}
    assert len(crossed) >= 20, len(crossed)
    assert_complete(sim.truth(), run.records, ["customers"])


def test_check_prints_an_archive_and_a_standard_row_per_search_stream_and_the_old_notes(tmp_path, start_sim,
                                                                                        catalog):
    sim = start_sim()
    result = subprocess.run([TAP, "--config", write_json(tmp_path / "config.json", make_config(sim)),
                             "--catalog", write_json(tmp_path / "catalog.json", catalog(SEARCH_STREAMS)), "--check"],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = {}
    for line in result.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 5 and parts[0] in SEARCH_STREAMS and parts[1] == "ok":
            rows[(parts[0], parts[2])] = (int(parts[3].replace(",", "")), int(parts[4].replace(",", "")))
    truth, edge = sim.truth(), edge_of(sim)
    for stream in ARCHIVED_STREAMS:
        old = len(older_than(truth[stream], edge - MARGIN))
        recent = len(truth[stream]) - len(older_than(truth[stream], edge))
        assert rows[(stream, "archive")][0] == old and rows[(stream, "archive")][1] >= 1, (stream, rows)
        assert rows[(stream, "standard")][0] == recent and rows[(stream, "standard")][1] >= 1, (stream, rows)
    assert ("notes", "archive") not in rows and ("notes", "standard") in rows
    assert [line for line in result.stdout.splitlines() if line.startswith("note records last updated before")]


def test_a_stream_with_no_update_in_two_years_never_asks_the_archive_again(tmp_path, start_sim, catalog):
    """Its bookmark cannot pass a stamp the run did not read, so it stays a day below the horizon; the
    horizon moves on, and without `read_to` every run would ask archive search for that day again."""
    dataset = Dataset.generate(seed=3, counts={"companies": 300, "customers": 300},
                               density={"companies": [1, 1, 1, 0, 0, 0]})
    sim = start_sim(dataset=dataset)
    truth = sim.truth()
    assert max(normalise_ts(stamp) for stamp in truth["companies"].values()) < edge_of(sim) - MARGIN
    streams = ["companies", "customers"]
    for name in ("first", "rerun0", "rerun1", "control"):
        (tmp_path / name).mkdir()
    first = run_tap(tmp_path / "first", make_config(sim), catalog(streams))
    assert first.returncode == 0, first.stderr[-2000:]
    assert_complete(truth, first.records, streams)
    state = first.last_state
    for number in range(2):
        before = archive_count(sim)
        rerun = run_tap(tmp_path / f"rerun{number}", make_config(sim), catalog(streams), state=state)
        assert rerun.returncode == 0, rerun.stderr[-2000:]
        assert archive_count(sim) == before, (number, rerun.last_state)
        assert not rerun.records.get("companies"), rerun.records.get("companies")
        state = rerun.last_state
    # Control: the same rerun from a state without `read_to`, as earlier versions wrote it, asks again.
    bare = {"bookmarks": {stream: {key: value for key, value in bookmark.items() if key != "read_to"}
                          for stream, bookmark in state["bookmarks"].items()}}
    before = archive_count(sim)
    control = run_tap(tmp_path / "control", make_config(sim), catalog(streams), state=bare)
    assert control.returncode == 0, control.stderr[-2000:]
    assert archive_count(sim) > before


@pytest.mark.slow
def test_check_with_the_state_of_a_full_sync_foresees_no_archive_span_and_no_old_notes(full_sync, tmp_path):
    assert full_sync.run.returncode == 0, full_sync.run.stderr[-2000:]
    catalog_doc = select(copy.deepcopy(full_sync.catalog), SEARCH_STREAMS)
    args = [TAP, "--config", write_json(tmp_path / "config.json", make_config(full_sync.sim)),
            "--catalog", write_json(tmp_path / "catalog.json", catalog_doc), "--check"]
    before = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    after = subprocess.run(args + ["--state", write_json(tmp_path / "state.json", full_sync.run.last_state)],
                           capture_output=True, text=True, timeout=120, check=False)
    assert before.returncode == 0 and after.returncode == 0, before.stderr + after.stderr

    def spans(stdout):
        return {tuple(line.split()[:3]) for line in stdout.splitlines() if line.split()[1:2] == ["ok"]}

    # Without the state it foresees a full sync, archive spans and old notes included (not vacuous).
    assert ("customers", "ok", "archive") in spans(before.stdout)
    assert "note records last updated before" in before.stdout
    assert {span for _, _, span in spans(after.stdout)} == {"standard"}, after.stdout
    assert "note records last updated before" not in after.stdout
    assert "from the state's bookmarks" in after.stdout


@pytest.mark.slow
@pytest.mark.parametrize("end_at", ["within the owed span", "below where it is owed from"])
def test_an_end_date_set_while_the_archive_span_is_owed_leaves_the_rest_owed(tmp_path, start_sim, catalog, end_at):
    """Killed in the archive span, then run with an end_date short of the archive's end, then without: what
    lies past the end_date stays owed until a run without it reads it."""
    sim = start_sim(SimOptions(**UNPACED))
    config = unpaced_config(sim, page_size_limit=100)
    catalog_doc = catalog(["customers"])
    for name in ("killed", "bounded", "free"):
        (tmp_path / name).mkdir()
    first, code = watch_tap(tmp_path / "killed", config, catalog_doc, lambda _line: archive_count(sim) >= 2)
    assert code == -signal.SIGKILL
    state = [message["value"] for message in first if message["type"] == "STATE"][-1]
    owed = normalise_ts(state["bookmarks"]["customers"]["archive_sweep_from"])
    oldest = min(normalise_ts(stamp) for stamp in sim.truth()["customers"].values())
    end = owed + (edge_of(sim) - MARGIN - owed) / 2 if end_at == "within the owed span" else oldest
    bounded = run_tap(tmp_path / "bounded", dict(config, end_date=end.isoformat()), catalog_doc, state=state)
    assert bounded.returncode == 0, bounded.stderr[-2000:]
    assert "archive_sweep_from" in bounded.last_state["bookmarks"]["customers"], bounded.last_state
    free = run_tap(tmp_path / "free", config, catalog_doc, state=bounded.last_state)
    assert free.returncode == 0, free.stderr[-2000:]
    combined = group_records(first + bounded.messages + free.messages)
    # Not vacuous: the records between the end_date and the edge came from the last run.
    assert any(end <= normalise_ts(record["updated_at"]) < edge_of(sim) for record in free.records["customers"])
    assert_complete(expected(sim), combined, ["customers"])


def test_a_notes_stream_with_nothing_inside_the_horizon_warns_once_and_syncs_on(tmp_path, start_sim, catalog):
    """Notes have no archive span; the run that read whole past the horizon said what lies before it once."""
    dataset = Dataset.generate(seed=3, counts={"notes": 40, "tags": 30}, density={"notes": [1, 1, 1, 0, 0, 0]})
    sim = start_sim(dataset=dataset)
    streams = ["notes", "tags"]
    state = None
    for number in range(3):
        (tmp_path / str(number)).mkdir()
        before = archive_count(sim)
        run = run_tap(tmp_path / str(number), make_config(sim), catalog(streams), state=state)
        assert run.returncode == 0, run.stderr[-2000:]
        warned = [line for line in run.stderr.splitlines() if line.startswith("WARNING note records")]
        # The first run warns, with one archive search for the count; the next ones neither.
        assert len(warned) == (1 if number == 0 else 0), (number, warned)
        assert archive_count(sim) - before == (1 if number == 0 else 0), number
        assert len(run.records.get("tags", ())) >= (30 if number == 0 else 1)
        state = run.last_state
    check = subprocess.run([TAP, "--config", write_json(tmp_path / "config.json", make_config(sim)),
                            "--catalog", write_json(tmp_path / "catalog.json", catalog(streams)),
                            "--state", write_json(tmp_path / "state.json", state), "--check"],
                           capture_output=True, text=True, timeout=120, check=False)
    assert check.returncode == 0 and "note records last updated before" not in check.stdout, check.stdout + check.stderr
