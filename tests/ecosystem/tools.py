"""Paths to the real ecosystem tools, a README reader, shell pipelines, and a stand-in for Stitch's import API."""
import json
import os
import re
import shlex
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
TAP_BIN = Path(sys.executable).parent
TAP = TAP_BIN / "tap-kustomer"
VENVS = ROOT / ".venvs"
MELTANO = VENVS / "meltano" / "bin" / "meltano"
TARGET_JSONL = VENVS / "target-jsonl" / "bin" / "target-jsonl"
TARGET_STITCH = VENVS / "target-stitch" / "bin" / "target-stitch"
SINGER_CHECK_TAP = VENVS / "singer-tools" / "bin" / "singer-check-tap"
# The state ID Meltano gives `meltano run tap-kustomer target-jsonl` in the dev environment.
STATE_ID = "dev:tap-kustomer-to-target-jsonl"


def require(*tools):
    """Fail, not skip: a missing venv would otherwise let the pipelines go untested without anyone noticing."""
    missing = [str(tool) for tool in tools if not Path(tool).exists()]
    if missing:
        pytest.fail(f"missing {', '.join(missing)}: run `make ecosystem` (`make test` builds them too)")


def base_env(**extra):
    env = dict(os.environ, MELTANO_SEND_ANONYMOUS_USAGE_STATS="false", PYTHONDONTWRITEBYTECODE="1")
    # The tap's own venv first, so README commands such as `tap-kustomer` resolve the way they do for a user.
    env["PATH"] = f"{TAP_BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


def run_bash(script, cwd, env=None, timeout=300):
    """Run a shell script the way a user's terminal would, but stop at the first failing command or pipe stage."""
    return subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=cwd, env=env or base_env(),
                          capture_output=True, text=True, timeout=timeout, check=False)


def pipe(workdir, config_path, catalog_path, target_args, env=None, timeout=300):
    """tap | tee tap.out | target, each with its own stderr file; returns (result, tap messages, target stdout)."""
    script = (f"{shlex.quote(str(TAP))} --config {shlex.quote(str(config_path))} "
              f"--catalog {shlex.quote(str(catalog_path))} 2> tap.err | tee tap.out "
              f"| {' '.join(shlex.quote(str(arg)) for arg in target_args)} 2> target.err > target.out")
    result = run_bash(script, workdir, env, timeout)
    detail = "\n".join(f"--- {name}\n{(workdir / name).read_text()[-3000:]}" for name in ("tap.err", "target.err")
                       if (workdir / name).exists())
    assert result.returncode == 0, f"pipeline failed (rc {result.returncode}): {result.stderr}\n{detail}"
    messages = json_lines((workdir / "tap.out").read_text(encoding="utf-8"))
    return messages, (workdir / "target.out").read_text()


def last_state(messages):
    states = [message["value"] for message in messages if message["type"] == "STATE"]
    assert states, "the tap wrote no STATE"
    return states[-1]


def json_lines(text):
    # Not splitlines(): a target may write U+2028 unescaped inside a string, and splitlines() breaks lines there.
    return [json.loads(line) for line in text.split("\n") if line.strip()]


def read_jsonl(path):
    return json_lines(Path(path).read_text(encoding="utf-8"))


# ---- README ------------------------------------------------------------------------------------------------

FENCE = re.compile(r"^```(\w*)[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)


def readme_text():
    return README.read_text(encoding="utf-8")


def fenced_blocks(language, text=None):
    return [match.group(2) for match in FENCE.finditer(text or readme_text()) if match.group(1) == language]


def section(title, text=None):
    """The body of a `## title` section, up to the next `## `."""
    text = text or readme_text()
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert match, f"README has no '## {title}' section"
    return match.group(1)


def _complete(text):
    """A command ends where its quotes are closed and it does not continue with \\, | or &&."""
    try:
        tokens = shlex.split(text, comments=True)
    except ValueError:
        return False
    stripped = text.rstrip()
    return not stripped.endswith("\\") and (not tokens or tokens[-1] not in ("|", "&&", "||"))


def split_commands(block):
    """Logical shell commands of a block: comment lines dropped, continued and multi-line quoted lines joined."""
    commands, pending = [], ""
    for line in block.splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending = f"{pending}\n{line}" if pending else line
        if _complete(pending):
            commands.append(pending)
            pending = ""
    assert not pending, f"unterminated command in a README bash block: {pending!r}"
    return commands


def command_key(command):
    """A command's first line without its trailing comment or continuation: short, and stable across edits
    to a long body (the body is still run verbatim by whichever test claims the key)."""
    first = command.splitlines()[0]
    first = re.sub(r"\s+#.*$", "", first).rstrip().rstrip("\\").rstrip()
    return re.sub(r"\s+", " ", first)


def readme_commands():
    """[(block index, block text, command key)] for every command of every ```bash block, in README order."""
    found = []
    for index, block in enumerate(fenced_blocks("bash")):
        found.extend((index, block, command_key(command)) for command in split_commands(block))
    return found


# ---- a stand-in for Stitch's import API --------------------------------------------------------------------

class StitchGate:
    """Accepts target-stitch's batch POSTs on 127.0.0.1 the way Stitch does (2xx + JSON) and keeps the bodies."""

    def __init__(self):
        self.batches = []
        self.tokens = set()
        gate = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # pylint: disable=invalid-name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                gate.batches.append(json.loads(body))
                gate.tokens.add(self.headers.get("Authorization"))
                reply = b'{"status": "ok", "message": "Batch accepted"}'
                self.send_response(201)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v2/import/batch"
        self.thread = threading.Thread(target=self.server.serve_forever, name="stitch-gate", daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def records(self):
        """{table: [record, ...]} of every upsert received, in arrival order."""
        grouped = {}
        for batch in self.batches:
            for message in batch["messages"]:
                if message["action"] == "upsert":
                    grouped.setdefault(batch["table_name"], []).append(message["data"])
        return grouped
