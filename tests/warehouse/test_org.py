"""With the catalog discovered from the org: typed custom columns, a klass stream's own table, and a custom
attribute created between two runs. All through the real tap and target-postgres, checked with SQL."""
# pytest passes fixtures by parameter name, which is what this check objects to.
# pylint: disable=redefined-outer-name
import pytest

from tests.e2e.harness import discover, expected, make_config, select
from tests.sandbox import Simulator
from tests.sandbox.records import klass_of
from tests.warehouse.pipeline import load, target_config
from tests.warehouse.values import DATASET, missing_values, tap_record, unflatten

KLASS, KLASS_STREAM = "order", "kobjects_order"
# The Postgres type each custom attribute suffix must land as, flattened (snake-cased keys).
SUFFIX_COLUMN_TYPES = {"_num": "numeric", "_bool": "boolean", "_at": "timestamp without time zone"}
NEW_ATTRIBUTE, NEW_KEY, NEW_VALUE = "warrantyMonthsNum", "warranty_months_num", 24


def columns(postgres, schema, table):
    return {row["column_name"]: row["data_type"] for row in postgres.query(
        "select column_name, data_type from information_schema.columns "
        f"where table_schema = '{schema}' and table_name = '{table}'")}


def rows_by_id(postgres, schema, table):
    return {row["id"]: row for row in postgres.query(f'select * from "{schema}"."{table}"')}


@pytest.fixture(scope="module")
def flattened(tmp_path_factory, postgres):
    """conversations and the order klass, loaded once at flattening depth 1 from the org's catalog:
    (the catalog, the truth)."""
    workdir = tmp_path_factory.mktemp("org")
    with Simulator(DATASET) as sim:
        catalog = discover(workdir, make_config(sim))
        load(workdir, make_config(sim), select(catalog, ("conversations", KLASS_STREAM)),
             target_config(postgres, default_target_schema="org", flattening_enabled=True, flattening_max_depth=1))
        return catalog, expected(sim)


def test_typed_custom_attributes_land_as_typed_columns(postgres, flattened):
    catalog, _ = flattened
    checked = set()
    for stream in ("conversations", KLASS_STREAM):
        declared = next(e for e in catalog["streams"] if e["tap_stream_id"] == stream)["schema"]["properties"]
        got = columns(postgres, "org", stream)
        for key in declared["custom"]["properties"]:
            suffix = next((s for s in SUFFIX_COLUMN_TYPES if key.endswith(s)), None)
            if suffix is not None:
                column = f"custom__{key}"
                assert got.get(column) == SUFFIX_COLUMN_TYPES[suffix], (stream, key, got.get(column))
                filled = postgres.query(f'select count("{column}") as n from org."{stream}"')[0]["n"]
                assert filled > 0, (stream, key)
                checked.add(suffix)
    assert checked == set(SUFFIX_COLUMN_TYPES)


def test_a_klass_stream_loads_into_its_own_table_with_its_truth_ids_and_values(postgres, flattened):
    want = klass_truth(flattened[1])
    rows = rows_by_id(postgres, "org", KLASS_STREAM)
    assert want and set(rows) == set(want)
    assert postgres.query(f'select count(*) as n from org."{KLASS_STREAM}"') == [{"n": len(want)}]
    missing = [gap for gap in klass_gaps(want, rows) if not shifted(gap)]
    assert not missing, (len(missing), missing[:5])


def test_custom_date_times_with_an_offset_land_as_utc(postgres, flattened):
    want = klass_truth(flattened[1])
    shifted_values = [gap for gap in klass_gaps(want, rows_by_id(postgres, "org", KLASS_STREAM)) if shifted(gap)]
    assert not shifted_values, (len(shifted_values), shifted_values[:5])


def klass_truth(truth):
    """{id: skeleton} of the klass's kobjects in the truth: the simulator's rendering picks a kobject's klass."""
    return {s.id: s for s in DATASET.records["kobjects"] if klass_of(s) == KLASS and s.id in truth["kobjects"]}


def klass_gaps(want, rows):
    return [(rid, *gap) for rid, skeleton in want.items()
            for gap in missing_values(tap_record("kobjects", skeleton), unflatten(rows[rid]))]


def shifted(gap):
    """A date-time sent with a non-UTC offset that landed as the same wall-clock time without it."""
    _, _, sent, got = gap
    return isinstance(sent, str) and isinstance(got, str) and sent[19:] not in ("", "Z", "+00:00") \
        and sent[:19] == got[:19]


@pytest.mark.parametrize("depth", [None, 1])
def test_a_custom_attribute_added_between_runs_loads_and_keeps_the_old_columns(tmp_path, postgres, sim, depth):
    schema = f"grown_{depth or 'jsonb'}"
    flattening = {} if depth is None else {"flattening_enabled": True, "flattening_max_depth": depth}
    target = target_config(postgres, default_target_schema=schema, **flattening)
    tap = make_config(sim)
    # Discovered once, before the attribute exists: the second run's catalog does not declare it.
    catalog = select(discover(tmp_path, tap), ("conversations",))
    state = load(tmp_path, tap, catalog, target)
    columns_before = columns(postgres, schema, "conversations")
    rows_before = rows_by_id(postgres, schema, "conversations")

    changed = set(sim.add_custom_attribute("conversations", NEW_ATTRIBUTE, NEW_VALUE, count=20))
    load(tmp_path, tap, catalog, target, state=state)
    columns_after = columns(postgres, schema, "conversations")
    rows_after = rows_by_id(postgres, schema, "conversations")

    assert set(rows_after) == set(expected(sim)["conversations"])
    assert {name: columns_after.get(name) for name in columns_before} == columns_before
    if depth is None:
        carried = {rid: row["custom"].get(NEW_KEY) for rid, row in rows_after.items() if NEW_KEY in row["custom"]}
        assert set(columns_after) == set(columns_before)
    else:
        new_column = f"custom__{NEW_KEY}"
        assert set(columns_after) - set(columns_before) == {new_column}
        assert columns_after[new_column] in ("bigint", "numeric")
        carried = {rid: row[new_column] for rid, row in rows_after.items() if row[new_column] is not None}
    assert carried == dict.fromkeys(changed, NEW_VALUE)
    # Rows of records not changed are as the first run left them (a run re-reads the bookmark's own stamp,
    # so only the _sdc_ bookkeeping of those may differ).
    def kept(row):
        return {name: value for name, value in row.items() if name in columns_before and not name.startswith("_sdc_")}
    drifted = [rid for rid in set(rows_before) - changed if kept(rows_after[rid]) != kept(rows_before[rid])]
    assert not drifted, drifted[:5]
