"""`meltano run tap-kustomer target-jsonl` in a throwaway copy of meltano.yml, twice, against the simulator."""
import json
import shlex
import subprocess

import pytest
import yaml

from tests.e2e.harness import expected, SEARCH_STREAMS, assert_complete, normalise_ts, write_json
from tests.ecosystem.tools import (MELTANO, ROOT, STATE_ID, TAP, TARGET_JSONL, base_env, read_jsonl, require)
from tests.sandbox.records import render

STREAMS = ("conversations", "users", "tags")
KLASS_STREAM = "kobjects_order"


class Project:
    """A Meltano project made from the repository's meltano.yml, changed only where a test must.

    The extractor runs this checkout's tap through a wrapper that records each argv, and the loader is the
    Makefile-built target (target-jsonl unless told); without a pip_url Meltano installs nothing, so the test
    needs no network.
    """

    def __init__(self, root, streams, loader=("target-jsonl", TARGET_JSONL)):
        self.root = root / "project"
        self.root.mkdir()
        self.argv_log = root / "tap-argv.log"
        wrapper = root / "tap-kustomer"
        wrapper.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> {shlex.quote(str(self.argv_log))}\n'
                           f'exec {shlex.quote(str(TAP))} "$@"\n')
        wrapper.chmod(0o755)
        definition = yaml.safe_load((ROOT / "meltano.yml").read_text(encoding="utf-8"))
        tap = _plugin(definition, "extractors", "tap-kustomer")
        del tap["pip_url"]
        tap["executable"] = str(wrapper)
        tap["select"] = [f"{stream}.*" for stream in streams]
        name, executable = loader
        loader = _plugin(definition, "loaders", name)
        del loader["pip_url"]
        loader["executable"] = str(executable)
        (self.root / "meltano.yml").write_text(yaml.safe_dump(definition, sort_keys=False), encoding="utf-8")

    def meltano(self, *args, env=None):
        result = subprocess.run([str(MELTANO), *args], cwd=self.root, env=env or base_env(), capture_output=True,
                                text=True, timeout=300, check=False)
        assert result.returncode == 0, f"meltano {' '.join(args)} failed:\n{result.stderr[-4000:]}"
        return result.stdout

    def state(self):
        return json.loads(self.meltano("state", "get", STATE_ID))["singer_state"]

    def argv(self):
        return [line.split() for line in self.argv_log.read_text().splitlines()]

    def output(self, stream):
        path = self.root / "output" / f"{stream}.jsonl"
        return read_jsonl(path) if path.exists() else []


def _plugin(definition, kind, name):
    return next(entry for entry in definition["plugins"][kind] if entry["name"] == name)


def sim_env(sim):
    # Each value arrives the way a user's shell or CI secret store would hand it over: as a string.
    return base_env(TAP_KUSTOMER_API_TOKEN=sim.token, TAP_KUSTOMER_BASE_URL=sim.url,
                    TAP_KUSTOMER_START_DATE="2020-01-01T00:00:00Z", TAP_KUSTOMER_INDEX_LAG_SECONDS="0")


def assert_bookmarks_cover(state, records):
    assert "currently_syncing" not in state
    assert set(state["bookmarks"]) == set(STREAMS)
    for stream in STREAMS:
        newest = max(normalise_ts(record["updated_at"]) for record in records[stream])
        assert normalise_ts(state["bookmarks"][stream]["updated_at"]) >= newest, stream


def test_meltano_run_syncs_stores_state_and_runs_incrementally(tmp_path, sim):
    require(MELTANO, TARGET_JSONL)
    project = Project(tmp_path, STREAMS)
    env = sim_env(sim)

    project.meltano("run", "tap-kustomer", "target-jsonl", env=env)
    first = {stream: project.output(stream) for stream in STREAMS}
    assert sorted(path.name for path in (project.root / "output").iterdir()) == sorted(f"{s}.jsonl" for s in STREAMS)
    assert_complete(expected(sim), first, STREAMS)
    first_state = project.state()
    assert_bookmarks_cover(first_state, first)
    discovery, sync = project.argv()
    assert "--discover" in discovery and "--state" not in discovery
    # `catalog` declared, so Meltano must pass --catalog (never the legacy --properties).
    assert "--catalog" in sync and "--properties" not in sync and "--state" not in sync

    changed = {"conversations": set(sim.mutate("conversations", 5)), "users": set(sim.mutate("users", 3))}
    requests_before = len(sim.requests)
    project.meltano("run", "tap-kustomer", "target-jsonl", env=env)

    # Meltano ran discovery again, this time with --state, and then synced from the stored state.
    discovery, sync = project.argv()[2:]
    assert "--discover" in discovery and "--state" in discovery
    assert "--catalog" in sync and "--state" in sync
    second = {stream: project.output(stream)[len(first[stream]):] for stream in STREAMS}
    for stream in STREAMS:
        ids = {record["id"] for record in second[stream]}
        assert changed.get(stream, set()) <= ids, stream
        # Only the changed records, plus at most a few at the bookmark's exact timestamp (>= comparison).
        assert len(second[stream]) <= len(changed.get(stream, ())) + 5, (stream, len(second[stream]))
    assert_complete(expected(sim), {stream: first[stream] + second[stream] for stream in STREAMS}, STREAMS)
    searches = [entry for entry in sim.requests[requests_before:] if entry["kind"] == "search"]
    assert len(searches) <= len(set(STREAMS) & set(SEARCH_STREAMS)) + 1, searches

    second_state = project.state()
    assert_bookmarks_cover(second_state, {stream: first[stream] + second[stream] for stream in STREAMS})
    for stream in STREAMS:
        assert normalise_ts(second_state["bookmarks"][stream]["updated_at"]) >= \
            normalise_ts(first_state["bookmarks"][stream]["updated_at"]), stream


def test_discovery_with_meltanos_state_reads_only_the_orgs_metadata(tmp_path, sim):
    """Meltano passes --state to --discover; it must be accepted, and discovery reads the klasses and the
    custom attribute metadata, never records."""
    state = write_json(tmp_path / "state.json", {"bookmarks": {"users": {"updated_at": "2024-01-01T00:00:00Z"}}})
    config = write_json(tmp_path / "config.json", {"api_token": sim.token, "base_url": sim.url,
                                                   "start_date": "2020-01-01T00:00:00Z"})
    result = subprocess.run([str(TAP), "--config", config, "--state", state, "--discover"], capture_output=True,
                            text=True, timeout=60, check=True)
    assert {entry["tap_stream_id"] for entry in json.loads(result.stdout)["streams"]} >= set(STREAMS)
    paths = {entry["path"] for entry in sim.requests}
    assert "/v1/klasses" in paths
    assert all(path == "/v1/klasses" or path.startswith("/v1/metadata/") for path in paths), paths


def test_meltano_lists_the_klass_streams_and_runs_one_from_its_state(tmp_path, sim, dataset):
    require(MELTANO, TARGET_JSONL)
    project = Project(tmp_path, [KLASS_STREAM])
    env = sim_env(sim)
    listed = project.meltano("select", "tap-kustomer", "--list", "--all", env=env)
    for stream in ("kobjects_order", "kobjects_ecomm_order", "kobjects_shopify_order", "kobjects_subscription"):
        assert f"{stream}.custom" in listed, listed[-3000:]
    # A stored bookmark halfway through the klass's records: the run must start there.
    truth = klass_records(sim, dataset, "order")
    stamps = sorted(truth.values(), key=normalise_ts)
    bookmark = stamps[len(stamps) // 2]
    project.meltano("state", "set", "--force", STATE_ID,
                    json.dumps({"singer_state": {"bookmarks": {KLASS_STREAM: {"updated_at": bookmark}}}}), env=env)
    project.meltano("run", "tap-kustomer", "target-jsonl", env=env)
    landed = project.output(KLASS_STREAM)
    assert {record["id"] for record in landed} == {rid for rid, stamp in truth.items()
                                                   if normalise_ts(stamp) >= normalise_ts(bookmark)}
    assert {record["type"] for record in landed} == {"kobject.order"}
    assert "--state" in project.argv()[-1]
    state = project.state()
    assert normalise_ts(state["bookmarks"][KLASS_STREAM]["updated_at"]) >= normalise_ts(stamps[-1])


def klass_records(sim, dataset, klass):
    """{id: updatedAt} of one klass's kobjects, from the simulator's own records."""
    served = {record.id: render(dataset, "kobjects", record)["type"] for record in dataset.records["kobjects"]}
    return {rid: stamp for rid, stamp in expected(sim)["kobjects"].items() if served[rid] == f"kobject.{klass}"}


@pytest.mark.parametrize("fmt", ["json", "markdown"])
def test_meltano_invoke_about(tmp_path, fmt):
    require(MELTANO, TARGET_JSONL)
    project = Project(tmp_path, STREAMS)
    out = project.meltano("invoke", "tap-kustomer", "--about", "--format", fmt)
    if fmt == "json":
        assert json.loads(out)["capabilities"] == ["catalog", "discover", "state", "about"]
    else:
        assert out.startswith("# tap-kustomer")
