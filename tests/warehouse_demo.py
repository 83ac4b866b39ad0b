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
    "typed custom attributes, flattened (numeric, boolean, timestamp columns)": (
        "select custom__loyalty_tier_str as loyalty_tier, count(*), "
        "round(avg(custom__lifetime_value_num), 2) as avg_lifetime_value, "
        "count(*) filter (where custom__vip_bool) as vip, max(custom__last_order_at) as last_order "
        "from kustomer_flat.customers group by 1 order by 2 desc"),
    "a klass stream (custom object `order`)": (
        "select custom__order_status_str as status, count(*), sum(custom__total_price_num) as total_price "
        "from kustomer_flat.kobjects_order group by 1 order by 2 desc"),
}
# Flattened one level into a schema of their own: each custom attribute a column of its metadata's type.
FLAT_STREAMS = ("customers", "kobjects_order")


def main():
    workdir = Path(tempfile.mkdtemp(prefix="warehouse-demo-"))
    cluster = Cluster().start()
    with Simulator(Dataset.profile("small", seed=7)) as sim:
        # Discovered from the org: a stream per klass, and custom blocks typed from the org's metadata.
        discovered = discover(workdir, make_config(sim))
        target = target_config(cluster)
        print("full sync ...")
        state = load(workdir, make_config(sim), select(discovered, STREAMS), target)
        sim.mutate("conversations", 20)
        print("20 conversations changed; incremental sync ...")
        load(workdir, make_config(sim), select(discovered, STREAMS), target, state=state)
        print(f"{', '.join(FLAT_STREAMS)} flattened one level into kustomer_flat ...")
        load(workdir, make_config(sim), select(discovered, FLAT_STREAMS),
             target_config(cluster, default_target_schema="kustomer_flat", flattening_enabled=True,
                           flattening_max_depth=1))
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
