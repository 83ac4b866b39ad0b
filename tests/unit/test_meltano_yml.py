"""meltano.yml is a copy of config.SETTINGS in Meltano's words; these tests keep the two from drifting apart."""
import json
import re
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from tap_kustomer.about import CAPABILITIES
from tap_kustomer.config import SETTINGS, Secret, parse_config

ROOT = Path(__file__).resolve().parents[2]


def load_project():
    return yaml.safe_load((ROOT / "meltano.yml").read_text(encoding="utf-8"))


def plugin(kind, name):
    matches = [entry for entry in load_project()["plugins"][kind] if entry["name"] == name]
    assert len(matches) == 1, f"meltano.yml needs exactly one {kind} entry named {name}"
    return matches[0]


def meltano_kind(setting):
    # Meltano deprecates kind: password in favour of a sensitive string; it treats both the same.
    return "string" if setting.kind == "password" else setting.kind


def expected_description(setting):
    # meltano.yml carries no `value:` defaults (see the test below), so the default lives in the text.
    return setting.description + ("" if setting.default is None else f" Default {setting.default}.")


def expected_entry(setting):
    entry = {"name": setting.name}
    if setting.aliases:
        entry["aliases"] = list(setting.aliases)
    entry["kind"] = meltano_kind(setting)
    if setting.kind == "password":
        entry["sensitive"] = True
    entry["description"] = expected_description(setting)
    return entry


def paste_hint():
    """On failure, print what meltano.yml's settings should say, so fixing it is a paste."""
    lines = ["expected settings (paste into meltano.yml under the tap-kustomer extractor):", "    settings:"]
    for setting in SETTINGS:
        entry = expected_entry(setting)
        lines.append(f"    - name: {entry.pop('name')}")
        lines.extend(f"      {key}: {json.dumps(value, ensure_ascii=False)}" for key, value in entry.items())
    return "\n".join(lines)


def test_extractor_identity_and_capabilities():
    tap = plugin("extractors", "tap-kustomer")
    assert tap["executable"] == "tap-kustomer"
    assert tap["namespace"] == "tap_kustomer"
    assert tap["pip_url"].startswith("-e ")
    # Without `state` Meltano never passes --state, and every run becomes a full sync.
    assert tap["capabilities"] == CAPABILITIES
    assert {"catalog", "discover", "state", "about"} <= set(tap["capabilities"])
    assert "properties" not in tap["capabilities"], "declare catalog or properties, never both"


def test_every_setting_mirrors_config_settings_and_nothing_else():
    tap = plugin("extractors", "tap-kustomer")
    actual = tap["settings"]
    assert [entry["name"] for entry in actual] == [setting.name for setting in SETTINGS], paste_hint()
    for setting, entry in zip(SETTINGS, actual):
        assert entry == expected_entry(setting), f"{setting.name}\n{paste_hint()}"


REQUIRED = {"api_token": "tok", "start_date": "2024-01-01"}
# What Meltano passes for a setting of each kind: env values and `meltano config set` both arrive as text.
MELTANO_TEXT = {"integer": "7", "date_iso8601": "2024-06-01T00:00:00Z",
                "base_url": "https://acme.api.kustomerapp.com", "region": "eu", "user_agent": "tap (a@b.c)"}


def meltano_settings():
    return plugin("extractors", "tap-kustomer")["settings"]


@pytest.mark.parametrize("entry", meltano_settings(), ids=lambda entry: entry["name"])
def test_each_meltano_default_is_what_the_tap_uses_when_the_setting_is_unset(entry):
    # The "Default X." that Meltano users read, against what parse_config really does without the setting.
    stated = re.search(r" Default (\S+)\.$", entry["description"])
    if entry["name"] in REQUIRED:
        assert stated is None
        return
    actual = getattr(parse_config(REQUIRED), entry["name"])
    assert (None if stated is None else stated.group(1)) == (None if actual is None else str(actual))


@pytest.mark.parametrize("entry", meltano_settings(), ids=lambda entry: entry["name"])
def test_each_meltano_kind_is_how_the_tap_reads_the_setting(entry):
    sample = MELTANO_TEXT.get(entry["kind"]) or MELTANO_TEXT.get(entry["name"])
    text = "meltano-secret" if entry.get("sensitive") else sample
    parsed = parse_config({**REQUIRED, entry["name"]: text})
    value = getattr(parsed, entry["name"])
    if entry.get("sensitive"):
        # Meltano hides it in its own output; the tap must too.
        assert isinstance(value, Secret) and text not in repr(parsed)
        return
    # Without kind: integer, Meltano hands the tap "60"; without date_iso8601, its UI takes any text.
    expected = {"integer": int, "date_iso8601": datetime, "string": str}[entry["kind"]]
    assert isinstance(value, expected), (entry["name"], value)


def test_no_meltano_defaults_override_the_taps_own():
    # A Meltano `value:` is written into every run's config: a default base_url would silently win over
    # `region`, and a stale copy of a default would outlive a change in the tap.
    for entry in plugin("extractors", "tap-kustomer")["settings"]:
        assert "value" not in entry, entry["name"]


def test_required_settings_are_validated_as_a_group():
    required = [setting.name for setting in SETTINGS if setting.required]
    assert plugin("extractors", "tap-kustomer")["settings_group_validation"] == [required]


def test_selection_names_real_streams():
    from tap_kustomer.streams import STREAMS  # pylint: disable=import-outside-toplevel
    names = {stream.name for stream in STREAMS}
    for rule in plugin("extractors", "tap-kustomer")["select"]:
        assert rule.split(".")[0].lstrip("!") in names, rule


def test_loader_is_the_pinned_target_jsonl_the_makefile_builds():
    loader = plugin("loaders", "target-jsonl")
    version = re.search(r"^TARGET_JSONL_VERSION := (\S+)$", (ROOT / "Makefile").read_text(), re.M).group(1)
    assert loader["pip_url"] == f"target-jsonl=={version}"
    # A namespace makes it a custom plugin, so Meltano needs no Hub lookup to run it.
    assert loader["namespace"] == "target_jsonl"
    assert loader["config"]["do_timestamp_file"] is False


def test_project_has_the_environment_the_readme_state_id_names():
    project = load_project()
    assert project["default_environment"] == "dev"
    assert "dev" in [environment["name"] for environment in project["environments"]]
