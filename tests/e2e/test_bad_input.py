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


@pytest.mark.parametrize("raw,words", [
    ("{not json", ("not valid JSON",)),
    ("[1, 2]", ("must hold a JSON object",)),
    (json.dumps({"start_date": "2024-01-01"}), ("api_token is required",)),
    (json.dumps({"api_token": LEAK_TOKEN, "start_date": "last week"}), ("start_date", "RFC 3339")),
    (json.dumps(good_config(page_size_limit="lots")), ("page_size_limit", "whole number")),
    (json.dumps(good_config(page_size_limit=-5)), ("page_size_limit", "between")),
    (json.dumps(good_config(date_window_size=0)), ("date_window_size", "between")),
    (json.dumps(good_config(request_timeout="soon")), ("request_timeout", "whole number")),
    (json.dumps(good_config(request_timeout=100_000)), ("request_timeout", "between")),
    (json.dumps(good_config(date_window_size="two months")), ("date_window_size", "whole number")),
    (json.dumps(good_config(base_url="http://api.kustomerapp.com")), ("https",)),
    (json.dumps(good_config(base_url="https://[::1")), ("base_url", "must look like")),
    (json.dumps(good_config(base_url="https://api.kustomerapp.com:44x")), ("base_url", "must look like")),
    (json.dumps(good_config(api_token=LEAK_TOKEN + "\u2019")), ("api_token", "copy the key again")),
    (json.dumps(good_config(api_token=LEAK_TOKEN + "\nsecond line")), ("api_token", "copy the key again")),
    (json.dumps(good_config(user_agent="tap \u2019 data@example.com")), ("user_agent", "ASCII")),
])
def test_bad_config(paths, raw, words):
    assert_one_clear_line(run_cli(paths(raw_config=raw)), *words)


@pytest.mark.parametrize("raw,words", [
    ("{oops", ("catalog", "not valid JSON")),
    (json.dumps({"streams": "all"}), ("catalog", "'streams' list")),
    (json.dumps({"streams": [{"tap_stream_id": "widgets", "schema": {}, "metadata": []}]}),
     ("unknown stream", "widgets")),
    (json.dumps({"streams": [{"tap_stream_id": "tags", "schema": {}, "metadata": [{"oops": 1}]}]}),
     ("malformed metadata",)),
    (json.dumps({"streams": [{"tap_stream_id": ["tags"], "schema": {}, "metadata": []}]}), ("unknown stream",)),
    (json.dumps({"streams": [{"tap_stream_id": "tags", "schema": {},
                              "metadata": [{"breadcrumb": [], "metadata": "selected"}]}]}), ("malformed metadata",)),
    (json.dumps({"streams": [{"tap_stream_id": "tags", "schema": {"properties": []}, "metadata": []}]}),
     ("tags", "'properties' must be an object")),
])
def test_bad_catalog(paths, raw, words):
    assert_one_clear_line(run_cli(paths(raw_catalog=raw)), *words)


@pytest.mark.parametrize("raw,words", [
    ("{nope", ("state", "not valid JSON")),
    (json.dumps([1]), ("state must be a JSON object",)),
    (json.dumps({"bookmarks": []}), ("bookmarks",)),
    (json.dumps({"bookmarks": {"tags": {"updated_at": "someday"}}}), ("bookmark for tags is not a date",)),
    (json.dumps({"bookmarks": {"widgets": {"updated_at": "2024-01-01"}}}), ("unknown stream", "widgets")),
    (json.dumps({"bookmarks": {"tags": {"since": "2024-01-01"}}}), ("bookmark for tags",)),
    (json.dumps({"bookmarks": {}, "currently_syncing": "widgets"}), ("currently_syncing", "widgets")),
    (json.dumps({"bookmarks": {}, "currently_syncing": ["tags"]}), ("currently_syncing",)),
])
def test_bad_state(paths, raw, words):
    assert_one_clear_line(run_cli(paths(raw_state=raw)), *words)


def test_unreachable_host(paths):
    line = assert_one_clear_line(run_cli(paths(config=good_config(base_url="http://127.0.0.1:9"))),
                                 "cannot reach", "127.0.0.1:9")
    assert "base_url" in line


def test_nothing_to_do_without_catalog(tmp_path):
    config_path = write_json(tmp_path / "config.json", good_config())
    assert_one_clear_line(run_cli(["--config", config_path]), "--catalog")


@pytest.mark.parametrize("spec,words,status", [
    (None, ("rejected the API token", "check api_token"), 401),
    (TokenSpec(expired=True), ("expired", "API Keys"), 401),
    (TokenSpec(pod="prod2"), ("pod prod2", "https://api.prod2.kustomerapp.com"), 401),
    (TokenSpec(pod="prod2"), ("pod prod2", "https://api.prod2.kustomerapp.com"), 403),
])
def test_token_refused(tmp_path, start_sim, catalog, spec, words, status):
    token = make_token()
    tokens = {make_token(): TokenSpec()}
    if spec is not None:
        tokens[token] = spec
    sim = start_sim(SimOptions(tokens=tokens, wrong_pod_status=status))
    config_path = write_json(tmp_path / "config.json", make_config(sim, api_token=token))
    catalog_path = write_json(tmp_path / "catalog.json", catalog(["customers", "tags"]))
    result = run_cli(["--config", config_path, "--catalog", catalog_path])
    assert_one_clear_line(result, *words, token=token)


def test_missing_permission_names_stream_and_role(tmp_path, start_sim, catalog):
    token = make_token()
    sim = start_sim(SimOptions(tokens={token: TokenSpec(denied=frozenset({"conversation"}))}))
    config_path = write_json(tmp_path / "config.json", make_config(sim, api_token=token))
    catalog_path = write_json(tmp_path / "catalog.json", catalog(["customers", "conversations"]))
    result = run_cli(["--config", config_path, "--catalog", catalog_path])
    assert_one_clear_line(result, "stream conversations", "org.permission.conversation.read", token=token)
    check = run_cli(["--config", config_path, "--catalog", catalog_path, "--check"])
    assert check.returncode == 1 and "DENIED" in check.stdout and token not in check.stdout + check.stderr


def test_a_key_without_the_search_role_is_told_to_add_it(tmp_path, start_sim, catalog):
    token = make_token()
    sim = start_sim(SimOptions(tokens={token: TokenSpec(denied=frozenset({"search"}))}))
    config_path = write_json(tmp_path / "config.json", make_config(sim, api_token=token))
    catalog_path = write_json(tmp_path / "catalog.json", catalog(["customers"]))
    result = run_cli(["--config", config_path, "--catalog", catalog_path])
    assert_one_clear_line(result, "stream customers", "org.permission.search.create", token=token)
