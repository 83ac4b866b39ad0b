"""tap-kustomer | target-postgres, both real CLIs; the target's last STATE is what a resume starts from."""
import json
import os
import signal
import subprocess
from pathlib import Path

from tests.e2e.harness import TAP, write_json

ROOT = Path(__file__).resolve().parents[2]
TARGET = ROOT / ".venvs" / "target-postgres" / "bin" / "target-postgres"
SCHEMA = "kustomer"


def target_config(cluster, **overrides):
    """The settings the README names: upsert on `id` so a record read twice stays one row, COPY for speed."""
    config = {"sqlalchemy_url": cluster.sqlalchemy_url, "default_target_schema": SCHEMA,
              "load_method": "upsert", "use_copy": True, "validate_records": False}
    config.update(overrides)
    return config


def load(workdir, tap_config, catalog, target_cfg, state=None, kill_after_records=None):
    """Runs the pipe; returns the target's last STATE. With kill_after_records, the tap is SIGKILLed
    once that many RECORD lines have passed, and the target then ends on its input's end, as under a
    crashed orchestrator."""
    if not TARGET.exists():
        raise RuntimeError(f"missing {TARGET}: run `make ecosystem`")
    args = [TAP, "--config", write_json(workdir / "tap.json", tap_config),
            "--catalog", write_json(workdir / "catalog.json", catalog)]
    if state is not None:
        args += ["--state", write_json(workdir / "state.json", state)]
    target_log = open(workdir / "target.log", "ab")  # pylint: disable=consider-using-with
    with target_log, subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL) as tap, \
            subprocess.Popen([str(TARGET), "--config", write_json(workdir / "target.json", target_cfg)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=target_log) as target:
        records = 0
        for line in tap.stdout:
            target.stdin.write(line)
            if line.startswith(b'{"type":"RECORD"'):
                records += 1
                if kill_after_records is not None and records >= kill_after_records:
                    os.kill(tap.pid, signal.SIGKILL)
                    break
        target.stdin.close()
        output = target.stdout.read().decode()
        tap.wait(timeout=60)
        if target.wait(timeout=300) != 0:
            raise AssertionError((workdir / "target.log").read_text(errors="replace")[-3000:])
    if kill_after_records is None and tap.returncode != 0:
        raise AssertionError(f"tap exited {tap.returncode}")
    states = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    return states[-1] if states else None
