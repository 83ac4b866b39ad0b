"""`make warehouse-demo`: simulator → tap-kustomer → target-postgres → a local PostgreSQL, then SQL.

The cluster is left running for you to query; the last lines say how to connect and how to stop it.
"""
import tempfile
from pathlib import Path

from tests.e2e.harness import discover, make_config, select
from tests.sandbox import Dataset, Simulator
from tests.warehouse.pipeline import load, target_config
from tests.warehouse.postgres import Cluster

STREAMS = ("customers", "conversations", "messages", "notes", "tags")
QUERIES = {
    "rows per table": "select 'customers' as t, count(*) from kustomer.customers union all "
                      "select 'conversations', count(*) from kustomer.conversations union all "
                      "select 'messages', count(*) from kustomer.messages union all "
                      "select 'notes', count(*) from kustomer.notes union all "
                      "select 'tags', count(*) from kustomer.tags",
    "messages with their conversation and customer": (
        "select m.id as message, m.channel, c.status, cu.name as customer from kustomer.messages m "
        "join kustomer.conversations c on c.id = m.conversation->>'id' "
        "join kustomer.customers cu on cu.id = m.customer->>'id' order by m.updated_at desc limit 5"),
    "a custom attribute": ("select custom->>'loyalty_tier_str' as loyalty_tier, count(*) from kustomer.customers "
                           "group by 1 order by 2 desc"),
}


def main():
    workdir = Path(tempfile.mkdtemp(prefix="warehouse-demo-"))
    cluster = Cluster().start()
    with Simulator(Dataset.profile("small", seed=7)) as sim:
        catalog = select(discover(workdir, None), STREAMS)
        target = target_config(cluster)
        print("full sync ...")
        state = load(workdir, make_config(sim), catalog, target)
        sim.mutate("conversations", 20)
        print("20 conversations changed; incremental sync ...")
        load(workdir, make_config(sim), catalog, target, state=state)
    for title, sql in QUERIES.items():
        print(f"\n-- {title}\n{sql}")
        for row in cluster.query(sql):
            print("  ", row)
    print(f"\nconnect: psql {cluster.url}")
    print(f"stop:    {cluster.bin / 'pg_ctl'} -D {cluster.data} stop"
          + (f"   (as user {cluster.user}: runuser -u {cluster.user} -- ...)" if cluster.user else "")
          + f"; then rm -rf {cluster.root}")


if __name__ == "__main__":
    main()
