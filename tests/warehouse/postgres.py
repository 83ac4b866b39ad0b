"""A throwaway PostgreSQL cluster on 127.0.0.1: its own data folder and free port, never a system cluster.

PostgreSQL refuses to run as root, so as root the server runs as an unprivileged user of its own,
created here when it does not exist yet (CI runs as root on a fresh machine).
"""
import glob
import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

SERVER_USER = "tapkustomer-pg"
SUPERUSER = "postgres"


def pg_bin():
    """The newest installed PostgreSQL's binaries (`make warehouse` installs them where missing)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    if not found:
        raise RuntimeError("no PostgreSQL under /usr/lib/postgresql: run `make warehouse` (apt-get install postgresql)")
    return Path(found[-1]).parent


def _server_user():
    """None when not root (the server runs as the caller), else the unprivileged user to run it as."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SERVER_USER)
        return SERVER_USER
    except KeyError:
        pass
    result = subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                             SERVER_USER], capture_output=True, text=True, check=False)
    # 9: created meanwhile by a parallel run, which is as good.
    if result.returncode not in (0, 9):
        raise RuntimeError(f"useradd {SERVER_USER} failed: {result.stderr.strip()}")
    return SERVER_USER


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Cluster:
    """initdb + pg_ctl start in a temporary folder; stop() stops it and removes the folder."""

    def __init__(self, root=None):
        self.bin = pg_bin()
        self.user = _server_user()
        self.root = Path(root or tempfile.mkdtemp(prefix="tap-kustomer-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.started = False

    @property
    def url(self):
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/postgres"

    @property
    def sqlalchemy_url(self):
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/postgres"

    def _as_server(self, args):
        user = {"user": self.user} if self.user else {}
        subprocess.run([str(self.bin / args[0]), *args[1:]], check=True, capture_output=True, text=True,
                       cwd=self.root, timeout=120, **user)

    def start(self):
        if self.user:
            shutil.chown(self.root, self.user)
        self._as_server(["initdb", "-D", str(self.data), "-A", "trust", "-U", SUPERUSER, "-E", "UTF8",
                         "--no-locale"])
        # Durability is not what these tests check; without fsync a load runs several times faster.
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories='' "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c timezone=UTC")
        self._as_server(["pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-o", options,
                         "-w", "-t", "60", "start"])
        self.started = True
        return self

    def stop(self):
        try:
            if self.started:
                self._as_server(["pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop"])
                self.started = False
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def query(self, sql):
        """Rows of a query as lists of strings (NULL as None), through psql."""
        result = subprocess.run([str(self.bin / "psql"), self.url, "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1",
                                 "-c", f"select coalesce(json_agg(q), '[]') from ({sql}) q"],
                                capture_output=True, text=True, check=True, timeout=120)
        return json.loads(result.stdout)
