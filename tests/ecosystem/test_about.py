"""`tap-kustomer --about` as Meltano and the Hub read it, and the README's config table, all from config.SETTINGS."""
import json
import subprocess

import pytest
import yaml

from tap_kustomer.about import settings_table
from tap_kustomer.config import SETTINGS
from tests.ecosystem.tools import ROOT, TAP, section

JSON_TYPES = {"string": "string", "password": "string", "date_iso8601": "string", "integer": "integer"}


def about(*args):
    result = subprocess.run([str(TAP), "--about", *args], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_about_json_lists_capabilities_and_every_setting():
    document = json.loads(about("--format", "json"))
    assert document["name"] == "tap-kustomer"
    assert document["version"]
    assert document["capabilities"] == ["catalog", "discover", "state", "about"]
    meltano = yaml.safe_load((ROOT / "meltano.yml").read_text(encoding="utf-8"))
    tap = next(entry for entry in meltano["plugins"]["extractors"] if entry["name"] == "tap-kustomer")
    assert document["capabilities"] == tap["capabilities"]
    properties = document["settings"]["properties"]
    assert list(properties) == [setting.name for setting in SETTINGS]
    assert document["settings"]["required"] == [setting.name for setting in SETTINGS if setting.required]
    for setting in SETTINGS:
        prop = properties[setting.name]
        assert JSON_TYPES[setting.kind] in prop["type"], setting.name
        assert prop["description"] == setting.description
        assert prop.get("default") == setting.default, setting.name
    assert properties["api_token"].get("secret") is True


@pytest.mark.parametrize("args", [("--format", "markdown"), ()])
def test_about_markdown_and_text_name_every_setting(args):
    out = about(*args)
    for setting in SETTINGS:
        assert setting.name in out
    if args:
        assert out.startswith("# tap-kustomer ")
        assert settings_table() in out
    else:
        # The text form tells Meltano users which variable sets what.
        assert all(f"TAP_KUSTOMER_{setting.name.upper()}" in out for setting in SETTINGS)


def test_readme_config_table_is_the_generated_one():
    table = "\n".join(line for line in section("Config").splitlines() if line.startswith("|"))
    assert table == settings_table(), ("README.md's config table differs from tap_kustomer.about.settings_table(); "
                                       "paste its output over the table:\n" + settings_table())
