"""Bad catalog and state files: each refused with one line that says what to fix (formerly one CLI run each;
tests/e2e/test_bad_input.py keeps one real run per exit path)."""
import json

import pytest

from tap_kustomer.catalog import load_catalog_file
from tap_kustomer.errors import CatalogError, StateError
from tap_kustomer.state import get_bookmark, load_state_file, set_bookmark


def assert_refused(load, error, tmp_path, raw, words):
    path = tmp_path / "input.json"
    path.write_text(raw, encoding="utf-8")
    with pytest.raises(error) as raised:
        load(str(path))
    assert all(word in str(raised.value) for word in words), str(raised.value)


def tags_entry(**overrides):
    entry = {"tap_stream_id": "tags", "schema": {}, "metadata": []}
    entry.update(overrides)
    return {"streams": [entry]}


@pytest.mark.parametrize("raw,words", [
    ("{oops", ("catalog", "not valid JSON")),
    (json.dumps({"streams": "all"}), ("catalog", "'streams' list")),
    (json.dumps(tags_entry(tap_stream_id="widgets")), ("unknown stream", "widgets")),
    (json.dumps(tags_entry(metadata=[{"oops": 1}])), ("malformed metadata",)),
    (json.dumps(tags_entry(tap_stream_id=["tags"])), ("unknown stream",)),
    (json.dumps(tags_entry(metadata=[{"breadcrumb": [], "metadata": "selected"}])), ("malformed metadata",)),
    (json.dumps(tags_entry(schema={"properties": []})), ("tags", "'properties' must be an object")),
])
def test_bad_catalog(tmp_path, raw, words):
    assert_refused(load_catalog_file, CatalogError, tmp_path, raw, words)


@pytest.mark.parametrize("raw,words", [
    ("{nope", ("state", "not valid JSON")),
    (json.dumps([1]), ("state must be a JSON object",)),
    (json.dumps({"bookmarks": []}), ("bookmarks",)),
    (json.dumps({"bookmarks": {"tags": {"updated_at": "someday"}}}), ("bookmark for tags is not a date",)),
    (json.dumps({"bookmarks": {"widgets": {"updated_at": "2024-01-01"}}}), ("unknown stream", "widgets")),
    (json.dumps({"bookmarks": {"tags": {"since": "2024-01-01"}}}), ("bookmark for tags",)),
    (json.dumps({"bookmarks": {}, "currently_syncing": "widgets"}), ("currently_syncing", "widgets")),
    (json.dumps({"bookmarks": {}, "currently_syncing": ["tags"]}), ("currently_syncing",)),
    (json.dumps({"bookmarks": {"customers": {"updated_at": "2026-01-01", "archive_sweep_from": "2022-01-01",
                                             "archive_seen": "c1"}}}), ("archive_seen", "list of record ids")),
    (json.dumps({"bookmarks": {"customers": {"updated_at": "2026-01-01", "read_to": "soon"}}}),
     ("read_to for customers is not a date",)),
])
def test_bad_state(tmp_path, raw, words):
    assert_refused(load_state_file, StateError, tmp_path, raw, words)


def test_a_bookmark_owing_its_archive_span_keeps_where_and_the_ids_read_there(tmp_path):
    path = tmp_path / "state.json"
    path.write_text(json.dumps({"bookmarks": {"customers": {
        "updated_at": "2026-11-01T00:00:00Z", "archive_sweep_from": "2023-05-01T10:00:00.123Z",
        "seen_at_bookmark": ["c9"], "archive_seen": ["c2", "c1"]}}}), encoding="utf-8")
    state = load_state_file(str(path))
    bookmark = get_bookmark(state, "customers")
    assert bookmark.archive_owed.isoformat() == "2023-05-01T10:00:00.123000+00:00"
    assert bookmark.seen == ("c9",) and bookmark.archive_seen == ("c2", "c1")
    set_bookmark(state, "customers", bookmark.moment, bookmark.archive_owed, bookmark.seen, bookmark.archive_seen)
    assert state["bookmarks"]["customers"]["archive_seen"] == ["c1", "c2"]
    # Once the archive span is done, its ids go with it.
    set_bookmark(state, "customers", bookmark.moment, None, bookmark.seen, bookmark.archive_seen)
    assert "archive_seen" not in state["bookmarks"]["customers"]


def test_a_bookmark_keeps_how_far_both_indexes_were_read_whole(tmp_path):
    path = tmp_path / "state.json"
    path.write_text(json.dumps({"bookmarks": {"companies": {
        "updated_at": "2024-12-01T06:00:00Z", "read_to": "2026-12-01T06:00:00Z"}}}), encoding="utf-8")
    bookmark = get_bookmark(load_state_file(str(path)), "companies")
    assert bookmark.read_to.isoformat() == "2026-12-01T06:00:00+00:00"
    assert bookmark.moment.isoformat() == "2024-12-01T06:00:00+00:00"
