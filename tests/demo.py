"""`make demo`: the bundled simulator, discovery, a full sync, a few live updates, an incremental sync."""
import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from tests.sandbox import Dataset, SimOptions, Simulator
from tests.sandbox.records import render

OUT = Path("demo-output")
TAP = str(Path(sys.executable).with_name("tap-kustomer"))
# The first few schema drift lines of a sync are shown, the rest counted.
DRIFT_LINES_SHOWN = 3


def say(text):
    print(text, flush=True)


def sync(label, config_path, catalog_path, state_path=None):
    """Run the tap, split its records into one JSONL file per stream, keep the last STATE."""
    args = [TAP, "--config", str(config_path), "--catalog", str(catalog_path)]
    if state_path and state_path.exists():
        args += ["--state", str(state_path)]
    started = time.monotonic()
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as tap:
        counts, files, state = Counter(), {}, None
        for line in tap.stdout:
            message = json.loads(line)
            if message["type"] == "RECORD":
                stream = message["stream"]
                if stream not in files:
                    files[stream] = (OUT / f"{stream}.jsonl").open("a", encoding="utf-8")
                files[stream].write(json.dumps(message["record"], ensure_ascii=False) + "\n")
                counts[stream] += 1
            elif message["type"] == "STATE":
                state = message["value"]
        stderr = tap.stderr.read()
    for handle in files.values():
        handle.close()
    if tap.returncode != 0:
        sys.stderr.write(stderr)
        raise SystemExit(f"demo: the {label} sync failed (exit {tap.returncode})")
    (OUT / "state.json").write_text(json.dumps(state, indent=2), encoding="utf-8")
    summary = [line for line in stderr.splitlines() if line.startswith("INFO   ")]
    say(f"\n== {label}: {sum(counts.values()):,} records in {time.monotonic() - started:.1f} s "
        f"(tap's own summary from stderr)")
    for line in summary:
        say("   " + line[len("INFO "):])
    # The tap's warnings say what it could not read (old notes), which the counts alone would leave unexplained,
    # and which values it moved to schema_drift: a few of those show what they look like.
    warnings = [line for line in stderr.splitlines() if line.startswith("WARNING ")]
    drift = [line for line in warnings if line.startswith("WARNING schema drift")]
    for line in [line for line in warnings if line not in drift] + drift[:DRIFT_LINES_SHOWN]:
        say("   " + line)
    if len(drift) > DRIFT_LINES_SHOWN:
        say(f"   ... and {len(drift) - DRIFT_LINES_SHOWN} more schema drift lines")
    return counts


def show_klass_streams(catalog):
    """Print each klass stream with its typed custom columns; {klass name: stream name}."""
    klass_streams = {}
    for entry in catalog["streams"]:
        root = next(item["metadata"] for item in entry["metadata"] if not item["breadcrumb"])
        if "tap-kustomer.klass" in root:
            klass_streams[root["tap-kustomer.klass"]] = entry["tap_stream_id"]
            columns = entry["schema"]["properties"]["custom"]["properties"]
            say(f"  {entry['tap_stream_id']} (klass {root['tap-kustomer.klass']}), custom: "
                + ", ".join(f"{name} {column_type(schema)}" for name, schema in columns.items()))
    if len(klass_streams) < 2:
        raise SystemExit(f"demo: discovery found {len(klass_streams)} klass streams; the simulator has six")
    return klass_streams


def column_type(schema):
    """A custom column's JSON type in a word: `number`, `date-time`, `string[]`, `any`."""
    if "items" in schema:
        return column_type(schema["items"]) + "[]"
    types = [kind for kind in schema.get("type", ()) if kind != "null"]
    return schema.get("format") or "/".join(types) or "any"


def per_klass(dataset, kobjects, klass_streams):
    """{klass stream: {id: updatedAt}}: the org's kobjects split by the klass each one is served as."""
    split = {stream: {} for stream in klass_streams.values()}
    for record in dataset.records["kobjects"]:
        if record.id in kobjects:
            klass = render(dataset, "kobjects", record)["type"][len("kobject."):]
            split[klass_streams[klass]][record.id] = kobjects[record.id]
    return split


def main():
    OUT.mkdir(exist_ok=True)
    for old in OUT.glob("*"):
        old.unlink()
    say("Generating a seeded Kustomer org and starting the simulator on 127.0.0.1 ...")
    dataset = Dataset.profile("demo", seed=7)
    with Simulator(dataset, SimOptions(rate_window_seconds=6, search_limit=100)) as sim:
        config = {"api_token": sim.token, "start_date": "2020-01-01", "base_url": sim.url,
                  "index_lag_seconds": 60}
        config_path = OUT / "config.json"
        config_path.write_text(json.dumps(config, indent=2), encoding="utf-8")
        say(f"Simulator at {sim.url}; config in {config_path}")
        catalog = json.loads(subprocess.run([TAP, "--config", str(config_path), "--discover"], check=True,
                                            capture_output=True, text=True).stdout)
        for entry in catalog["streams"]:
            entry["metadata"][0]["metadata"]["selected"] = True
        catalog_path = OUT / "catalog.json"
        catalog_path.write_text(json.dumps(catalog, indent=2), encoding="utf-8")
        say(f"Discovered {len(catalog['streams'])} streams, all selected: {catalog_path}")
        klass_streams = show_klass_streams(catalog)

        full = sync("full sync", config_path, catalog_path)
        truth = sim.truth()
        say("\nstream                    emitted  in Kustomer")
        truth.update(per_klass(dataset, truth["kobjects"], klass_streams))
        for stream, records in sorted(truth.items()):
            say(f"  {stream:<23} {full[stream]:>8,}  {len(records):>10,}")

        changed = {stream: len(sim.mutate(stream, 5)) for stream in ("customers", "conversations", "users")}
        say(f"\nUpdating records in Kustomer meanwhile: {changed}")
        incremental = sync("incremental sync", config_path, catalog_path, OUT / "state.json")
        say(f"\nIncremental run emitted {dict(incremental)}")
        say(f"Records: {OUT}/<stream>.jsonl   State: {OUT}/state.json")


if __name__ == "__main__":
    main()
