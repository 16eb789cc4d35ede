"""What differs between database engines, and nothing else.

:class:`~annotator.store.sql.SqlStore` writes portable SQL with ``?``
placeholders and ``{pk}``-style type names in its DDL; a :class:`Backend`
connects, translates placeholders and types, opens write transactions the
way its engine prefers, and turns the engine's exceptions into one-line
:class:`~annotator.errors.StoreError` messages.  A PostgreSQL backend (team
mode) implements the same class without touching any caller.
"""

from __future__ import annotations

import sqlite3
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar

from annotator.errors import AnnotatorError, ConflictError, ProjectError, StoreError

__all__ = ["DB_FILE", "Backend", "Retryable", "SqliteBackend"]

DB_FILE = "project.db"


class Retryable(ConflictError):
    """The engine undid a transaction that overlapped another; running it again is safe."""


class Backend(ABC):
    """Engine-specific connection handling for :class:`SqlStore`."""

    #: How often a write method is re-run after a :class:`Retryable` failure.
    retries: int = 0

    #: Substitutions for the ``{name}`` markers in migration DDL.
    types: ClassVar[dict[str, str]]
    #: Which engine's ``(dialect, sql)`` migration statements run here.
    dialect: ClassVar[str] = "sqlite"
    #: Human name of the database, used in error messages.
    location: str
    #: A query counting the tables called ``?`` (catalogues differ by engine).
    table_exists_sql: str

    @abstractmethod
    def connect(self) -> Any:
        """Open a DB-API connection in autocommit mode."""

    @abstractmethod
    def begin(self, connection: Any) -> None:
        """Start a write transaction."""

    def is_broken(self, connection: Any) -> bool:
        """Whether ``connection`` was lost (a server went away) and must be replaced."""
        return False

    def begin_read(self, connection: Any) -> None:
        """Start a read-only transaction that sees one consistent snapshot."""
        connection.execute("BEGIN")

    def sql(self, statement: str) -> str:
        """Translate a portable statement (``?`` placeholders) for this engine."""
        return statement

    def execute_binary(self, connection: Any, statement: str, params: tuple[Any, ...]) -> Any:
        """Run a translated statement whose results come back in binary wire format.

        SQLite has no wire; a server that sends text by default (PostgreSQL
        writes BYTEA as hex, twice its bytes) overrides this.
        """
        return connection.execute(statement, params)

    @abstractmethod
    def translate(self, exc: Exception) -> AnnotatorError | None:
        """A one-line error for a database exception, or None if not ours to explain."""

    @property
    @abstractmethod
    def errors(self) -> tuple[type[Exception], ...]:
        """The engine's exception classes that :meth:`translate` understands."""

    def lock_schema(self, connection: Any) -> None:  # noqa: B027 - most engines need nothing
        """In a write transaction: keep every other writer out until it ends.

        SQLite's write transactions exclude each other already.
        """

    def backup(self, connection: Any, suffix: str) -> str | None:
        """Copy the database before a migration; returns where, if anywhere."""
        return None


class SqliteBackend(Backend):
    """A project folder holding ``project.db``: WAL, foreign keys, full sync.

    ``synchronous=FULL`` makes each commit durable on power loss, not only on
    a killed process: a teleworker's laptop battery may die mid-batch.
    """

    types: ClassVar[dict[str, str]] = {
        "pk": "INTEGER PRIMARY KEY",
        "real": "REAL",
        "bigint": "INTEGER",
        "blob": "BLOB",
    }
    table_exists_sql = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?"

    def __init__(self, folder: Path, busy_timeout_ms: int = 5000) -> None:
        self.folder = folder
        self.path = folder / DB_FILE
        self.location = str(self.path)
        self.busy_timeout_ms = busy_timeout_ms

    def connect(self) -> sqlite3.Connection:
        try:
            connection = sqlite3.connect(
                self.path,
                isolation_level=None,
                timeout=self.busy_timeout_ms / 1000,
                check_same_thread=False,
            )
            connection.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
            connection.execute("PRAGMA foreign_keys = ON")
            self._refuse_foreign(connection)
            mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            connection.execute("PRAGMA synchronous = FULL")
        except sqlite3.Error as exc:
            raise self.translate(exc) or StoreError(f"{self.path}: {exc}") from None
        if str(mode).lower() != "wal":
            # WAL cannot be entered on a read-only folder; reading still works.
            connection.execute("PRAGMA query_only = ON")
        return connection

    def _refuse_foreign(self, connection: sqlite3.Connection) -> None:
        # Someone else's SQLite file must not even be switched to WAL: check
        # before the first statement that writes.
        tables = {r[0] for r in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if tables and "meta" not in tables:
            connection.close()
            raise ProjectError(f"{self.path}: not an Annotator project database "
                               "(an SQLite file of another program)")

    def begin(self, connection: Any) -> None:
        # IMMEDIATE takes the write lock up front, so two writers queue on
        # busy_timeout instead of failing half-way through a transaction.
        connection.execute("BEGIN IMMEDIATE")

    @property
    def errors(self) -> tuple[type[Exception], ...]:
        return (sqlite3.Error,)

    def translate(self, exc: Exception) -> AnnotatorError | None:
        if not isinstance(exc, sqlite3.Error):
            return None
        text = str(exc)
        lowered = text.lower()
        where = self.location
        if "locked" in lowered or "busy" in lowered:
            return StoreError(f"{where}: the project is locked by another process; "
                              "try again when it has finished")
        if "readonly" in lowered or "read-only" in lowered or "query_only" in lowered:
            return StoreError(f"{where}: the project is read-only; "
                              "check the folder's permissions")
        if "disk is full" in lowered or "disk full" in lowered:
            return StoreError(f"{where}: the disk is full; nothing was changed")
        if "not a database" in lowered or "malformed" in lowered:
            return ProjectError(f"{where}: not an Annotator project database ({text})")
        if "unable to open" in lowered:
            return StoreError(f"{where}: cannot open the project database ({text})")
        if isinstance(exc, sqlite3.IntegrityError):
            return StoreError(f"{where}: refused by the project's integrity rules ({text})")
        return StoreError(f"{where}: database error ({text})")

    def backup(self, connection: Any, suffix: str) -> str:
        target = self.path.with_name(f"{DB_FILE}.{suffix}.bak")
        try:
            with sqlite3.connect(target) as copy:
                connection.backup(copy)
            copy.close()
        except sqlite3.Error as exc:
            raise self.translate(exc) or StoreError(str(exc)) from None
        return str(target)
