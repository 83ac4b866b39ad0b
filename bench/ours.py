"""Our tap as a measured subprocess against a simulator: one call per sync."""
import json
import subprocess
from dataclasses import dataclass

from .common import OUR_TAP, WORK, Measured, SingerOutput, measured, read_singer, request_counts, select, \
    write_json

# Unthrottled runs lift the tap's own search ceiling too; otherwise it would still pace at 100/min.
UNTHROTTLED = {"search_requests_per_minute": 100_000}


@dataclass
class TapRun:
    label: str
    measured: Measured
    output: SingerOutput
    requests: dict
    entries: list

    @property
    def ok(self):
        return self.measured.exit_code == 0 and not self.measured.timed_out


class OurTap:
    def __init__(self, workdir=WORK / "ours"):
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._catalog = None

    def catalog(self, sim):
        if self._catalog is None:
            config = write_json(self.workdir / "discover-config.json", self.config(sim, "2020-01-01"))
            result = subprocess.run([str(OUR_TAP), "--config", config, "--discover"], capture_output=True,
                                    check=True, timeout=120)
            self._catalog = json.loads(result.stdout)
        return self._catalog

    @staticmethod
    def config(sim, start, **overrides):
        config = {"api_token": sim.token, "start_date": start, "base_url": sim.url, "page_size_limit": 500}
        config.update(overrides)
        return config

    def run(self, label, sim, streams, start, state=None, timeout=900, **overrides):
        """Sync `streams` from `start` (or `state`); the journal slice is what this run alone asked for."""
        paths = {name: self.workdir / f"{label}.{name}" for name in ("config.json", "catalog.json",
                                                                    "state.json", "out.jsonl", "err.txt")}
        argv = [OUR_TAP, "--config", write_json(paths["config.json"], self.config(sim, start, **overrides)),
                "--catalog", write_json(paths["catalog.json"], select(self.catalog(sim), streams))]
        if state is not None:
            argv += ["--state", write_json(paths["state.json"], state)]
        before = len(sim.requests)
        result = measured(argv, paths["out.jsonl"], paths["err.txt"], timeout)
        entries = sim.requests[before:]
        return TapRun(label, result, read_singer(paths["out.jsonl"]), request_counts(entries), entries)

    def stderr_tail(self, label, lines=3):
        path = self.workdir / f"{label}.err.txt"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
