"""Bad input of every kind: one CRITICAL line that says what to fix, a non-zero exit, no traceback,
nothing half-written on stdout, and never the token."""
import json
import subprocess

import pytest

from tests.e2e.harness import TAP, make_config, write_json
from tests.sandbox import SimOptions, TokenSpec, make_token

LEAK_TOKEN = make_token()


def run_cli(args):
    return subprocess.run([TAP] + args, capture_output=True, text=True, timeout=120, check=False)


def assert_one_clear_line(result, *words, token=LEAK_TOKEN):
    assert result.returncode != 0
    critical = [line for line in result.stderr.splitlines() if line.startswith("CRITICAL")]
    assert len(critical) == 1, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in critical[0], critical[0]
    assert token not in result.stdout and token not in result.stderr
    # Whatever reached stdout is whole Singer lines (split on \n only: U+2028 may sit inside a string).
    for line in result.stdout.split("\n")[:-1]:
        json.loads(line)
    assert result.stdout.endswith("\n") or not result.stdout
    return critical[0]


def good_config(**overrides):
    config = {"api_token": LEAK_TOKEN, "start_date": "2024-01-01", "base_url": "http://127.0.0.1:9"}
    config.update(overrides)
    return config


@pytest.fixture(name="paths")
def fixture_paths(tmp_path, catalog):
    def build(config=None, catalog_doc=None, state=None, raw_config=None, raw_catalog=None, raw_state=None):
        config_path = tmp_path / "config.json"
        if raw_config is not None:
            config_path.write_text(raw_config, encoding="utf-8")
        else:
            write_json(config_path, config or good_config())
        args = ["--config", str(config_path)]
        catalog_path = tmp_path / "catalog.json"
        if raw_catalog is not None:
            catalog_path.write_text(raw_catalog, encoding="utf-8")
        else:
            write_json(catalog_path, catalog_doc or catalog(["tags"]))
        args += ["--catalog", str(catalog_path)]
        if state is not None or raw_state is not None:
            state_path = tmp_path / "state.json"
            state_path.write_text(raw_state if raw_state is not None else json.dumps(state), encoding="utf-8")
            args += ["--state", str(state_path)]
        return args
    return build


def test_config_file_missing(tmp_path):
    assert_one_clear_line(run_cli(["--config", str(tmp_path / "nope.json"), "--discover"]),
                          "does not exist", "config.sample.json")


# One real run per exit path; tests/unit/test_config.py and test_input_files.py hold every bad value.
def test_bad_config_never_echoes_the_token(paths):
    raw = json.dumps(good_config(api_token=LEAK_TOKEN + "\u2019"))
    assert_one_clear_line(run_cli(paths(raw_config=raw)), "api_token", "copy the key again")


def test_bad_catalog(paths):
    raw = json.dumps({"streams": [{"tap_stream_id": "widgets", "schema": {}, "metadata": []}]})
    assert_one_clear_line(run_cli(paths(raw_catalog=raw)), "unknown stream", "widgets")


def test_bad_state(paths):
    raw = json.dumps({"bookmarks": {"tags": {"updated_at": "someday"}}})
    assert_one_clear_line(run_cli(paths(raw_state=raw)), "bookmark for tags is not a date")


def test_unreachable_host(paths):
    result = run_cli(paths(config=good_config(base_url="http://127.0.0.1:9")))
    line = assert_one_clear_line(result, "cannot reach", "127.0.0.1:9")
    assert "base_url" in line
    # Nothing else: no retry lines before it, no summary of a sync that read nothing.
    assert result.stderr.splitlines() == [line], result.stderr


def test_nothing_to_do_without_catalog(tmp_path):
    config_path = write_json(tmp_path / "config.json", good_config())
    assert_one_clear_line(run_cli(["--config", config_path]), "--catalog")


def test_token_refused(tmp_path, start_sim, catalog):
    token = make_token()
    sim = start_sim(SimOptions(tokens={make_token(): TokenSpec()}))
    config_path = write_json(tmp_path / "config.json", make_config(sim, api_token=token))
    catalog_path = write_json(tmp_path / "catalog.json", catalog(["customers", "tags"]))
    result = run_cli(["--config", config_path, "--catalog", catalog_path])
    line = assert_one_clear_line(result, "rejected the API token", "check api_token", token=token)
    # The first request says so, and the sync stops there: no other line, no request for a stream.
    assert result.stderr.splitlines() == [line], result.stderr
    assert [entry["kind"] for entry in sim.requests] == ["auth"], sim.requests


@pytest.mark.slow
def test_missing_permission_names_stream_and_role(tmp_path, start_sim, catalog):
    token = make_token()
    sim = start_sim(SimOptions(tokens={token: TokenSpec(denied=frozenset({"conversation"}))}))
    config_path = write_json(tmp_path / "config.json", make_config(sim, api_token=token))
    catalog_path = write_json(tmp_path / "catalog.json", catalog(["customers", "conversations"]))
    result = run_cli(["--config", config_path, "--catalog", catalog_path])
    assert_one_clear_line(result, "stream conversations", "org.permission.conversation.read", token=token)
    check = run_cli(["--config", config_path, "--catalog", catalog_path, "--check"])
    assert check.returncode == 1 and "DENIED" in check.stdout and token not in check.stdout + check.stderr
