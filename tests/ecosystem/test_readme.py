"""Every command in README.md's ```bash blocks is run here, verbatim, or is a make target that CI runs.

COVERAGE names, for each command (keyed by its first line), what runs it. A README command missing from
COVERAGE fails test_every_readme_command_is_covered, so a new command cannot go untested. Each runner test
executes whole README blocks as written, so edits to a covered command are tested as soon as they land.
"""
import json
import os
import re
import shutil
from pathlib import Path

from tests.e2e.harness import expected, assert_complete, discover, group_records, make_config, select, write_json
from tests.ecosystem.tools import (MELTANO, ROOT, TARGET_JSONL, TARGET_STITCH, VENVS, StitchGate, base_env,
                                   fenced_blocks, json_lines, read_jsonl, readme_commands, require, run_bash,
                                   section)

MAKE = "make"  # a make target: CI runs `make test`, which builds `.venv` and `.venvs` on the way
COVERAGE = {
    "make demo": MAKE,
    "make test": MAKE,
    "python3 -m venv ~/.venvs/tap-kustomer": "test_readme_install",
    "~/.venvs/tap-kustomer/bin/pip install git+<this repository>": "test_readme_install",
    "tap-kustomer --config config.json --discover > catalog.json": "test_readme_discover_select_sync_and_state",
    "python3 -c \"import json; c=json.load(open('catalog.json'))": "test_readme_discover_select_sync_and_state",
    "tap-kustomer --config config.json --catalog catalog.json > out.jsonl":
        "test_readme_discover_select_sync_and_state",
    "test -f state.json || echo '{}' > state.json": "test_readme_discover_select_sync_and_state",
    "tap-kustomer --config config.json --catalog catalog.json --state state.json":
        "test_readme_discover_select_sync_and_state",
    "tail -1 state-history.jsonl > state.json.tmp && mv state.json.tmp state.json":
        "test_readme_discover_select_sync_and_state",
    "tap-kustomer --config config.json --catalog catalog.json --check": "test_readme_check_and_watch",
    "tap-kustomer --config config.json --catalog catalog.json --state state.json --quiet > out.jsonl 2> sync.log":
        "test_readme_check_and_watch",
    "grep METRIC sync.log": "test_readme_check_and_watch",
    "tap-kustomer --about --format markdown": "test_readme_check_and_watch",
    "tap-kustomer --config config.json --catalog catalog.json | .venvs/target-stitch/bin/target-stitch --dry-run "
    "| tail -1": "test_readme_targets",
    "echo '{\"destination_path\": \"output\", \"do_timestamp_file\": false}' > jsonl.json": "test_readme_targets",
    "tap-kustomer --config config.json --catalog catalog.json | .venvs/target-jsonl/bin/target-jsonl --config "
    "jsonl.json | tail -1": "test_readme_targets",
    "export PATH=\"$PWD/.venvs/meltano/bin:$PATH\"": "test_readme_meltano",
    "meltano install": "test_readme_meltano",
    "meltano config set tap-kustomer api_token '<your Kustomer API key>'": "test_readme_meltano",
    "meltano config set tap-kustomer start_date 2024-01-01T00:00:00Z": "test_readme_meltano",
    "meltano select tap-kustomer --list --all": "test_readme_meltano",
    "meltano run tap-kustomer target-jsonl": "test_readme_meltano",
    "meltano state get dev:tap-kustomer-to-target-jsonl": "test_readme_meltano",
}
README_SELECTION = ("customers", "conversations", "messages")  # what the README's one-liner and meltano.yml pick


def blocks_for(test_name):
    """The README blocks whose commands all belong to `test_name`, in README order."""
    owners = {}
    for index, block, key in readme_commands():
        owners.setdefault(index, (block, set()))[1].add(COVERAGE.get(key))
    mine = [block for block, names in owners.values() if test_name in names]
    for block, names in owners.values():
        assert test_name not in names or names == {test_name}, f"a README block mixes {names}: split it"
    assert mine, f"no README block is run by {test_name}"
    return mine


def test_every_readme_command_is_covered():
    keys = [key for _, _, key in readme_commands()]
    uncovered = [key for key in keys if key not in COVERAGE]
    assert not uncovered, ("README commands that no test runs; run them in a test here and add them to "
                           f"COVERAGE: {uncovered}")
    stale = [key for key in COVERAGE if key not in keys]
    assert not stale, f"COVERAGE names commands the README no longer has: {stale}"
    runners = {name for name in COVERAGE.values() if name != MAKE}
    assert all(callable(globals().get(name)) for name in runners), runners
    makefile = (ROOT / "Makefile").read_text()
    for key, owner in COVERAGE.items():
        if owner == MAKE:
            target = re.fullmatch(r"make (\S+)", key).group(1)
            assert re.search(rf"^{re.escape(target)}:", makefile, re.M), f"Makefile has no `{target}` target"


def test_readme_install(tmp_path):
    """A non-editable install into a fresh venv: proves the package ships its schemas and entry point."""
    (block,) = blocks_for("test_readme_install")
    # The placeholder is the repository's URL; this clone's own git history stands in for it.
    script = block.replace("git+<this repository>", f"git+file://{ROOT}")
    cache = os.environ.get("PIP_CACHE_DIR") or str(Path.home() / ".cache" / "pip")
    env = base_env(HOME=str(tmp_path), PIP_CACHE_DIR=cache)
    result = run_bash(script, tmp_path, env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    installed = tmp_path / ".venvs" / "tap-kustomer" / "bin" / "tap-kustomer"
    # A closed local port: discovery falls back to the static catalog without reaching for the network.
    config = write_json(tmp_path / "config.json", {"api_token": "x", "start_date": "2024-01-01",
                                                   "base_url": "http://127.0.0.1:9"})
    discovered = run_bash(f"{installed} --config {config} --discover", tmp_path, env)
    assert discovered.returncode == 0, discovered.stderr
    assert len(json.loads(discovered.stdout)["streams"]) == 13


def stitch_config(gate):
    """The README's stitch.json example, pointed at the local stand-in for Stitch."""
    (example,) = [block for block in fenced_blocks("json") if "small_batch_url" in block]
    config = json.loads(example)
    config["small_batch_url"] = config["big_batch_url"] = gate.url
    # Were it ever dropped from the README, target-stitch would phone stitchdata.com from the test.
    config["disable_collection"] = True
    return config


def test_readme_discover_select_sync_and_state(tmp_path, sim):
    sync_block, state_block = blocks_for("test_readme_discover_select_sync_and_state")
    write_json(tmp_path / "config.json", make_config(sim))
    result = run_bash(sync_block, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    catalog = json.loads((tmp_path / "catalog.json").read_text())
    selected = {entry["tap_stream_id"] for entry in catalog["streams"] if entry["metadata"][0]["metadata"]["selected"]}
    assert selected == set(README_SELECTION)
    records = group_records(read_jsonl(tmp_path / "out.jsonl"))
    assert set(records) == set(README_SELECTION)
    assert_complete(expected(sim), records, README_SELECTION)

    require(TARGET_STITCH)
    env = base_env()
    env["PATH"] = f"{env['PATH']}{os.pathsep}{TARGET_STITCH.parent}"
    with StitchGate() as gate:
        # No state.json yet: the block's first line must cover a newcomer's first run.
        assert not (tmp_path / "state.json").exists()
        write_json(tmp_path / "stitch.json", stitch_config(gate))
        result = run_bash(state_block, tmp_path, env)
        assert result.returncode == 0, result.stderr[-3000:]
        assert gate.tokens == {f"Bearer {stitch_config(gate)['token']}"}
        first = gate.records()
        assert set(first) == set(README_SELECTION)
        assert_complete(expected(sim), first, README_SELECTION)
        state = json.loads((tmp_path / "state.json").read_text())
        assert set(state["bookmarks"]) >= set(README_SELECTION) and "currently_syncing" not in state

        changed = set(sim.mutate("customers", 5))
        sent_before = {stream: len(rows) for stream, rows in first.items()}
        result = run_bash(state_block, tmp_path, env)
        assert result.returncode == 0, result.stderr[-3000:]
        second = {stream: rows[sent_before.get(stream, 0):] for stream, rows in gate.records().items()}
    assert changed <= {record["id"] for record in second["customers"]}
    assert all(len(rows) <= 10 for rows in second.values()), {stream: len(rows) for stream, rows in second.items()}
    history = json_lines((tmp_path / "state-history.jsonl").read_text())
    assert len(history) >= 2 and json.loads((tmp_path / "state.json").read_text()) == history[-1]


def test_readme_check_and_watch(tmp_path, sim):
    (block,) = blocks_for("test_readme_check_and_watch")
    streams = ("customers", "tags")
    config = make_config(sim)
    write_json(tmp_path / "config.json", config)
    write_json(tmp_path / "catalog.json", select(discover(tmp_path, config), streams))
    write_json(tmp_path / "state.json", {})
    result = run_bash(block, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    check, metric, about = re.split(r"\n(?=METRIC: |# tap-kustomer)", result.stdout.replace("INFO METRIC", "METRIC"))
    standard_row = r"^customers +ok +standard +[\d,]+ +[\d,]+ +POST /v1/customers/search$"
    assert check.startswith("token OK on ") and re.search(standard_row, check, re.M)
    assert re.search(r"^tags +ok .*GET /v1/tags$", check, re.M)
    figures = json.loads(metric.strip()[len("METRIC: "):])
    records = group_records(read_jsonl(tmp_path / "out.jsonl"))
    assert_complete(expected(sim), records, streams)
    assert figures["streams"][-1] == dict(figures["streams"][-1], stream="TOTAL",
                                          records=sum(len(rows) for rows in records.values()))
    # --quiet left nothing but the METRIC line in the log.
    assert (tmp_path / "sync.log").read_text().splitlines() == [f"INFO {metric.strip()}"]
    assert "Capabilities: catalog, discover, state, about" in about and "| `start_date` |" in about


def test_readme_targets(tmp_path, sim):
    require(TARGET_STITCH, TARGET_JSONL)
    (block,) = blocks_for("test_readme_targets")
    streams = ("conversations", "users", "tags")
    config = make_config(sim)
    write_json(tmp_path / "config.json", config)
    write_json(tmp_path / "catalog.json", select(discover(tmp_path, config), streams))
    # The README's paths are relative to a clone, where `make ecosystem` put the targets.
    (tmp_path / ".venvs").symlink_to(VENVS)
    result = run_bash(block, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    stitch_state, jsonl_state = json_lines(result.stdout)
    for state in (stitch_state, jsonl_state):
        assert set(state["bookmarks"]) == set(streams) and "currently_syncing" not in state
    out = tmp_path / "output"
    assert sorted(path.name for path in out.iterdir()) == sorted(f"{stream}.jsonl" for stream in streams)
    assert_complete(expected(sim), {stream: read_jsonl(out / f"{stream}.jsonl") for stream in streams}, streams)


def test_readme_meltano(tmp_path, sim):
    """The README's Meltano steps in a fresh clone, `meltano install` included (it pip-installs `-e .`)."""
    require(MELTANO)
    (block,) = blocks_for("test_readme_meltano")
    clone = tmp_path / "clone"
    clone.mkdir()
    for name in ("setup.py", "README.md", "meltano.yml"):
        shutil.copy(ROOT / name, clone / name)
    shutil.copytree(ROOT / "tap_kustomer", clone / "tap_kustomer", ignore=shutil.ignore_patterns("__pycache__"))
    (clone / ".venvs").symlink_to(VENVS)
    # Environment variables outrank both .env and meltano.yml in Meltano, so the README's placeholder key and
    # start date stay as written while the run goes to the simulator.
    env = base_env(TAP_KUSTOMER_API_TOKEN=sim.token, TAP_KUSTOMER_BASE_URL=sim.url,
                   TAP_KUSTOMER_START_DATE="2020-01-01T00:00:00Z", TAP_KUSTOMER_INDEX_LAG_SECONDS="0")
    result = run_bash(block, clone, env, timeout=900)
    assert result.returncode == 0, result.stderr[-4000:]
    assert re.search(r"\[automatic *\] customers\.updated_at", result.stdout), result.stdout[-3000:]
    state = json.loads(result.stdout.strip().split("\n")[-1])["singer_state"]
    assert set(state["bookmarks"]) == set(README_SELECTION) and "currently_syncing" not in state
    landed = {stream: read_jsonl(clone / "output" / f"{stream}.jsonl") for stream in README_SELECTION}
    assert_complete(expected(sim), landed, README_SELECTION)
    # The key went to .env (kept out of git), not into meltano.yml.
    assert "TAP_KUSTOMER_API_TOKEN" in (clone / ".env").read_text()
    assert "<your Kustomer API key>" not in (clone / "meltano.yml").read_text()


def test_readme_sections_this_suite_relies_on_exist():
    for title in ("Config", "Targets", "Meltano"):
        assert section(title).strip()
