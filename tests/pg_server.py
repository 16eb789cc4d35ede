"""Finding PostgreSQL's server binaries and a free port, for throwaway servers.

Shared by the team-mode test fixture (tests/core/conftest.py) and
benchmarks/bench_team_latency.py, which both start a server of their own.
"""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

__all__ = ["free_port", "pg_bindir"]


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
