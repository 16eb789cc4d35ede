"""Persistence: where projects live.

>>> import tempfile, pathlib
>>> from annotator.model import LabelClass, LabelSchema
>>> folder = pathlib.Path(tempfile.mkdtemp()) / "p"
>>> schema = LabelSchema("s", (LabelClass("car", "#e6194b", ("box",)),))
>>> create_project(folder, schema, lead="ada").close()
>>> with open_project(folder) as store:
...     store.label_schema.names
('car',)
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

from annotator.errors import ProjectError, StoreError
from annotator.model import LabelSchema
from annotator.store.backend import DB_FILE, Backend, SqliteBackend
from annotator.store.migrations import CURRENT_VERSION
from annotator.store.sql import EditRecord, SqlStore, now

__all__ = [
    "CURRENT_VERSION",
    "DB_FILE",
    "Backend",
    "EditRecord",
    "SqlStore",
    "SqliteBackend",
    "create_project",
    "is_team_url",
    "migrate_project",
    "now",
    "open_project",
]


def _busy_timeout_ms() -> int:
    # Tests and scripts may shorten the wait for a locked project.
    raw = os.environ.get("ANNOTATOR_LOCK_TIMEOUT_MS", "5000")
    return int(raw) if raw.isdigit() else 5000


def is_team_url(location: str | os.PathLike[str]) -> bool:
    return str(location).startswith(("postgresql://", "postgres://"))


def _sqlite_header_ok(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def open_project(location: str | os.PathLike[str], migrate: bool = True) -> SqlStore:
    """Open an existing project folder (or, in team mode, a database URL)."""
    if is_team_url(location):
        return _open_team(str(location), migrate=False)
    folder = Path(location)
    if not folder.exists():
        raise ProjectError(f"{folder}: no such project folder")
    if not folder.is_dir():
        raise ProjectError(f"{folder}: a project is a folder, this is a file")
    db = folder / DB_FILE
    if not db.is_file():
        raise ProjectError(f"{folder}: not an Annotator project (no {DB_FILE}); "
                           "create one with 'annotator init'")
    if not _sqlite_header_ok(db):
        raise ProjectError(f"{db}: not an Annotator project database (not an SQLite file)")
    store = SqlStore(SqliteBackend(folder, _busy_timeout_ms()))
    try:
        store.check_version(migrate=migrate)
    except BaseException:
        store.close()
        raise
    return store


def create_project(
    location: str | os.PathLike[str],
    schema: LabelSchema,
    lead: str,
    version: int = CURRENT_VERSION,
) -> SqlStore:
    """Create a project folder; nothing is left behind if it fails.

    The database is built under a temporary name and renamed into place, so a
    crash mid-way never leaves a half-made ``project.db``.
    """
    if is_team_url(location):
        return _create_team(str(location), schema, lead, version)
    folder = Path(location)
    if (folder / DB_FILE).exists():
        raise ProjectError(f"{folder}: already a project")
    made_folder = not folder.exists()
    tmp = folder / f".{DB_FILE}.creating"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for leftover in folder.glob(f".{DB_FILE}.creating*"):
            leftover.unlink()
        connection = sqlite3.connect(tmp)
        connection.close()
    except OSError as exc:
        raise StoreError(f"{folder}: cannot create the project ({exc.strerror})") from None
    except sqlite3.Error as exc:
        raise StoreError(f"{folder}: cannot create the project ({exc})") from None
    try:
        staging = SqlStore(_StagingBackend(folder, tmp))
        try:
            staging.create(schema, lead, target=version)
            staging._run("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            staging.close()
        os.replace(tmp, folder / DB_FILE)
    except BaseException:
        for leftover in folder.glob(f".{DB_FILE}.creating*"):
            leftover.unlink(missing_ok=True)
        if made_folder:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    return open_project(folder, migrate=False)


class _StagingBackend(SqliteBackend):
    """A SqliteBackend pointed at the temporary file of :func:`create_project`."""

    def __init__(self, folder: Path, path: Path) -> None:
        super().__init__(folder)
        self.path = path
        self.location = str(folder / DB_FILE)


def migrate_project(location: str | os.PathLike[str]) -> SqlStore:
    """Open a project and upgrade its store to this program's version.

    A folder's database is copied first (``backup_path``); on a server the
    upgrade is one transaction, so a failure leaves the old version whole.
    """
    if is_team_url(location):
        return _open_team(str(location), migrate=True)
    return open_project(location, migrate=True)


def _team_backend(url: str) -> Backend:
    # Imported here: psycopg is only loaded by those who use team mode.
    from annotator.store.postgres import PostgresBackend

    return PostgresBackend(url)


def _open_team(url: str, migrate: bool) -> SqlStore:
    store = SqlStore(_team_backend(url))
    try:
        store.check_version(migrate=migrate)
        found = store.version()
        if found < CURRENT_VERSION:
            # Hundreds of clients share the database: none upgrades it as a
            # side effect of opening; a lead does, once, on purpose.
            raise ProjectError(
                f"{store.location}: the project's store is version {found}, this program "
                f"needs {CURRENT_VERSION}; a lead upgrades it with 'annotator migrate URL'")
    except BaseException:
        store.close()
        raise
    return store


def _create_team(url: str, schema: LabelSchema, lead: str, version: int) -> SqlStore:
    from annotator.store.postgres import PostgresBackend

    backend = PostgresBackend(url)
    store = SqlStore(backend)
    try:
        with store.transaction():
            # Checked inside the creating transaction: of two 'init's racing,
            # the second fails on the first's tables and leaves nothing.
            if not backend.is_empty(store._connection):
                raise ProjectError(f"{store.location}: the database is not empty; a project "
                                   "is created in an empty database only")
            store.create(schema, lead, target=version)
    except BaseException:
        store.close()
        raise
    return store
