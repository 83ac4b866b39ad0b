"""Every column a loader makes at flattening depth 3 fits PostgreSQL's 63 bytes, by a documented rule."""
import pytest

from tap_kustomer.discover import stream_schema
from tap_kustomer.names import PG_NAME_BYTES, RENAMES, column_names, renamer, short_name, shorten
from tap_kustomer.streams import STREAMS_BY_NAME


@pytest.mark.parametrize("stream", sorted(STREAMS_BY_NAME))
@pytest.mark.parametrize("depth", [0, 1, 2, 3])
def test_every_flattened_name_fits_and_is_unique(stream, depth):
    names = [name for _, name in column_names(stream_schema(stream), depth)]
    assert len(set(names)) == len(names)
    assert not [name for name in names if len(name.encode("utf-8")) > PG_NAME_BYTES]


@pytest.mark.parametrize("stream", sorted(STREAMS_BY_NAME))
def test_bundled_schemas_are_what_the_rule_makes_of_the_api_names(stream):
    bundled = stream_schema(stream)
    back = {new: old for old, new in RENAMES.get(stream, {}).items()}
    api_names = dict(bundled, properties={back.get(k, k): v for k, v in bundled["properties"].items()})
    schema, renames = shorten(api_names)
    assert schema == bundled
    assert renames == {(old,): new for old, new in RENAMES.get(stream, {}).items()}


def test_short_name_drops_inner_vowels_then_cuts_with_a_hash():
    assert short_name("last_message_unresponded", 40) == "lst_mssg_unrspndd"
    cut = short_name("last_message_unresponded", 12)
    assert len(cut) == 12 and cut.startswith("lst_m") and cut != short_name("last_message_unrespondex", 12)


def test_shorten_renames_the_longest_name_on_a_path_just_enough():
    leaf = {"type": ["null", "string"]}
    schema = {"type": "object", "properties": {
        "x" * 40: {"type": ["null", "object"], "properties": {"b" * 30: leaf, "c": leaf}}, "d": leaf}}
    short, renames = shorten(schema)
    assert renames == {("x" * 40,): short_name("x" * 40, 40 - 9)}
    assert [len(name) for _, name in column_names(short)] == [63, 34, 1]


def test_renamer_moves_the_api_name_to_the_schema_name():
    rename = renamer("conversations")
    record = {"id": "1", "last_message_unresponded_to_since_last_done": {"sent_at": None}}
    rename(record)
    assert record == {"id": "1", "lst_mssg_unrspndd_t_snc_lst_dn": {"sent_at": None}}
    assert renamer("tags") is None
