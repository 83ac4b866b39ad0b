"""Config coercion and validation: every bad value gets one line naming the key."""
from datetime import datetime, timezone

import pytest

from tap_kustomer.config import DEFAULT_BASE_URL, parse_config
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


def test_token_alias_and_secret_never_in_repr():
    parsed = parse_config({"token": "eyJ-very-secret", "start_date": "2024-01-01T00:00:00Z"})
    assert parsed.api_token.value == "eyJ-very-secret"
    assert "eyJ-very-secret" not in repr(parsed) and "eyJ-very-secret" not in str(parsed.api_token)


@pytest.mark.parametrize("overrides,expected", [
    ({"base_url": "https://api.prod2.kustomerapp.com/v1/"}, "https://api.prod2.kustomerapp.com"),
    ({"region": "EU"}, "https://api.prod2.kustomerapp.com"),
    ({"region": "us"}, "https://api.kustomerapp.com"),
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
    ({"start_date": ...}, "start_date is required"),
    ({"start_date": "yesterday"}, "start_date must be an RFC 3339"),
    ({"end_date": "2023-01-01"}, "end_date must be later"),
    ({"end_date": "soon"}, "end_date must be an RFC 3339"),
    ({"page_size_limit": "many"}, "page_size_limit must be a whole number"),
    ({"page_size_limit": 0}, "page_size_limit must be between"),
    ({"page_size_limit": 2.5}, "page_size_limit must be a whole number"),
    ({"date_window_size": -1}, "date_window_size must be between"),
    ({"request_timeout": "x"}, "request_timeout must be a whole number"),
    ({"request_timeout": True}, "request_timeout must be a whole number"),
    ({"base_url": "http://api.kustomerapp.com"}, "must use https"),
    ({"base_url": "ftp://x"}, "base_url must look like"),
    ({"region": "mars"}, "region must be one of"),
])
def test_bad_values_name_the_key(overrides, words):
    with pytest.raises(ConfigError, match=words):
        config(**overrides)
