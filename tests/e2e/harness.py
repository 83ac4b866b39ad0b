"""Run the real tap-kustomer CLI as a subprocess and read what it printed as Singer messages."""
import json
import os
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from tap_kustomer.timeutil import parse_timestamp

TAP = str(Path(sys.executable).with_name("tap-kustomer"))
SEARCH_STREAMS = ("customers", "conversations", "messages", "notes", "kobjects", "companies")
LIST_STREAMS = ("users", "teams", "tags", "shortcuts", "brands")
ALL_STREAMS = SEARCH_STREAMS + LIST_STREAMS
START_DATE = "2020-01-01T00:00:00Z"


@dataclass
class TapRun:
    returncode: int
    stdout: str
    stderr: str
    messages: list = field(default_factory=list)

    @property
    def records(self):
        return group_records(self.messages)

    @property
    def states(self):
        return [message["value"] for message in self.messages if message["type"] == "STATE"]

    @property
    def last_state(self):
        states = self.states
        return states[-1] if states else None

    def critical_lines(self):
        return [line for line in self.stderr.splitlines() if line.startswith("CRITICAL")]


def group_records(messages):
    grouped = defaultdict(list)
    for message in messages:
        if message["type"] == "RECORD":
            grouped[message["stream"]].append(message["record"])
    return grouped


def parse_messages(text):
    """Every stdout line must be a Singer message; a partial last line (killed mid-write) is dropped."""
    messages = []
    lines = text.split("\n")
    complete, tail = lines[:-1], lines[-1]
    for line in complete:
        message = json.loads(line)
        assert message["type"] in ("SCHEMA", "RECORD", "STATE"), line[:200]
        messages.append(message)
    assert tail == "" or not tail.startswith('{"type":"STATE"') or _is_partial(tail)
    return messages


def _is_partial(tail):
    try:
        json.loads(tail)
    except ValueError:
        return True
    return False


def write_json(path, value):
    path.write_text(json.dumps(value), encoding="utf-8")
    return str(path)


def make_config(sim, **overrides):
    config = {"api_token": sim.token, "start_date": START_DATE, "base_url": sim.url, "index_lag_seconds": 0}
    config.update(overrides)
    return config


def discover(workdir, config):
    """The catalog from the real --discover: the org's, given a config; the static one, offline, given None."""
    args = [TAP, "--discover"] + ([] if config is None else ["--config", write_json(workdir / "config.json", config)])
    result = subprocess.run(args, capture_output=True, text=True, check=True, timeout=60)
    return json.loads(result.stdout)


def select(catalog, streams, deselect_fields=()):
    for entry in catalog["streams"]:
        chosen = entry["tap_stream_id"] in streams
        for item in entry["metadata"]:
            if not item["breadcrumb"]:
                item["metadata"]["selected"] = chosen
            elif item["breadcrumb"][-1] in deselect_fields:
                item["metadata"]["selected"] = False
    return catalog


def run_tap(workdir, config, catalog, state=None, timeout=300, extra_args=(), env=None):
    args = [TAP, "--config", write_json(workdir / "config.json", config),
            "--catalog", write_json(workdir / "catalog.json", catalog)]
    if state is not None:
        args += ["--state", write_json(workdir / "state.json", state)]
    args += list(extra_args)
    result = subprocess.run(args, capture_output=True, text=True, timeout=timeout,
                            env=dict(os.environ, **(env or {})), check=False)
    return TapRun(result.returncode, result.stdout, result.stderr, parse_messages(result.stdout))


def expected(sim):
    """The simulator's ground truth, less what no Kustomer endpoint the tap reads can serve: notes last
    updated before search's horizon (archive search has no note context; the tap warns of them)."""
    truth = sim.truth()
    edge = datetime.fromtimestamp(sim.search_edge() / 1000, timezone.utc)
    truth["notes"] = {rid: stamp for rid, stamp in truth["notes"].items() if normalise_ts(stamp) >= edge}
    return truth


def latest_versions(records):
    """id → the updated_at of its last emitted version, in emission order."""
    latest = {}
    for record in records:
        latest[record["id"]] = record["updated_at"]
    return latest


def duplicates(records):
    return sum(count - 1 for count in Counter(record["id"] for record in records).values())


def normalise_ts(value):
    """Compare timestamps as instants: '...000Z' and '...000000Z' are the same moment."""
    return parse_timestamp(value)


def missing_or_stale(truth, records_by_stream, streams):
    """Per stream: ids the tap never emitted, and ids whose last emitted version is older than the truth."""
    problems = {}
    for stream in streams:
        want = truth[stream]
        got = latest_versions(records_by_stream.get(stream, []))
        missing = sorted(set(want) - set(got))
        stale = sorted(rid for rid in set(want) & set(got) if normalise_ts(got[rid]) < normalise_ts(want[rid]))
        invented = sorted(set(got) - set(want))
        if missing or stale or invented:
            problems[stream] = {"missing": missing[:10], "missing_count": len(missing), "stale": stale[:10],
                                "stale_count": len(stale), "invented": invented[:10]}
    return problems


def assert_complete(truth, records_by_stream, streams):
    problems = missing_or_stale(truth, records_by_stream, streams)
    assert not problems, problems
