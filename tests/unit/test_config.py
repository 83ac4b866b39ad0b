"""Config coercion and validation: every bad value gets one line naming the key."""
import dataclasses
import json
from datetime import datetime, timezone

import pytest

from tap_kustomer.config import DEFAULT_BASE_URL, HOSTS, SETTINGS, load_config_file, parse_config
from tap_kustomer.errors import ConfigError

BASE = {"api_token": "tok", "start_date": "2024-01-01"}


def config(**overrides):
    data = dict(BASE)
    data.update(overrides)
    return parse_config({key: value for key, value in data.items() if value is not ...})


def test_defaults_and_strings_from_meltano():
    parsed = config(date_window_size="30", page_size_limit="250", request_timeout=" 60 ")
    assert parsed.base_url == DEFAULT_BASE_URL
    assert parsed.start_date == datetime(2024, 1, 1, tzinfo=timezone.utc)
    assert (parsed.date_window_size, parsed.page_size_limit, parsed.request_timeout) == (30, 250, 60)
    assert parsed.user_agent is None


def test_config_has_one_field_per_setting_holding_its_default_when_unset():
    parsed = config()
    assert [item.name for item in dataclasses.fields(parsed)] == [setting.name for setting in SETTINGS]
    for setting in SETTINGS:
        if not setting.required:
            assert getattr(parsed, setting.name) == setting.default, setting.name
    with pytest.raises(dataclasses.FrozenInstanceError):
        parsed.page_size_limit = 1  # pylint: disable=assigning-non-slot


def test_lookback_seconds_defaults_to_zero_and_takes_up_to_a_year():
    assert config().lookback_seconds == 0
    assert config(lookback_seconds="3600").lookback_seconds == 3600
    assert config(lookback_seconds=31536000).lookback_seconds == 31536000


def test_token_alias_and_secret_never_in_repr():
    parsed = parse_config({"token": "eyJ-very-secret", "start_date": "2024-01-01T00:00:00Z"})
    assert parsed.api_token.value == "eyJ-very-secret"
    assert "eyJ-very-secret" not in repr(parsed) and "eyJ-very-secret" not in str(parsed.api_token)


@pytest.mark.parametrize("overrides,expected", [
    ({"base_url": "https://api.prod2.kustomerapp.com/v1/"}, "https://api.prod2.kustomerapp.com"),
    ({"region": "EU"}, "https://api.prod2.kustomerapp.com"),
    ({"region": "us"}, "https://api.kustomerapp.com"),
    ({"region": "in"}, HOSTS["prod4"]),
    ({"region": "prod2"}, HOSTS["eu"]),
    ({"region": "mars", "base_url": "https://api.prod2.kustomerapp.com"}, "https://api.prod2.kustomerapp.com"),
    ({"region": "eu", "base_url": "https://acme.api.kustomerapp.com"}, "https://acme.api.kustomerapp.com"),
    ({"base_url": "https://acme.api.kustomerapp.com"}, "https://acme.api.kustomerapp.com"),
    ({"base_url": "http://127.0.0.1:8080"}, "http://127.0.0.1:8080"),
    ({"base_url": "http://localhost:9"}, "http://localhost:9"),
])
def test_base_url_forms(overrides, expected):
    assert config(**overrides).base_url == expected


@pytest.mark.parametrize("overrides,words", [
    ({"api_token": ...}, "api_token is required"),
    ({"api_token": "  "}, "api_token is required"),
    ({"api_token": 12}, "api_token must be a string"),
    ({"api_token": "tok\u2019"}, "api_token .* copy the key again"),
    ({"api_token": "tok\nsecond line"}, "api_token .* copy the key again"),
    ({"start_date": ...}, "start_date is required"),
    ({"start_date": "yesterday"}, "start_date must be an RFC 3339"),
    ({"start_date": "last week"}, "start_date must be an RFC 3339"),
    ({"end_date": "2023-01-01"}, "end_date must be later"),
    ({"end_date": "2024-01-01"}, "end_date must be later"),
    ({"end_date": "soon"}, "end_date must be an RFC 3339"),
    ({"page_size_limit": "many"}, "page_size_limit must be a whole number"),
    ({"page_size_limit": 0}, "page_size_limit must be between"),
    ({"page_size_limit": -5}, "page_size_limit must be between"),
    ({"page_size_limit": 2.5}, "page_size_limit must be a whole number"),
    ({"date_window_size": -1}, "date_window_size must be between"),
    ({"date_window_size": 0}, "date_window_size must be between"),
    ({"date_window_size": "two months"}, "date_window_size must be a whole number"),
    ({"request_timeout": "x"}, "request_timeout must be a whole number"),
    ({"request_timeout": True}, "request_timeout must be a whole number"),
    ({"request_timeout": 100_000}, "request_timeout must be between"),
    ({"lookback_seconds": -1}, "lookback_seconds must be between 0 and 31536000"),
    ({"lookback_seconds": 31536001}, "lookback_seconds must be between"),
    ({"lookback_seconds": "a day"}, "lookback_seconds must be a whole number"),
    ({"base_url": "http://api.kustomerapp.com"}, "must use https"),
    ({"base_url": "ftp://x"}, "base_url must look like"),
    ({"base_url": "https://[::1"}, "base_url must look like"),
    ({"base_url": "https://api.kustomerapp.com:44x"}, "base_url must look like"),
    ({"region": "mars"}, "region must be one of"),
    ({"user_agent": "tap \u2019 data@example.com"}, "user_agent must be plain ASCII"),
])
def test_bad_values_name_the_key(overrides, words):
    with pytest.raises(ConfigError, match=words):
        config(**overrides)


def test_bad_token_is_never_echoed():
    with pytest.raises(ConfigError) as raised:
        config(api_token="eyJ-very-secret\u2019")
    assert "eyJ-very-secret" not in str(raised.value)


@pytest.mark.parametrize("raw,words", [
    (None, "does not exist; copy config.sample.json"),
    ("{not json", "is not valid JSON"),
    ("[1, 2]", "must hold a JSON object"),
    (json.dumps({"start_date": "2024-01-01"}), "api_token is required"),
])
def test_bad_config_files(tmp_path, raw, words):
    path = tmp_path / "config.json"
    if raw is not None:
        path.write_text(raw, encoding="utf-8")
    with pytest.raises(ConfigError, match=words):
        load_config_file(str(path))
