"""The project store: portable SQL over a :class:`Backend`.

The store is the single source of truth.  Each public method that writes is
one transaction unless the caller has opened a wider one with
:meth:`SqlStore.transaction` (the command stack does, so an edit and its
undo-log entry commit together).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Concatenate, ParamSpec, TypeVar

from annotator.errors import AnnotatorError, ProjectError, StoreError
from annotator.model import (
    Annotation,
    Batch,
    BatchState,
    HistoryEntry,
    Item,
    LabelSchema,
    ReviewComment,
    Role,
    User,
    geometry_from_json,
)
from annotator.schema import parse_schema
from annotator.store.backend import Backend, Retryable
from annotator.store.migrations import CURRENT_VERSION, MIGRATIONS

__all__ = ["EditRecord", "Retryable", "SqlStore", "now", "retrying"]

_P = ParamSpec("_P")
_R = TypeVar("_R")


def retrying(method: Callable[Concatenate[SqlStore, _P], _R]
             ) -> Callable[Concatenate[SqlStore, _P], _R]:
    """Re-run a one-transaction write method the engine aborted for overlapping another.

    SQLite never aborts (its writers queue on the lock); a server that runs
    writers in parallel does, and re-running the whole method is how its
    caller "waits".  Inside a wider transaction the failure goes up to the
    code that opened it, since only that code can run it again.
    """
    def wrapper(self: SqlStore, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        return self.retry(lambda: method(self, *args, **kwargs))
    functools.update_wrapper(wrapper, method)
    return wrapper

_ITEM_COLUMNS = (
    "id, path, kind, format, encoding, sha256, size_bytes, width, height, points, fields, "
    "crs, origin_x, origin_y, origin_z, added_at"
)
_ANNOTATION_COLUMNS = (
    "id, item_id, label, geometry, attributes, links, z, author, created_at, updated_at, "
    "revision, hidden, locked"
)
_BATCH_COLUMNS = (
    "b.id, b.name, b.state, b.assignee, b.reviewer, b.created_at, b.updated_at, "
    "(SELECT COUNT(*) FROM batch_items bi WHERE bi.batch_id = b.id)"
)


def now() -> str:
    """UTC time as ISO 8601 with milliseconds; sorts as text in every engine."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


class EditRecord:
    """One row of the persistent undo log."""

    __slots__ = ("label", "payload", "seq", "state", "user")

    def __init__(self, seq: int, user: str, label: str, payload: str, state: str) -> None:
        self.seq, self.user, self.label, self.payload, self.state = seq, user, label, payload, state


class SqlStore:
    """Project persistence, identical for every backend."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self._connection = backend.connect()
        self._depth = 0
        self._schema: LabelSchema | None = None
        self.migrated_from: int | None = None
        self.backup_path: str | None = None

    # -- connection and transactions ------------------------------------

    @property
    def location(self) -> str:
        return self.backend.location

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def __enter__(self) -> SqlStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _reconnect_if_lost(self) -> None:
        """Outside a transaction: replace a connection the server dropped.

        A client that lost its server (a restart, a network outage) works
        again at its next transaction once the server answers; inside a
        transaction the loss goes up, since that transaction is gone.
        """
        if self._depth or self._connection is None:
            return
        if self.backend.is_broken(self._connection):
            try:
                self._connection.close()
            except self.backend.errors:
                pass
            self._connection = self.backend.connect()

    @property
    def connected(self) -> bool:
        """False once the server dropped the connection (until the next reconnect)."""
        return self._connection is not None and not self.backend.is_broken(self._connection)

    def _run(self, statement: str, params: Sequence[Any] = (), binary: bool = False) -> Any:
        if self._connection is None:
            raise StoreError(f"{self.location}: the project is closed")
        self._reconnect_if_lost()
        try:
            if binary:
                return self.backend.execute_binary(self._connection, self.backend.sql(statement),
                                                   tuple(params))
            return self._connection.execute(self.backend.sql(statement), tuple(params))
        except self.backend.errors as exc:
            raise self.backend.translate(exc) or StoreError(str(exc)) from None

    def _run_many(self, statement: str, rows: Iterable[Sequence[Any]]) -> None:
        try:
            self._connection.executemany(self.backend.sql(statement), rows)
        except self.backend.errors as exc:
            raise self.backend.translate(exc) or StoreError(str(exc)) from None

    # Fetching inside the try: a server may send a statement's error with
    # its rows rather than when it runs.
    def _one(self, statement: str, params: Sequence[Any] = ()) -> Any:
        cursor = self._run(statement, params)
        try:
            return cursor.fetchone()
        except self.backend.errors as exc:
            raise self.backend.translate(exc) or StoreError(str(exc)) from None

    def _all(self, statement: str, params: Sequence[Any] = ()) -> list[Any]:
        cursor = self._run(statement, params)
        try:
            return list(cursor.fetchall())
        except self.backend.errors as exc:
            raise self.backend.translate(exc) or StoreError(str(exc)) from None

    @contextmanager
    def transaction(self) -> Iterator[SqlStore]:
        """All writes inside commit together or not at all; nesting joins the outer one."""
        if self._depth:
            self._depth += 1
            try:
                yield self
            finally:
                self._depth -= 1
            return
        if self._connection is None:
            raise StoreError(f"{self.location}: the project is closed")
        self._reconnect_if_lost()
        try:
            self.backend.begin(self._connection)
        except self.backend.errors as exc:
            raise self.backend.translate(exc) or StoreError(str(exc)) from None
        self._depth = 1
        try:
            yield self
        except BaseException:
            self._depth = 0
            self._rollback()
            raise
        self._depth = 0
        try:
            done = self._connection.execute("COMMIT")
        except self.backend.errors as exc:
            self._rollback()
            raise self.backend.translate(exc) or StoreError(str(exc)) from None
        if getattr(done, "statusmessage", None) == "ROLLBACK":
            # PostgreSQL answers COMMIT with ROLLBACK when a statement of the
            # transaction failed and the code went on after catching it:
            # none of it was saved, and the caller must not believe otherwise.
            raise StoreError(f"{self.location}: an earlier step of this change was refused; "
                             "nothing of it was saved")

    @contextmanager
    def snapshot(self) -> Iterator[SqlStore]:
        """Reads inside see one consistent state, without blocking writers (WAL).

        Exports read 100,000 items page by page; an annotator saving meanwhile
        must neither wait for the export nor tear it in half.
        """
        if self._depth:
            yield self
            return
        if self._connection is None:
            raise StoreError(f"{self.location}: the project is closed")
        self._reconnect_if_lost()
        try:
            self.backend.begin_read(self._connection)
        except self.backend.errors as exc:
            raise self.backend.translate(exc) or StoreError(str(exc)) from None
        self._depth = 1
        try:
            yield self
        finally:
            self._depth = 0
            self._rollback()

    def retry(self, work: Callable[[], _R]) -> _R:
        """Run ``work`` (one whole transaction), again if the engine aborts it as overlapping.

        Only when no transaction is open: inside one, the failure goes up to
        the code that opened it, since only that code can run it again.
        """
        attempt = 0
        while True:
            outermost = self._depth == 0
            try:
                return work()
            except Retryable:
                attempt += 1
                if not outermost or attempt > self.backend.retries:
                    raise
                # jitter, so the writers that collided do not collide again
                time.sleep(random.uniform(0, 0.005 * 2 ** min(attempt, 6)))  # noqa: S311

    def _rollback(self) -> None:
        if self.backend.is_broken(self._connection):
            return  # nothing to roll back on a connection the server dropped
        try:
            self._connection.execute("ROLLBACK")
        except self.backend.errors:
            pass  # the engine already rolled back (disk full, I/O error)

    # -- schema versions ---------------------------------------------------

    def _table_exists(self, name: str) -> bool:
        return bool(self._one(self.backend.table_exists_sql, (name,))[0])

    def version(self) -> int:
        if not self._table_exists("meta"):
            return 0
        row = self._one("SELECT value FROM meta WHERE key = 'store_version'")
        return int(row[0]) if row else 0

    def create(self, schema: LabelSchema, lead: str, target: int = CURRENT_VERSION) -> None:
        """Lay out an empty project: tables, the label schema and its first lead."""
        with self.transaction():
            self._migrate(0, target)
            stamp = now()
            self._run("INSERT INTO meta (key, value) VALUES ('created_at', ?)", (stamp,))
            self._run("INSERT INTO meta (key, value) VALUES ('label_schema', ?)",
                      (_dumps(schema.to_json()),))
            self._run("INSERT INTO users (name, role, created_at) VALUES (?, ?, ?)",
                      (lead, Role.LEAD.value, stamp))
        self._schema = schema

    def check_version(self, migrate: bool = True) -> None:
        """Refuse a newer store; migrate an older one after a backup."""
        found = self.version()
        if found == 0:
            raise ProjectError(f"{self.location}: not an Annotator project database")
        if found > CURRENT_VERSION:
            raise ProjectError(
                f"{self.location}: written by a newer Annotator (store version {found}, "
                f"this program knows up to {CURRENT_VERSION}); please update Annotator"
            )
        if found < CURRENT_VERSION and migrate:
            self.backup_path = self.backend.backup(
                self._connection, f"v{found}-{now().replace(':', '')}"
            )
            with self.transaction():
                # Of two clients upgrading at once, the second waits here and
                # then finds nothing left to do.
                self.backend.lock_schema(self._connection)
                found = self.version()
                if found < CURRENT_VERSION:
                    self._migrate(found, CURRENT_VERSION)
                    self.migrated_from = found

    def _migrate(self, current: int, target: int) -> None:
        for version in range(current + 1, target + 1):
            for statement in MIGRATIONS[version - 1]:
                if isinstance(statement, tuple):
                    dialect, statement = statement
                    if dialect != self.backend.dialect:
                        continue
                self._run(statement.format(**self.backend.types))
        if current == 0:
            self._run("INSERT INTO meta (key, value) VALUES ('store_version', ?)", (str(target),))
        else:
            self._run("UPDATE meta SET value = ? WHERE key = 'store_version'", (str(target),))

    def get_meta(self, key: str) -> str | None:
        row = self._one("SELECT value FROM meta WHERE key = ?", (key,))
        return row[0] if row else None

    @retrying
    def set_meta(self, key: str, value: str) -> None:
        with self.transaction():
            self._run(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    # -- label schema --------------------------------------------------------

    @property
    def label_schema(self) -> LabelSchema:
        if self._schema is None:
            raw = self.get_meta("label_schema")
            if raw is None:
                raise ProjectError(f"{self.location}: the project has no label schema")
            try:
                self._schema = parse_schema(json.loads(raw), f"{self.location} (label schema)")
            except (ValueError, AnnotatorError) as exc:
                raise ProjectError(
                    f"{self.location}: stored label schema is damaged ({exc})") from None
        return self._schema

    def set_label_schema(self, schema: LabelSchema) -> None:
        self.set_meta("label_schema", _dumps(schema.to_json()))
        self._schema = schema

    # -- users -----------------------------------------------------------------

    def get_user(self, name: str) -> User | None:
        row = self._one("SELECT name, role FROM users WHERE name = ?", (name,))
        return User(row[0], Role(row[1])) if row else None

    @retrying
    def ensure_user(self, name: str, role: Role = Role.ANNOTATOR) -> User:
        """The user called ``name``, registered with ``role`` if new."""
        existing = self.get_user(name)
        if existing:
            return existing
        with self.transaction():
            self._run(
                "INSERT INTO users (name, role, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO NOTHING",
                (name, role.value, now()),
            )
        user = self.get_user(name)
        assert user is not None
        return user

    @retrying
    def set_role(self, name: str, role: Role) -> User:
        with self.transaction():
            self.ensure_user(name, role)
            self._run("UPDATE users SET role = ? WHERE name = ?", (role.value, name))
        return User(name, role)

    def list_users(self) -> list[User]:
        rows = self._all("SELECT name, role FROM users ORDER BY name")
        return [User(n, Role(r)) for n, r in rows]

    # -- items -------------------------------------------------------------------

    @staticmethod
    def _item(row: Sequence[Any]) -> Item:
        origin = None if row[12] is None else (float(row[12]), float(row[13]), float(row[14]))
        return Item(
            id=row[0], path=row[1], kind=row[2], format=row[3], encoding=row[4], sha256=row[5],
            size_bytes=row[6], width=row[7], height=row[8], points=row[9],
            fields=tuple(json.loads(row[10])), crs=row[11], origin=origin, added_at=row[15],
        )

    @retrying
    def add_items(self, items: Sequence[Item]) -> list[int]:
        """Register items in one transaction; a duplicate path refuses them all."""
        stamp = now()
        rows = [
            (
                it.path, it.kind, it.format, it.encoding, it.sha256, it.size_bytes, it.width,
                it.height, it.points, _dumps(list(it.fields)), it.crs,
                *(it.origin if it.origin else (None, None, None)), it.added_at or stamp,
            )
            for it in items
        ]
        with self.transaction():
            paths = [it.path for it in items]
            duplicate = self._first_existing_path(paths)
            if duplicate:
                raise StoreError(f"{duplicate}: already in the project")
            first = self._one("SELECT COALESCE(MAX(id), 0) FROM items")[0]
            self._run_many(
                f"INSERT INTO items ({_ITEM_COLUMNS.removeprefix('id, ')}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            ids = [r[0] for r in self._all("SELECT id FROM items WHERE id > ? ORDER BY id",
                                           (first,))]
        return ids

    def _first_existing_path(self, paths: Sequence[str]) -> str | None:
        seen: set[str] = set()
        for path in paths:
            if path in seen:
                return path
            seen.add(path)
        existing = self.existing_paths(paths)
        return next((p for p in paths if p in existing), None)

    def existing_paths(self, paths: Sequence[str]) -> set[str]:
        """Which of ``paths`` are registered items already."""
        found: set[str] = set()
        for start in range(0, len(paths), 500):
            chunk = list(paths[start:start + 500])
            marks = ", ".join("?" * len(chunk))
            found.update(r[0] for r in self._all(
                f"SELECT path FROM items WHERE path IN ({marks})", chunk))
        return found

    def unbatched_item_ids(self) -> list[int]:
        rows = self._all("SELECT id FROM items WHERE id NOT IN "
                         "(SELECT item_id FROM batch_items) ORDER BY id")
        return [r[0] for r in rows]

    def get_item(self, item_id: int) -> Item:
        row = self._one(f"SELECT {_ITEM_COLUMNS} FROM items WHERE id = ?", (item_id,))
        if row is None:
            raise StoreError(f"{self.location}: no item with id {item_id}")
        return self._item(row)

    def find_item(self, path: str) -> Item | None:
        row = self._one(f"SELECT {_ITEM_COLUMNS} FROM items WHERE path = ?", (path,))
        return self._item(row) if row else None

    @staticmethod
    def _item_filter(batch_id: int | None, batch_state: str | None) -> tuple[str, list[Any]]:
        """FROM/WHERE text and parameters selecting items by batch and batch state."""
        if batch_id is None and batch_state is None:
            return "FROM items i WHERE 1 = 1", []
        clauses: list[str] = []
        params: list[Any] = []
        if batch_id is not None:
            clauses.append("bi.batch_id = ?")
            params.append(batch_id)
        if batch_state is not None:
            clauses.append("b.state = ?")
            params.append(batch_state)
        return ("FROM items i JOIN batch_items bi ON bi.item_id = i.id "
                "JOIN batches b ON b.id = bi.batch_id WHERE " + " AND ".join(clauses), params)

    def list_items(
        self, offset: int = 0, limit: int = 100, batch_id: int | None = None,
        batch_state: str | None = None,
    ) -> list[Item]:
        """Items in id order, one page at a time (the item list pages lazily)."""
        source, params = self._item_filter(batch_id, batch_state)
        columns = ", ".join("i." + c for c in _ITEM_COLUMNS.split(", "))
        rows = self._all(f"SELECT {columns} {source} ORDER BY i.id LIMIT ? OFFSET ?",
                         (*params, limit, offset))
        return [self._item(r) for r in rows]

    def iter_items(self, batch_id: int | None = None, batch_state: str | None = None,
                   page: int = 1000, kind: str | None = None) -> Iterator[list[Item]]:
        """Every selected item in id order, a page at a time (keyset paging: no OFFSET scan)."""
        source, params = self._item_filter(batch_id, batch_state)
        if kind is not None:
            source, params = source + " AND i.kind = ?", [*params, kind]
        columns = ", ".join("i." + c for c in _ITEM_COLUMNS.split(", "))
        after = 0
        while True:
            rows = self._all(f"SELECT {columns} {source} AND i.id > ? ORDER BY i.id LIMIT ?",
                             (*params, after, page))
            if not rows:
                return
            items = [self._item(r) for r in rows]
            after = int(items[-1].id or 0)
            yield items

    def count_items(self, batch_id: int | None = None, batch_state: str | None = None,
                    kind: str | None = None) -> int:
        source, params = self._item_filter(batch_id, batch_state)
        if kind is not None:
            source, params = source + " AND i.kind = ?", [*params, kind]
        return int(self._one(f"SELECT COUNT(*) {source}", params)[0])

    def item_position(self, item_id: int, batch_id: int | None = None,
                      batch_state: str | None = None) -> int:
        """How many items of the filtered list come before ``item_id``."""
        source, params = self._item_filter(batch_id, batch_state)
        return int(self._one(f"SELECT COUNT(*) {source} AND i.id < ?", (*params, item_id))[0])

    def next_unannotated(self, after_id: int, batch_id: int | None = None,
                         batch_state: str | None = None) -> int | None:
        """The first item after ``after_id`` (wrapping around) with no annotations."""
        source, params = self._item_filter(batch_id, batch_state)
        empty = "AND NOT EXISTS (SELECT 1 FROM annotations a WHERE a.item_id = i.id)"
        for bound in ("AND i.id > ?", "AND i.id <= ?"):
            row = self._one(f"SELECT i.id {source} {empty} {bound} ORDER BY i.id LIMIT 1",
                            (*params, after_id))
            if row:
                return int(row[0])
        return None

    def annotation_counts(self, item_ids: Sequence[int]) -> dict[int, int]:
        counts: dict[int, int] = {}
        for start in range(0, len(item_ids), 500):
            chunk = list(item_ids[start:start + 500])
            marks = ", ".join("?" * len(chunk))
            counts.update(self._all(f"SELECT item_id, COUNT(*) FROM annotations WHERE item_id "
                                    f"IN ({marks}) GROUP BY item_id", chunk))
        return counts

    # -- annotations -------------------------------------------------------------

    @staticmethod
    def _annotation(row: Sequence[Any]) -> Annotation:
        return Annotation(
            id=row[0], item_id=row[1], label=row[2],
            geometry=geometry_from_json(json.loads(row[3])),
            attributes=json.loads(row[4]), links=json.loads(row[5]), z=row[6], author=row[7],
            created_at=row[8], updated_at=row[9], revision=row[10], hidden=bool(row[11]),
            locked=bool(row[12]),
        )

    def get_annotation(self, annotation_id: int) -> Annotation | None:
        row = self._one(
            f"SELECT {_ANNOTATION_COLUMNS} FROM annotations WHERE id = ?", (annotation_id,)
        )
        return self._annotation(row) if row else None

    def annotations_for_item(self, item_id: int) -> list[Annotation]:
        rows = self._all(
            f"SELECT {_ANNOTATION_COLUMNS} FROM annotations WHERE item_id = ? ORDER BY z, id",
            (item_id,),
        )
        return [self._annotation(r) for r in rows]

    def annotations_for_items(self, item_ids: Sequence[int]) -> dict[int, list[Annotation]]:
        """The annotations of many items at once, each list in drawing order."""
        found: dict[int, list[Annotation]] = {i: [] for i in item_ids}
        for start in range(0, len(item_ids), 500):
            chunk = list(item_ids[start:start + 500])
            marks = ", ".join("?" * len(chunk))
            for row in self._all(f"SELECT {_ANNOTATION_COLUMNS} FROM annotations WHERE item_id "
                                 f"IN ({marks}) ORDER BY item_id, z, id", chunk):
                found[row[1]].append(self._annotation(row))
        return found

    @retrying
    def insert_annotation(self, annotation: Annotation) -> Annotation:
        """Store a new annotation; an ``id`` already set is kept (redo of a delete)."""
        stamp = now()
        created = annotation.created_at or stamp
        values = (
            annotation.item_id, annotation.label, annotation.kind,
            _dumps(annotation.geometry.to_json()), _dumps(dict(annotation.attributes)),
            _dumps(dict(annotation.links)), annotation.z, annotation.author, created, stamp,
            int(annotation.hidden), int(annotation.locked),
        )
        columns = ("item_id, label, kind, geometry, attributes, links, z, author, created_at, "
                   "updated_at, revision, hidden, locked")
        marks = "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?"
        with self.transaction():
            if annotation.id is None:
                row = self._one(
                    f"INSERT INTO annotations ({columns}) VALUES ({marks}) RETURNING id", values
                )
            else:
                row = self._one(
                    f"INSERT INTO annotations (id, {columns}) VALUES (?, {marks}) RETURNING id",
                    (annotation.id, *values),
                )
            self._clear_verified_empty(annotation.item_id)
        return dataclasses.replace(annotation, id=int(row[0]), created_at=created,
                                   updated_at=stamp, revision=1)

    @retrying
    def update_annotation(self, annotation: Annotation) -> Annotation:
        """Write the user-editable content; the revision goes up by one."""
        stamp = now()
        with self.transaction():
            row = self._one(
                "UPDATE annotations SET item_id = ?, label = ?, kind = ?, geometry = ?, "
                "attributes = ?, links = ?, z = ?, hidden = ?, locked = ?, updated_at = ?, "
                "revision = revision + 1 WHERE id = ? RETURNING revision, author, created_at",
                (
                    annotation.item_id, annotation.label, annotation.kind,
                    _dumps(annotation.geometry.to_json()), _dumps(dict(annotation.attributes)),
                    _dumps(dict(annotation.links)), annotation.z, int(annotation.hidden),
                    int(annotation.locked), stamp, annotation.id,
                ),
            )
            if row is None:
                raise StoreError(f"{self.location}: no annotation with id {annotation.id}")
            self._clear_verified_empty(annotation.item_id)
        return dataclasses.replace(annotation, revision=int(row[0]), author=row[1],
                                   created_at=row[2], updated_at=stamp)

    def annotation_content(self, annotation_id: int) -> dict[str, Any] | None:
        """The user-editable content of a stored annotation, as plain JSON values.

        Comparable with :meth:`Annotation.content_key` without building
        numpy shapes: the command stack's conflict check on every edit.
        """
        row = self._one(
            "SELECT item_id, label, geometry, attributes, links, z, hidden, locked "
            "FROM annotations WHERE id = ?", (annotation_id,))
        if row is None:
            return None
        return {
            "item_id": row[0], "label": row[1], "geometry": json.loads(row[2]),
            "attributes": json.loads(row[3]), "links": json.loads(row[4]), "z": row[5],
            "hidden": bool(row[6]), "locked": bool(row[7]),
        }

    @retrying
    def delete_annotation(self, annotation_id: int) -> None:
        with self.transaction():
            if not self._all("DELETE FROM annotations WHERE id = ? RETURNING id",
                             (annotation_id,)):
                raise StoreError(f"{self.location}: no annotation with id {annotation_id}")

    def count_annotations(self) -> int:
        return int(self._one("SELECT COUNT(*) FROM annotations")[0])

    # -- batches -------------------------------------------------------------------

    @staticmethod
    def _batch(row: Sequence[Any]) -> Batch:
        return Batch(
            id=row[0], name=row[1], state=BatchState(row[2]), assignee=row[3], reviewer=row[4],
            created_at=row[5], updated_at=row[6], items=int(row[7]),
        )

    @retrying
    def create_batch(self, name: str, item_ids: Sequence[int], entry: HistoryEntry) -> Batch:
        """A new open batch over ``item_ids``; an item already batched refuses it."""
        with self.transaction():
            if self._one("SELECT id FROM batches WHERE name = ?", (name,)):
                raise StoreError(f"batch {name!r} exists already")
            for start in range(0, len(item_ids), 500):
                chunk = list(item_ids[start:start + 500])
                marks = ", ".join("?" * len(chunk))
                taken = self._one(
                    f"SELECT bi.item_id, b.name FROM batch_items bi JOIN batches b "
                    f"ON b.id = bi.batch_id WHERE bi.item_id IN ({marks}) LIMIT 1", chunk)
                if taken:
                    raise StoreError(f"item {taken[0]} is already in batch {taken[1]!r}")
                known = self._one(f"SELECT COUNT(*) FROM items WHERE id IN ({marks})", chunk)[0]
                if known != len(set(chunk)):
                    raise StoreError("some of the given item ids are not in the project")
            batch_id = self._one(
                "INSERT INTO batches (name, state, created_at, updated_at) VALUES (?, ?, ?, ?) "
                "RETURNING id",
                (name, BatchState.OPEN.value, entry.at, entry.at),
            )[0]
            self._run_many("INSERT INTO batch_items (batch_id, item_id) VALUES (?, ?)",
                           [(batch_id, i) for i in dict.fromkeys(item_ids)])
            self._add_history(batch_id, entry)
        return self.get_batch(batch_id)

    def get_batch(self, key: int | str) -> Batch:
        """A batch by id, or by name when ``key`` is text that is not a number."""
        if isinstance(key, str) and not key.isdigit():
            row = self._one(f"SELECT {_BATCH_COLUMNS} FROM batches b WHERE b.name = ?", (key,))
        else:
            row = self._one(f"SELECT {_BATCH_COLUMNS} FROM batches b WHERE b.id = ?", (int(key),))
        if row is None:
            raise StoreError(f"no batch {key!r} in {self.location}")
        return self._batch(row)

    def list_batches(self) -> list[Batch]:
        return [self._batch(r) for r in self._all(f"SELECT {_BATCH_COLUMNS} FROM batches b "
                                                  "ORDER BY b.id")]

    def batch_for_item(self, item_id: int) -> Batch | None:
        row = self._one(
            f"SELECT {_BATCH_COLUMNS} FROM batches b JOIN batch_items x ON x.batch_id = b.id "
            "WHERE x.item_id = ?",
            (item_id,),
        )
        return self._batch(row) if row else None

    def edit_context(self, user: str, item_ids: Sequence[int]
                     ) -> tuple[User | None, dict[int, Batch | None]]:
        """Who ``user`` is and each item's batch, in one query: what every edit is checked by.

        (One round trip instead of one plus one per item: a teleworker's
        edit waits on the network for each.)
        """
        batches: dict[int, Batch | None] = dict.fromkeys(item_ids)
        if not item_ids:
            return self.get_user(user), batches
        marks = ", ".join("?" * len(item_ids))
        rows = self._all(
            f"SELECT u.name, u.role, x.item_id, {_BATCH_COLUMNS} FROM (SELECT 1 AS one) o "
            "LEFT JOIN users u ON u.name = ? "
            "LEFT JOIN (batch_items x JOIN batches b ON b.id = x.batch_id) "
            f"ON x.item_id IN ({marks})", (user, *item_ids))
        found = None
        for row in rows:
            if row[0] is not None:
                found = User(row[0], Role(row[1]))
            if row[2] is not None:
                batches[int(row[2])] = self._batch(row[3:])
        return found, batches

    def batch_item_ids(self, batch_id: int) -> list[int]:
        rows = self._all("SELECT item_id FROM batch_items WHERE batch_id = ? ORDER BY item_id",
                         (batch_id,))
        return [r[0] for r in rows]

    @retrying
    def save_batch(self, batch: Batch, entry: HistoryEntry) -> Batch:
        """Write a batch's new state and people together with the history entry."""
        with self.transaction():
            for person in (batch.assignee, batch.reviewer):
                if person:
                    self.ensure_user(person)
            self._run(
                "UPDATE batches SET state = ?, assignee = ?, reviewer = ?, updated_at = ? "
                "WHERE id = ?",
                (batch.state.value, batch.assignee, batch.reviewer, entry.at, batch.id),
            )
            self._add_history(int(batch.id or 0), entry)
        return self.get_batch(int(batch.id or 0))

    def _add_history(self, batch_id: int, entry: HistoryEntry) -> None:
        self._run(
            "INSERT INTO batch_history (batch_id, at, user_name, action, from_state, to_state, "
            "comment) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (batch_id, entry.at, entry.user, entry.action,
             entry.from_state.value if entry.from_state else None, entry.to_state.value,
             entry.comment),
        )

    def batch_history(self, batch_id: int) -> list[HistoryEntry]:
        rows = self._all(
            "SELECT at, user_name, action, from_state, to_state, comment FROM batch_history "
            "WHERE batch_id = ? ORDER BY id",
            (batch_id,),
        )
        return [
            HistoryEntry(r[0], r[1], r[2], BatchState(r[3]) if r[3] else None, BatchState(r[4]),
                         r[5])
            for r in rows
        ]

    # -- review comments -------------------------------------------------------------

    _COMMENT_COLUMNS = ("id, batch_id, item_id, annotation_id, position, text, resolved, author, "
                        "created_at, resolved_by, resolved_at")

    @retrying
    def add_comment(self, comment: ReviewComment) -> ReviewComment:
        """Store a review comment; comments are never edited or deleted afterwards."""
        position = None if comment.position is None else _dumps(list(comment.position))
        with self.transaction():
            row = self._one(
                "INSERT INTO review_comments (batch_id, item_id, annotation_id, position, text, "
                "resolved, author, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (comment.batch_id, comment.item_id, comment.annotation_id, position, comment.text,
                 int(comment.resolved), comment.author, comment.created_at or now()),
            )
        return self.get_comment(int(row[0]))

    @staticmethod
    def _comment(r: Sequence[Any]) -> ReviewComment:
        return ReviewComment(
            id=r[0], batch_id=r[1], item_id=r[2], annotation_id=r[3],
            position=None if r[4] is None else tuple(json.loads(r[4])), text=r[5],
            resolved=bool(r[6]), author=r[7], created_at=r[8], resolved_by=r[9],
            resolved_at=r[10],
        )

    def get_comment(self, comment_id: int) -> ReviewComment:
        row = self._one(f"SELECT {self._COMMENT_COLUMNS} FROM review_comments WHERE id = ?",
                        (comment_id,))
        if row is None:
            raise StoreError(f"no review comment {comment_id} in {self.location}")
        return self._comment(row)

    def comments(self, batch_id: int, unresolved_only: bool = False) -> list[ReviewComment]:
        where = " AND resolved = 0" if unresolved_only else ""
        rows = self._all(
            f"SELECT {self._COMMENT_COLUMNS} FROM review_comments WHERE batch_id = ?{where} "
            "ORDER BY id",
            (batch_id,),
        )
        return [self._comment(r) for r in rows]

    @retrying
    def resolve_comment(self, comment_id: int, user: str, at: str) -> ReviewComment:
        """Mark a comment resolved by ``user``; resolving is final (recorded, never undone)."""
        with self.transaction():
            if not self._all(
                    "UPDATE review_comments SET resolved = 1, resolved_by = ?, resolved_at = ? "
                    "WHERE id = ? AND resolved = 0 RETURNING id", (user, at, comment_id)):
                found = self.get_comment(comment_id)
                raise StoreError(f"review comment {comment_id} was already resolved by "
                                 f"{found.resolved_by} at {found.resolved_at}")
        return self.get_comment(comment_id)

    def reject_reasons(self) -> list[dict[str, Any]]:
        """Every reject's summary comment, oldest first, with its batch."""
        rows = self._all(
            "SELECT b.id, b.name, h.at, h.user_name, h.comment FROM batch_history h "
            "JOIN batches b ON b.id = h.batch_id WHERE h.action = 'reject' ORDER BY h.id")
        return [{"batch": r[0], "batch_name": r[1], "at": r[2], "user": r[3], "comment": r[4]}
                for r in rows]

    def all_history(self) -> list[tuple[int, HistoryEntry]]:
        """(batch id, entry) for every batch, in the order they happened."""
        rows = self._all("SELECT batch_id, at, user_name, action, from_state, to_state, comment "
                         "FROM batch_history ORDER BY id")
        return [(r[0], HistoryEntry(r[1], r[2], r[3], BatchState(r[4]) if r[4] else None,
                                    BatchState(r[5]), r[6])) for r in rows]

    # -- item status in a batch ----------------------------------------------------------

    @retrying
    def set_item_status(self, item_id: int, batch_id: int, status: str | None, user: str,
                        at: str) -> None:
        """Set ``done`` / ``verified_empty`` on a batch item, or clear it (None).

        ``verified_empty`` is refused while the item has annotations; adding a
        shape later clears it (in :meth:`insert_annotation`).
        """
        with self.transaction():
            if status == "verified_empty":
                count = self._one("SELECT COUNT(*) FROM annotations WHERE item_id = ?",
                                  (item_id,))[0]
                if count:
                    raise StoreError(f"item {item_id} has {count} annotation(s): only an item "
                                     "without any can be verified empty (mark it done)")
            self._run("DELETE FROM item_status WHERE item_id = ?", (item_id,))
            if status is not None:
                self._run("INSERT INTO item_status (item_id, batch_id, status, user_name, at) "
                          "VALUES (?, ?, ?, ?, ?)", (item_id, batch_id, status, user, at))

    def _clear_verified_empty(self, item_id: int) -> None:
        self._run("DELETE FROM item_status WHERE item_id = ? AND status = 'verified_empty'",
                  (item_id,))

    def item_statuses(self, batch_id: int) -> dict[int, str | None]:
        """Every item of the batch with its status (None: not looked at yet)."""
        rows = self._all(
            "SELECT bi.item_id, s.status FROM batch_items bi LEFT JOIN item_status s "
            "ON s.item_id = bi.item_id WHERE bi.batch_id = ? ORDER BY bi.item_id", (batch_id,))
        return {int(r[0]): r[1] for r in rows}

    def item_marks(self, item_ids: Sequence[int]) -> dict[int, str]:
        """The marked items among ``item_ids`` with their status (unmarked ones are left out)."""
        found: dict[int, str] = {}
        for start in range(0, len(item_ids), 500):
            chunk = list(item_ids[start:start + 500])
            marks = ", ".join("?" * len(chunk))
            found.update((int(r[0]), str(r[1])) for r in self._all(
                f"SELECT item_id, status FROM item_status WHERE item_id IN ({marks})", chunk))
        return found

    def done_counts(self) -> dict[int, int]:
        """Batch id -> items marked done or verified empty."""
        return {int(r[0]): int(r[1]) for r in self._all(
            "SELECT batch_id, COUNT(*) FROM item_status GROUP BY batch_id")}

    def items_done_by(self) -> dict[str, int]:
        return {r[0]: int(r[1]) for r in self._all(
            "SELECT user_name, COUNT(*) FROM item_status GROUP BY user_name")}

    # -- submissions ------------------------------------------------------------------------

    @retrying
    def record_submission(self, batch_id: int, user: str, at: str) -> int:
        """Snapshot annotation id -> revision over the batch's items; returns its number."""
        with self.transaction():
            number = int(self._one("SELECT COALESCE(MAX(number), 0) + 1 FROM submissions "
                                   "WHERE batch_id = ?", (batch_id,))[0])
            self._run("INSERT INTO submissions (batch_id, number, user_name, at) "
                      "VALUES (?, ?, ?, ?)", (batch_id, number, user, at))
            self._run(
                "INSERT INTO submission_shapes (batch_id, number, annotation_id, item_id, "
                "revision, created_at) SELECT ?, ?, a.id, a.item_id, a.revision, a.created_at "
                "FROM annotations a "
                "JOIN batch_items bi ON bi.item_id = a.item_id WHERE bi.batch_id = ?",
                (batch_id, number, batch_id))
        return number

    def submission_numbers(self, batch_id: int) -> list[int]:
        return [int(r[0]) for r in self._all(
            "SELECT number FROM submissions WHERE batch_id = ? ORDER BY number", (batch_id,))]

    def submission_shapes(self, batch_id: int, number: int
                          ) -> dict[int, tuple[int, int, str]]:
        """annotation id -> (item id, revision, created at) as submitted.

        ``created_at`` tells a reused id (SQLite may reuse the highest id
        after a delete) from the same shape.
        """
        return {int(r[0]): (int(r[1]), int(r[2]), str(r[3])) for r in self._all(
            "SELECT annotation_id, item_id, revision, created_at FROM submission_shapes "
            "WHERE batch_id = ? AND number = ?", (batch_id, number))}

    def current_shapes(self, batch_id: int) -> dict[int, tuple[int, int, str]]:
        """annotation id -> (item id, revision, created at) now, over the batch's items."""
        return {int(r[0]): (int(r[1]), int(r[2]), str(r[3])) for r in self._all(
            "SELECT a.id, a.item_id, a.revision, a.created_at FROM annotations a "
            "JOIN batch_items bi "
            "ON bi.item_id = a.item_id WHERE bi.batch_id = ?", (batch_id,))}

    # -- active time ---------------------------------------------------------------------------

    @retrying
    def record_activity(self, user: str, item_id: int, batch_id: int, at: float,
                        max_gap: float) -> float:
        """Credit the time since ``user``'s last event to the item then in focus.

        A gap longer than ``max_gap`` seconds (or a clock that went back) is
        idle time and counts nothing.  The running total and the new last
        event commit together, so a killed app loses at most the open gap.
        Returns the seconds credited.
        """
        with self.transaction():
            last = self._one("SELECT item_id, batch_id, at FROM activity_last "
                             "WHERE user_name = ?", (user,))
            credited = 0.0
            if last is not None:
                gap = at - float(last[2])
                if 0 < gap <= max_gap:
                    credited = gap
                    self._run(
                        "INSERT INTO activity_totals (user_name, item_id, batch_id, seconds) "
                        "VALUES (?, ?, ?, ?) ON CONFLICT (user_name, item_id, batch_id) "
                        "DO UPDATE SET seconds = activity_totals.seconds + excluded.seconds",
                        (user, int(last[0]), int(last[1]), gap))
            self._run(
                "INSERT INTO activity_last (user_name, item_id, batch_id, at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (user_name) DO UPDATE SET item_id = excluded.item_id, "
                "batch_id = excluded.batch_id, at = excluded.at",
                (user, item_id, batch_id, at))
        return credited

    def active_seconds(self, user: str | None = None, batch_id: int | None = None,
                       item_id: int | None = None) -> float:
        clauses, params = ["1 = 1"], []
        for column, value in (("user_name", user), ("batch_id", batch_id),
                              ("item_id", item_id)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        row = self._one("SELECT COALESCE(SUM(seconds), 0) FROM activity_totals WHERE "
                        + " AND ".join(clauses), params)
        return float(row[0])

    def active_seconds_by_user(self) -> dict[str, float]:
        return {r[0]: float(r[1]) for r in self._all(
            "SELECT user_name, SUM(seconds) FROM activity_totals GROUP BY user_name")}

    def active_seconds_by_batch(self) -> dict[int, float]:
        return {int(r[0]): float(r[1]) for r in self._all(
            "SELECT batch_id, SUM(seconds) FROM activity_totals GROUP BY batch_id")}

    def shapes_by_author(self) -> dict[str, int]:
        return {r[0]: int(r[1]) for r in self._all(
            "SELECT author, COUNT(*) FROM annotations GROUP BY author")}

    # -- team mode: edits sent once ------------------------------------------------------

    def client_op(self, op_id: str) -> dict[str, Any] | None:
        """The recorded result of the client edit ``op_id``, or None if it never landed."""
        row = self._one("SELECT result FROM client_ops WHERE op_id = ?", (op_id,))
        return None if row is None else dict(json.loads(row[0]))

    def record_client_op(self, op_id: str, user: str, result: Mapping[str, Any]) -> None:
        """Inside the edit's transaction: ``op_id`` landed, with ``result``."""
        self._run("INSERT INTO client_ops (op_id, user_name, at, result) VALUES (?, ?, ?, ?)",
                  (op_id, user, now(), _dumps(dict(result))))

    # -- the persistent undo log ---------------------------------------------------------

    @retrying
    def log_edit(self, user: str, label: str, payload: str, redo_waits: bool = True) -> int:
        """Record a done edit; the user's undone edits can no longer be redone.

        ``redo_waits=False``: the caller knows (in this transaction) that none
        is undone, and the statement dropping them is not sent.
        """
        stamp = now()
        with self.transaction():
            if redo_waits:
                self._run("UPDATE edit_log SET state = 'dropped', updated_at = ? "
                          "WHERE user_name = ? AND state = 'undone'", (stamp, user))
            row = self._one(
                "INSERT INTO edit_log (user_name, label, payload, state, at, updated_at) "
                "VALUES (?, ?, ?, 'done', ?, ?) RETURNING seq",
                (user, label, payload, stamp, stamp),
            )
        return int(row[0])

    @retrying
    def replace_edit(self, seq: int, label: str, payload: str) -> None:
        """Overwrite a logged edit with its merge with the next one (one drag, one step)."""
        with self.transaction():
            self._run("UPDATE edit_log SET label = ?, payload = ?, updated_at = ? WHERE seq = ?",
                      (label, payload, now(), seq))

    def last_edit(self, user: str, state: str) -> EditRecord | None:
        """The newest done edit (to undo) or the oldest undone one (to redo)."""
        order = "DESC" if state == "done" else "ASC"
        row = self._one(
            f"SELECT seq, user_name, label, payload, state FROM edit_log "
            f"WHERE user_name = ? AND state = ? ORDER BY seq {order} LIMIT 1",
            (user, state),
        )
        return EditRecord(*row) if row else None

    def edit_tops(self, user: str) -> tuple[EditRecord | None, bool]:
        """The newest done edit of ``user`` (to merge into) and whether any waits for redo.

        One query for what :meth:`last_edit` answers in two: each drag step asks both.
        """
        rows = self._all(
            "SELECT seq, user_name, label, payload, state FROM edit_log WHERE seq = "
            "(SELECT MAX(seq) FROM edit_log WHERE user_name = ? AND state = 'done') "
            "UNION ALL SELECT seq, user_name, label, payload, state FROM edit_log WHERE seq = "
            "(SELECT MIN(seq) FROM edit_log WHERE user_name = ? AND state = 'undone')",
            (user, user))
        done = next((EditRecord(*r) for r in rows if r[4] == "done"), None)
        return done, any(r[4] == "undone" for r in rows)

    @retrying
    def set_edit_state(self, seq: int, state: str) -> None:
        with self.transaction():
            self._run("UPDATE edit_log SET state = ?, updated_at = ? WHERE seq = ?",
                      (state, now(), seq))

    def count_edits(self, user: str | None = None) -> int:
        if user is None:
            return int(self._one("SELECT COUNT(*) FROM edit_log")[0])
        return int(self._one("SELECT COUNT(*) FROM edit_log WHERE user_name = ?", (user,))[0])

    # -- statistics ----------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Counts for ``annotator stats``; the keys are a documented contract."""
        by_class = dict(self._all("SELECT label, COUNT(*) FROM annotations GROUP BY label "
                                  "ORDER BY label"))
        by_kind = dict(self._all("SELECT kind, COUNT(*) FROM annotations GROUP BY kind "
                                 "ORDER BY kind"))
        batches = dict(self._all("SELECT state, COUNT(*) FROM batches GROUP BY state "
                                 "ORDER BY state"))
        item_kinds = dict(self._all("SELECT kind, COUNT(*) FROM items GROUP BY kind"))
        return {
            "items": sum(item_kinds.values()),
            "items_by_kind": item_kinds,
            "annotations": sum(by_kind.values()),
            "by_class": by_class,
            "by_kind": by_kind,
            "batches": batches,
        }
