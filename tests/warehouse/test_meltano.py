"""`meltano run tap-kustomer target-postgres`, with the repository's meltano.yml, into a throwaway cluster."""
import json

from tap_kustomer.timeutil import parse_timestamp
from tests.e2e.harness import expected
from tests.ecosystem.test_meltano import Project, sim_env
from tests.ecosystem.tools import MELTANO, require
from tests.warehouse.pipeline import TARGET

STREAMS = ("conversations", "users", "tags")


def test_meltano_run_into_postgres_holds_each_truth_id_once(tmp_path, postgres, sim):
    require(MELTANO, TARGET)
    project = Project(tmp_path, STREAMS, loader=("target-postgres", TARGET))
    # The URL the way meltano.yml's comment and the README tell a user to give it; the schema, upsert and
    # COPY come from meltano.yml itself.
    env = sim_env(sim)
    env["TARGET_POSTGRES_SQLALCHEMY_URL"] = postgres.sqlalchemy_url
    project.meltano("run", "tap-kustomer", "target-postgres", env=env)
    changed = sim.mutate("conversations", 5)
    # The second run starts from the state Meltano stored, and upserts: still one row per id, now the newest.
    project.meltano("run", "tap-kustomer", "target-postgres", env=env)
    truth = expected(sim)
    for stream in STREAMS:
        ids = [row["id"] for row in postgres.query(f"select id from kustomer.{stream}")]
        assert sorted(ids) == sorted(truth[stream]), stream
        assert postgres.query(f"select count(*) as n from kustomer.{stream}") == [{"n": len(truth[stream])}]
    stamps = {row["id"]: row["updated_at"]
              for row in postgres.query("select id, updated_at from kustomer.conversations")}
    assert all(parse_timestamp(stamps[rid] + "Z") == parse_timestamp(truth["conversations"][rid]) for rid in changed)
    state = json.loads(project.meltano("state", "get", "dev:tap-kustomer-to-target-postgres"))["singer_state"]
    assert set(state["bookmarks"]) == set(STREAMS)
