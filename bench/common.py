"""Shared by the bench and its peer lane: data sets, measured subprocesses, Singer output, the JSON floor."""
import bisect
import gc
import json
import statistics
import struct
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import orjson

from tests.sandbox import Dataset
from tests.sandbox.catalog import SEARCH_STREAMS
from tests.sandbox.data import HISTORY_DAYS, PROFILES

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "work"
LAUNCHER = ROOT / "bench" / "launch.py"
OUR_TAP = Path(sys.executable).with_name("tap-kustomer")
PEER_PYTHON = ROOT / ".venvs" / "peer" / "bin" / "python"
PEER_WRAPPER = ROOT / "bench" / "peer_wrapper.py"
FLOOR_CHILD = ROOT / "bench" / "floor_child.py"
SEARCH = ("customers", "conversations", "messages", "notes", "kobjects", "companies")
LISTS = ("users", "teams", "tags", "shortcuts", "brands")
STREAM_OF_CONTEXT = dict(SEARCH_STREAMS)
DAY_MS = 86_400_000


def bench_dataset(seed, anchor_ms, factor=1.0, history_days=HISTORY_DAYS):
    """The bench profile with every regular count scaled by `factor`. Tie bursts are kept as they are:
    they shape pages, not volume, and they stay under 500 so the published tap does not loop."""
    spec = PROFILES["bench"]
    counts = {name: max(1, round(count * factor)) for name, count in spec["counts"].items()}
    return Dataset.generate(seed=seed, counts=counts, tie_bursts=spec["tie_bursts"], now=anchor_ms,
                            history_days=history_days)


def start_before_oldest(dataset):
    """Midnight of the day before the oldest record: no empty history for the walk to cross."""
    oldest = min(record.updated for records in dataset.records.values() for record in records)
    day = (oldest // DAY_MS - 1) * DAY_MS
    return datetime.fromtimestamp(day / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Measured:
    exit_code: int = None
    timed_out: bool = False
    wall: float = 0.0
    utime: float = 0.0
    stime: float = 0.0
    maxrss_kb: int = 0

    @property
    def cpu(self):
        return self.utime + self.stime

    @property
    def rss_mb(self):
        return self.maxrss_kb / 1024

    def as_dict(self):
        return dict(asdict(self), cpu=self.cpu, rss_mb=self.rss_mb)


def measured(argv, stdout_path, stderr_path, timeout, cwd=None):
    """Run argv through the launcher; its rusage is the child's alone (see launch.py for why)."""
    report = Path(str(stdout_path) + ".rusage.json")
    report.unlink(missing_ok=True)
    command = [sys.executable, "-I", "-S", str(LAUNCHER), str(report), str(timeout), "--", *map(str, argv)]
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err, \
            subprocess.Popen(command, stdout=out, stderr=err, cwd=cwd) as launcher:
        try:
            launcher.wait(timeout=timeout + 60)
        except subprocess.TimeoutExpired:
            launcher.kill()
    if not report.exists():
        return Measured(exit_code=-1, timed_out=True)
    return Measured(**json.loads(report.read_text(encoding="utf-8")))


@dataclass
class StreamOutput:
    records: int = 0
    latest: dict = field(default_factory=dict)  # id -> updated_at of the last emitted version

    @property
    def duplicates(self):
        return self.records - len(self.latest)


@dataclass
class SingerOutput:
    streams: dict = field(default_factory=dict)
    last_state: dict = None
    bad_lines: int = 0

    def stream(self, name):
        return self.streams.setdefault(name, StreamOutput())

    @property
    def records(self):
        return sum(stream.records for stream in self.streams.values())


def read_singer(path):
    """Every RECORD's stream, id and updated_at, and the last STATE. A torn last line is counted, not fatal."""
    output = SingerOutput()
    with open(path, "rb") as handle:
        for line in handle:
            try:
                message = orjson.loads(line)
            except orjson.JSONDecodeError:
                output.bad_lines += 1
                continue
            kind = message.get("type")
            if kind == "RECORD":
                record = message["record"]
                stream = output.stream(message["stream"])
                stream.records += 1
                stream.latest[record.get("id")] = record.get("updated_at")
            elif kind == "STATE":
                output.last_state = message["value"]
    return output


def instant(value):
    """'...000Z' and '...000000Z' are the same moment; None or junk sorts first."""
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except (AttributeError, ValueError):
        return datetime.min.replace(tzinfo=timezone.utc)


def versus_truth(truth, output, streams):
    """Per stream: how many records exist, and what the tap missed, repeated, left stale or invented."""
    result = {}
    for name in streams:
        expected = truth.get(name, {})
        got = output.streams.get(name, StreamOutput())
        stale = sum(1 for rid, stamp in got.latest.items()
                    if rid in expected and instant(stamp) < instant(expected[rid]))
        result[name] = {"truth": len(expected), "emitted": got.records, "unique": len(got.latest),
                        "duplicates": got.duplicates, "missing": len(set(expected) - set(got.latest)),
                        "stale": stale, "invented": len(set(got.latest) - set(expected))}
    return result


def request_counts(entries):
    """Standard and archive search requests per stream, and the other kinds, from the simulator's journal.
    Both searches spend the search budget; `archive` holds the archive span's requests."""
    search, archive, other, limited = {}, {}, {}, 0
    for entry in entries:
        if entry["status"] == 429:
            limited += 1
        if entry["kind"] in ("search", "archive"):
            counts = search if entry["kind"] == "search" else archive
            stream = STREAM_OF_CONTEXT.get(entry["context"], entry["context"])
            counts[stream] = counts.get(stream, 0) + 1
        else:
            other[entry["kind"]] = other.get(entry["kind"], 0) + 1
    return {"search": search, "archive": archive, "other": other, "total": len(entries), "http_429": limited}


# Search streams whose context archive search does not know: older records are out of every search's reach.
NO_ARCHIVE = ("notes",)


def reachable(truth, edge_ms):
    """The truth without what no search can serve (notes older than the horizon), and how many that is."""
    edge = datetime.fromtimestamp(edge_ms / 1000, timezone.utc)
    kept, dropped = dict(truth), {}
    for name in NO_ARCHIVE:
        if name in truth:
            kept[name] = {rid: stamp for rid, stamp in truth[name].items() if instant(stamp) >= edge}
            dropped[name] = len(truth[name]) - len(kept[name])
    return kept, dropped


def _spans_of(stamps, edge_ms):
    """`stamps` in order, split at the edge: the archive span before it, the standard span from it."""
    edge = datetime.fromtimestamp(edge_ms / 1000, timezone.utc)
    ordered = sorted(instant(stamp) for stamp in stamps)
    split = bisect.bisect_left(ordered, edge)
    return [span for span in (ordered[:split], ordered[split:]) if span]


def span_ideal(stamps, edge_ms, page=500):
    """The fewest requests any walk needs, lossy or not: a response holds at most `page` records and comes from
    one index, so each span takes at least ceil(its records / page). The ideal per stream (one request per
    `page` records of the stream) is below it wherever a stream crosses the horizon."""
    return sum(-(-len(span) // page) for span in _spans_of(stamps, edge_ms))


def keyset_floor(stamps, edge_ms, page=500):
    """The fewest requests a keyset walk needs for records updated at `stamps`, per span (archive search
    before the edge, standard search from it). Each page after a span's first asks `updated_at >=` the
    last stamp the page before showed, so it repeats every record at that stamp the page before showed:
    one record, or the part of a tie that a page boundary cut (ties are in a stable order here; a
    reshuffled one costs more). A tie longer than a page is counted as paged by offset, with no repeat.
    """
    return sum(_span_floor(span, page) for span in _spans_of(stamps, edge_ms))


def _span_floor(ordered, page):
    start, requests = 0, 0
    while True:
        requests += 1
        if start + page >= len(ordered):
            return requests
        tie_start = bisect.bisect_left(ordered, ordered[start + page - 1], start)
        start = tie_start if tie_start > start else start + page


def json_floor(bodies, loads=json.loads, observe=None, passes=1):
    """CPU seconds this thread needs to parse `bodies`, each result dropped at once as a tap would.

    The collector is frozen first: the bench process holds the simulator's whole org, and full
    collections walking that heap would bill the floor for work a lean tap never does (about +70%).
    With several passes each body counts at its fastest, which steadies the floor to a few per cent.
    `observe(index, document)` runs on the first pass, outside the timed part.
    """
    gc.collect()
    gc.freeze()
    clock, best = time.thread_time, [float("inf")] * len(bodies)
    try:
        for number in range(passes):
            for index, body in enumerate(bodies):
                started = clock()
                document = loads(body)
                best[index] = min(best[index], clock() - started)
                if observe is not None and number == 0:
                    observe(index, document)
                del document
        return sum(best)
    finally:
        gc.unfreeze()


def json_floor_fresh(bodies, runs=3):
    """The floor in the tap's own conditions: json.loads once over `bodies` in a fresh interpreter set up
    like the tap (bench/floor_child.py); the median of `runs` such processes, as the machine is noisy."""
    with FloorBodies(bodies) as floor:
        return statistics.median(floor.measure() for _ in range(runs))


class FloorBodies:
    """`bodies` on disk for bench/floor_child.py, so that the floor can be taken again, e.g. beside each of
    several tap runs, without writing them out each time."""

    def __init__(self, bodies):
        self.path = WORK / "floor-bodies.bin"
        with open(self.path, "wb") as handle:
            for body in bodies:
                handle.write(struct.pack("<I", len(body)))
                handle.write(body)

    def measure(self):
        """CPU seconds of one fresh process parsing every body once."""
        return float(subprocess.run([sys.executable, str(FLOOR_CHILD), str(self.path)], capture_output=True,
                                    text=True, check=True, cwd=ROOT).stdout)

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.path.unlink()


def select(catalog, streams):
    """Mark exactly `streams` selected at the stream level; field metadata is left as discovered."""
    catalog = json.loads(json.dumps(catalog))
    for entry in catalog["streams"]:
        chosen = entry["tap_stream_id"] in streams
        for item in entry.get("metadata", []):
            if not item.get("breadcrumb"):
                item.setdefault("metadata", {})["selected"] = chosen
    return catalog


def write_json(path, value):
    Path(path).write_text(json.dumps(value, indent=1), encoding="utf-8")
    return str(path)


def ratio(numerator, denominator):
    if numerator is None or not denominator:
        return None
    return numerator / denominator
