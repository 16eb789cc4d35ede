"""Finding PostgreSQL's server binaries and a free port, for throwaway servers.

Shared by the team-mode test fixture (tests/core/conftest.py) and the
team-mode benchmarks, which start a :class:`ThrowawayServer` of their own.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

__all__ = ["ThrowawayServer", "free_port", "pg_bindir"]


def pg_bindir() -> Path | None:
    """The folder holding initdb and pg_ctl: PATH first, else Debian's newest version."""
    candidates = []
    found = shutil.which("initdb")
    if found:
        # a symlink into /usr/lib/postgresql/N/bin, not Debian's pg_wrapper
        candidates.append(Path(os.path.realpath(found)).parent)
    candidates += sorted((p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/initdb")),
                         key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
                         reverse=True)
    return next((c for c in candidates
                 if (c / "initdb").is_file() and (c / "pg_ctl").is_file()), None)


def free_port() -> int:
    """A TCP port nobody listens on just now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ThrowawayServer:
    """A PostgreSQL server in a temporary folder, for the team-mode benchmarks.

    Listens on a unix socket in its folder and, with ``tcp``, on
    127.0.0.1 (without TLS).  As root, ``initdb`` and ``pg_ctl`` run as the
    ``postgres`` user, since ``initdb`` refuses root.  The server keeps its
    defaults for durability (``fsync``, ``synchronous_commit``).
    """

    def __init__(self, max_connections: int = 100, tcp: bool = False,
                 prefix: str = "annotator-bench-pg-") -> None:
        bindir = pg_bindir()
        if bindir is None:
            raise SystemExit("no PostgreSQL binaries (initdb, pg_ctl): install Debian's "
                             "'postgresql' package")
        self.bindir = bindir
        self.runas: list[str] = []
        if os.geteuid() == 0:  # initdb refuses to run as root
            try:
                pwd.getpwnam("postgres")
            except KeyError:
                raise SystemExit("running as root and there is no 'postgres' user to run "
                                 "initdb as") from None
            self.runas = ["runuser", "-u", "postgres", "--"]
        self.folder = Path(tempfile.mkdtemp(prefix=prefix))
        if self.runas:
            shutil.chown(self.folder, "postgres")
        self.port = free_port()
        self.max_connections = max_connections
        self.tcp = tcp
        self.started = False

    def start(self) -> None:
        subprocess.run([*self.runas, str(self.bindir / "initdb"), "-D", str(self.folder / "data"),
                        "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C"],
                       check=True, capture_output=True, timeout=180)
        listen = "127.0.0.1" if self.tcp else "''"
        options = (f"-k {self.folder} -p {self.port} -c listen_addresses={listen} "
                   f"-c max_connections={self.max_connections} -c shared_buffers=128MB")
        self.pg_ctl("-o", options, "-l", str(self.folder / "log"), "-w", "start")
        self.started = True

    def url(self, database: str = "postgres") -> str:
        """Over TCP when the server listens there, else over its socket."""
        if self.tcp:
            return f"postgresql://postgres@127.0.0.1:{self.port}/{database}?sslmode=disable"
        return f"postgresql://postgres@/{database}?host={self.folder}&port={self.port}"

    def pg_ctl(self, *args: str) -> None:
        subprocess.run([*self.runas, str(self.bindir / "pg_ctl"), "-D",
                        str(self.folder / "data"), *args],
                       check=True, capture_output=True, timeout=120)

    def stop(self) -> None:
        try:
            if self.started:
                self.pg_ctl("-m", "fast", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
