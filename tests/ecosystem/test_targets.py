"""The tap's stdout piped into real targets, each in its own venv; correctness is judged against sim.truth()."""
from tests.e2e.harness import (expected, ALL_STREAMS, assert_complete, discover, group_records, make_config, select,
                               write_json)
from tests.ecosystem.tools import (SINGER_CHECK_TAP, TARGET_JSONL, TARGET_STITCH, json_lines, last_state, pipe,
                                   read_jsonl, require)


def prepare(workdir, sim, streams):
    config = make_config(sim)
    catalog = select(discover(workdir, config), streams)
    return write_json(workdir / "tap-config.json", config), write_json(workdir / "tap-catalog.json", catalog)


def echoed_states(target_stdout):
    return json_lines(target_stdout)


def test_target_stitch_dry_run_accepts_every_stream_and_echoes_the_final_state(tmp_path, sim):
    require(TARGET_STITCH)
    config, catalog = prepare(tmp_path, sim, ALL_STREAMS)
    # Dry runs never read these values, but target-stitch opens the file, so it must be a config it accepts.
    stitch = write_json(tmp_path / "stitch.json", {
        "client_id": 1, "token": "dry-run", "small_batch_url": "http://127.0.0.1:9/v2/import/batch",
        "big_batch_url": "http://127.0.0.1:9/v2/import/batch", "batch_size_preferences": {},
        "disable_collection": True})
    # --output-file keeps the request bodies target-stitch would send, so the records Stitch would get are
    # checked too, not only the validation verdict.
    messages, stdout = pipe(tmp_path, config, catalog,
                            [TARGET_STITCH, "--config", stitch, "--dry-run", "--output-file", "requests.jsonl"])
    states = echoed_states(stdout)
    assert states and states[-1] == last_state(messages)
    tap_states = [message["value"] for message in messages if message["type"] == "STATE"]
    assert all(state in tap_states for state in states), "target-stitch echoed a state the tap never sent"
    sent = {}
    for body in read_jsonl(tmp_path / "requests.jsonl"):
        sent.setdefault(body["table_name"], []).extend(m["data"] for m in body["messages"] if m["action"] == "upsert")
        assert body["key_names"] == ["id"]
    assert set(sent) == set(ALL_STREAMS)
    assert_complete(expected(sim), sent, ALL_STREAMS)


def test_target_jsonl_files_hold_exactly_the_selected_streams(tmp_path, sim):
    require(TARGET_JSONL)
    streams = ("customers", "conversations", "users", "tags")
    config, catalog = prepare(tmp_path, sim, streams)
    out = tmp_path / "out"
    target_config = write_json(tmp_path / "jsonl.json", {"destination_path": str(out), "do_timestamp_file": False})
    messages, stdout = pipe(tmp_path, config, catalog, [TARGET_JSONL, "--config", target_config])
    assert echoed_states(stdout) == [last_state(messages)]
    assert sorted(path.name for path in out.iterdir()) == sorted(f"{stream}.jsonl" for stream in streams)
    landed = {stream: read_jsonl(out / f"{stream}.jsonl") for stream in streams}
    truth = expected(sim)
    for stream in streams:
        assert {record["id"] for record in landed[stream]} == set(truth[stream]), stream
    # Same ids is not enough: each id's last line must be its latest version.
    assert_complete(truth, landed, streams)


def test_singer_check_tap_in_its_own_venv_accepts_every_stream(tmp_path, sim):
    require(SINGER_CHECK_TAP)
    config, catalog = prepare(tmp_path, sim, ALL_STREAMS)
    messages, report = pipe(tmp_path, config, catalog, [SINGER_CHECK_TAP])
    assert_complete(expected(sim), group_records(messages), ALL_STREAMS)
    # Its report names every stream it validated, with the count of records it saw.
    for stream in ALL_STREAMS:
        assert stream in report, report[-2000:]
