"""A throwaway PostgreSQL server for the store tests, started only when a test asks.

``pg_server`` runs ``initdb`` and ``pg_ctl`` from the installed binaries
(``/usr/lib/postgresql/*/bin`` or PATH) on a data folder in a temporary
directory, listening on a unix socket in that directory and on a free TCP
port of 127.0.0.1 (without TLS, so tests can check that a TCP URL demands
it).  As root it runs them as the ``postgres`` user, since ``initdb``
refuses root.  Tests that do not use it never start it.
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from annotator.model import LabelSchema
from annotator.project import Project
from tests.conftest import make_images
from tests.pg_server import free_port, pg_bindir


@dataclass
class PgServer:
    bindir: Path
    folder: Path
    port: int
    runas: list[str]
    _names: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def options(self) -> str:
        # fsync stays on: the killed-client test is about what a commit guarantees.
        return (f"-k {self.folder} -p {self.port} -c listen_addresses=127.0.0.1 "
                "-c max_connections=60 -c shared_buffers=32MB")

    def start(self) -> None:
        """Start (or restart after a stop) the server, with the same settings each time."""
        self.pg_ctl("-o", self.options, "-l", str(self.folder / "log"), "-w", "start")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@/{database}?host={self.folder}&port={self.port}"

    def tcp_url(self, database: str, extra: str = "") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}{extra}"

    def new_database(self) -> str:
        import psycopg

        name = f"t{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        return name

    def pg_ctl(self, *args: str) -> None:
        subprocess.run([*self.runas, str(self.bindir / "pg_ctl"), "-D",
                        str(self.folder / "data"), *args],
                       check=True, capture_output=True, timeout=60)


@contextmanager
def running_pg_server() -> Iterator[PgServer]:
    """A new throwaway server, stopped and deleted on leaving (skips without binaries)."""
    bindir = pg_bindir()
    if bindir is None or not (bindir / "initdb").exists():
        pytest.skip("no PostgreSQL binaries (initdb, pg_ctl) on this machine; "
                    "install Debian's 'postgresql' package to run the team-mode tests")
    runas: list[str] = []
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run initdb as")
        runas = ["runuser", "-u", "postgres", "--"]
    folder = Path(tempfile.mkdtemp(prefix="annotator-pg-"))
    if runas:
        shutil.chown(folder, "postgres")
    subprocess.run([*runas, str(bindir / "initdb"), "-D", str(folder / "data"), "-A", "trust",
                    "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C"],
                   check=True, capture_output=True, timeout=120)
    server = PgServer(bindir, folder, free_port(), runas)
    server.start()
    try:
        yield server
    finally:
        try:
            server.pg_ctl("-m", "immediate", "stop")
        finally:
            shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    with running_pg_server() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgres"])
def store_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a new project goes: a folder, or the URL of a fresh empty database."""
    if request.param == "sqlite":
        return str(tmp_path / "proj")
    server: PgServer = request.getfixturevalue("pg_server")
    return server.url(server.new_database())


@pytest.fixture(params=["sqlite", "postgres"])
def project(request: pytest.FixtureRequest, tmp_path: Path, schema: LabelSchema,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    """The shared ``project`` fixture, once in a folder and once on PostgreSQL.

    In team mode there is no project folder, so tmp_path/proj is the media
    root ($ANNOTATOR_MEDIA_ROOT, seen by every reopening and every child
    process): the stored media paths (``media/img_0000.png``) are the same
    on both backends, and so are the tests.
    """
    folder = tmp_path / "proj"
    if request.param == "sqlite":
        created = Project.create(folder, schema, user="lead")
    else:
        server: PgServer = request.getfixturevalue("pg_server")
        folder.mkdir()
        monkeypatch.setenv("ANNOTATOR_MEDIA_ROOT", str(folder))
        created = Project.create(server.url(server.new_database()), schema, user="lead")
    created.import_media(make_images(folder / "media", 3))
    yield created
    created.close()
