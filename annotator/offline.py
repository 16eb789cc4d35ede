"""Team mode without the server: a local working copy and a journal of edits.

A teleworker's home connection drops; the batch in front of them must not.
For a team project (a ``postgresql://`` URL) the client keeps a
**working copy** of the open batch in a local SQLite file, an ordinary
project database holding that batch's users, items, annotations and item
statuses, plus a ``pending`` table: the journal.

* Online, the working copy follows the server: :meth:`WorkingCopy.refresh_batch`
  copies the batch when it is opened, :meth:`WorkingCopy.refresh_items`
  the items an edit touched.
* When the server cannot be reached, the project switches its store to the
  working copy (:class:`JournalStore`).  Each edit commits locally, command
  and journal row in one SQLite transaction (``synchronous=FULL``), so a
  killed app or a dead battery loses nothing.  Undo reaches back to the
  first edit made offline; edits that need the server (submitting, marks,
  comments) are refused with one line.
* When the server answers again, :meth:`WorkingCopy.replay` sends the
  journal in order, one server transaction per edit, through the same
  command stack and permission checks as a live edit.  Each carries an
  operation id recorded in the server's ``client_ops`` in the transaction
  that applies it: an edit whose acknowledgement was lost, or a replay cut
  off half-way, is never applied twice.  New shapes get their ids from the
  server; the journal's local ids (from :data:`LOCAL_ID_BASE` up) are
  mapped in later edits and in ``links``.  An edit that meets a change made
  meanwhile by someone else is not applied: it is reported with both
  versions, never written over theirs.
* Quitting while offline keeps the file; opening the project next time
  replays it, or, with the server still away, opens the working copy.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import sys
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotator.commands import (
    AddAnnotations,
    Command,
    CommandStack,
    CompositeCommand,
    command_from_payload,
)
from annotator.errors import AnnotatorError, ConflictError, OfflineError, StoreError
from annotator.model import Annotation, LabelSchema
from annotator.store import SqliteBackend, SqlStore, create_project, now
from annotator.store.backend import DB_FILE

__all__ = [
    "LOCAL_ID_BASE",
    "JournalStore",
    "ReplayProblem",
    "ReplayReport",
    "TeamStore",
    "WorkingCopy",
    "data_folder",
]

#: Shapes drawn offline get ids from here up; the server's identity
#: sequence will not reach it (2**40, a trillion shapes).
LOCAL_ID_BASE = 1 << 40

_PENDING_DDL = """CREATE TABLE IF NOT EXISTS pending (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    op_id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('push', 'undo', 'redo')),
    edit_seq INTEGER NOT NULL,
    label TEXT NOT NULL,
    payload TEXT NOT NULL,
    at TEXT NOT NULL)"""
_ID_MAP_DDL = """CREATE TABLE IF NOT EXISTS id_map (
    local INTEGER PRIMARY KEY,
    server INTEGER NOT NULL)"""
_ORIGIN_DDL = """CREATE TABLE IF NOT EXISTS origin (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL)"""

# The tables of one batch the working copy holds, in the order their
# foreign keys need; each with the condition choosing its rows.
_BATCH_TABLES: tuple[tuple[str, str], ...] = (
    ("users", "1 = 1"),
    ("batches", "id = ?"),
    ("items", "id IN (SELECT item_id FROM batch_items WHERE batch_id = ?)"),
    ("batch_items", "batch_id = ?"),
    ("annotations", "item_id IN (SELECT item_id FROM batch_items WHERE batch_id = ?)"),
    ("item_status", "batch_id = ?"),
)


def data_folder() -> Path:
    """Where Annotator keeps per-user state: ``$ANNOTATOR_DATA_DIR`` or the platform's place."""
    raw = os.environ.get("ANNOTATOR_DATA_DIR", "").strip()
    if raw:
        return Path(raw)
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "annotator"


def _offline(action: str) -> OfflineError:
    return OfflineError(f"offline: {action} needs the server; your edits are kept on this "
                        "computer and sent when it answers again")


class JournalStore(SqlStore):
    """The working copy's store: edits commit here with their journal row.

    A folder-project database (the same schema and code), whose writes of
    shapes also append to ``pending`` in the same transaction, whose new
    shapes get local ids, and which refuses what only the server may do.
    """

    def __init__(self, folder: Path) -> None:
        super().__init__(SqliteBackend(folder))
        self.check_version(migrate=True)
        for ddl in (_PENDING_DDL, _ID_MAP_DDL, _ORIGIN_DDL):
            self._run(ddl)
        #: The operation id of the edit being committed (set by record_client_op).
        self._op_id: str | None = None

    # -- the journal --------------------------------------------------------------------

    def client_op(self, op_id: str) -> dict[str, Any] | None:
        return None

    def record_client_op(self, op_id: str, user: str, result: Mapping[str, Any]) -> None:
        # Called first in the edit's transaction; the journal row written by
        # log_edit or set_edit_state carries it.
        self._op_id = op_id

    def _journal(self, kind: str, edit_seq: int, label: str, payload: str) -> None:
        op_id, self._op_id = self._op_id or uuid.uuid4().hex, None
        self._run("INSERT INTO pending (op_id, kind, edit_seq, label, payload, at) "
                  "VALUES (?, ?, ?, ?, ?, ?)", (op_id, kind, edit_seq, label, payload, now()))

    def log_edit(self, user: str, label: str, payload: str, redo_waits: bool = True) -> int:
        with self.transaction():
            seq = super().log_edit(user, label, payload, redo_waits)
            self._journal("push", seq, label, payload)
        return seq

    def replace_edit(self, seq: int, label: str, payload: str) -> None:
        # A drag's next step merged into the edit before it: the journal
        # sends the merged edit once, if it has not gone yet.
        with self.transaction():
            super().replace_edit(seq, label, payload)
            row = self._one("SELECT seq FROM pending WHERE kind = 'push' AND edit_seq = ? "
                            "ORDER BY seq DESC LIMIT 1", (seq,))
            if row is None:
                raise StoreError("the working copy's journal lost an edit it merges into")
            self._run("UPDATE pending SET label = ?, payload = ? WHERE seq = ?",
                      (label, payload, row[0]))
        self._op_id = None  # the step's own id is not needed: it went into that row's

    def set_edit_state(self, seq: int, state: str) -> None:
        with self.transaction():
            super().set_edit_state(seq, state)
            row = self._one("SELECT label, payload FROM edit_log WHERE seq = ?", (seq,))
            self._journal("undo" if state == "undone" else "redo", seq, row[0], row[1])

    def insert_annotation(self, annotation: Annotation) -> Annotation:
        if annotation.id is None:
            row = self._one("SELECT MAX(id) FROM annotations WHERE id >= ?", (LOCAL_ID_BASE,))
            local = LOCAL_ID_BASE if row[0] is None else int(row[0]) + 1
            annotation = _with_id(annotation, local)
        return super().insert_annotation(annotation)

    def pending_count(self) -> int:
        return int(self._one("SELECT COUNT(*) FROM pending")[0])

    # -- what only the server may do ----------------------------------------------------

    def add_items(self, items: Any) -> list[int]:
        raise _offline("importing media")

    def create_batch(self, *args: Any, **kwargs: Any) -> Any:
        raise _offline("creating a batch")

    def save_batch(self, *args: Any, **kwargs: Any) -> Any:
        raise _offline("changing a batch's state")

    def add_comment(self, *args: Any, **kwargs: Any) -> Any:
        raise _offline("commenting")

    def resolve_comment(self, *args: Any, **kwargs: Any) -> Any:
        raise _offline("resolving a comment")

    def set_item_status(self, *args: Any, **kwargs: Any) -> Any:
        raise _offline("marking an item")

    def record_submission(self, *args: Any, **kwargs: Any) -> Any:
        raise _offline("submitting")

    def set_label_schema(self, schema: LabelSchema) -> None:
        raise _offline("changing the label schema")

    def set_role(self, *args: Any, **kwargs: Any) -> Any:
        raise _offline("changing a role")

    def record_activity(self, *args: Any, **kwargs: Any) -> Any:
        # Active time needs the server's running totals; offline minutes are
        # not counted (the edits themselves are all kept).
        return None


def _with_id(annotation: Annotation, annotation_id: int) -> Annotation:
    return dataclasses.replace(annotation, id=annotation_id)


class TeamStore:
    """A team project's store in the app: the server, else the working copy.

    Every store method is looked up on the server while it answers; a
    method that finds it gone (outside a transaction) calls ``on_lost``,
    which switches the project offline, and is answered by the working
    copy instead, so the annotator's screen keeps working.  Used as the
    project's :class:`SqlStore` (the same methods).
    """

    def __init__(self, server: SqlStore | None, local: JournalStore,
                 on_lost: Callable[[], None]) -> None:
        self.server = server
        self.local = local
        self.offline = server is None
        self._on_lost = on_lost

    def _fallback(self, name: str) -> Any:
        self._on_lost()
        if not self.offline:
            raise OfflineError(f"{self.local.location}: the server cannot be reached and "
                               "this batch has no offline copy")
        return getattr(self.local, name)

    def __getattr__(self, name: str) -> Any:
        server = self.server
        if self.offline or server is None:
            return getattr(self.local, name)
        try:
            found = getattr(server, name)
        except OfflineError:
            return self._fallback(name)
        if not callable(found) or name.startswith("__"):
            return found

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return found(*args, **kwargs)
            except OfflineError:
                if server._depth:
                    raise  # a transaction is gone; whoever opened it decides
                return self._fallback(name)(*args, **kwargs)
        return call


@dataclass
class ReplayProblem:
    """An offline edit the server did not take, and why (a conflict carries both versions)."""

    label: str
    error: AnnotatorError


@dataclass
class ReplayReport:
    sent: int = 0
    already_there: int = 0
    problems: list[ReplayProblem] = field(default_factory=list)
    #: False when the server went away again mid-way (the rest stays journaled).
    finished: bool = True


class WorkingCopy:
    """The local copy of a team project's open batch, with its journal."""

    def __init__(self, folder: Path, location: str, user: str) -> None:
        self.folder = folder
        self.location = location
        self.user = user
        self._store: JournalStore | None = None

    @classmethod
    def for_project(cls, location: str, user: str) -> WorkingCopy:
        """The working copy of ``user`` in the project at ``location`` (a URL without password)."""
        key = hashlib.sha256(f"{location}\0{user}".encode()).hexdigest()[:24]
        return cls(data_folder() / "offline" / key, location, user)

    def exists(self) -> bool:
        return (self.folder / DB_FILE).is_file()

    @property
    def store(self) -> JournalStore:
        if self._store is None:
            raise StoreError(f"{self.folder}: the offline working copy is not open")
        return self._store

    def open(self, schema: LabelSchema | None = None) -> JournalStore:
        """Open the file, creating it (with ``schema``) the first time."""
        if self._store is None:
            if not self.exists():
                if schema is None:
                    raise StoreError(f"{self.location}: no offline copy of this project on this "
                                     "computer; open it once while the server answers")
                # the batch's work, readable by this user only (a shared family PC)
                self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
                create_project(self.folder, schema, lead=self.user).close()
            self._store = JournalStore(self.folder)
            with self._store.transaction():
                for key, value in (("location", self.location), ("user", self.user)):
                    self._store._run("INSERT INTO origin (key, value) VALUES (?, ?) "
                                     "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                                     (key, value))
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def pending(self) -> int:
        """How many edits wait for the server."""
        if self._store is None and not self.exists():
            return 0
        return self.open().pending_count()

    def batch_id(self) -> int | None:
        row = self.open()._one("SELECT value FROM meta WHERE key = 'offline_batch'")
        return int(row[0]) if row else None

    # -- following the server -----------------------------------------------------------

    def refresh_batch(self, server: SqlStore, batch_id: int) -> bool:
        """Copy batch ``batch_id`` from the server; False (nothing done) while edits wait."""
        local = self.open(server.label_schema)
        if local.pending_count():
            return False
        with server.snapshot():
            meta = server._all("SELECT key, value FROM meta WHERE key <> 'store_version'")
            tables = [(table, *_select(server, table, where, batch_id))
                      for table, where in _BATCH_TABLES]
        with local.transaction():
            for table in ("annotations", "item_status", "batch_items", "items", "batches",
                          "edit_log", "id_map"):
                local._run(f"DELETE FROM {table}")
            local._run("DELETE FROM users")
            for key, value in meta:
                local._run("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) "
                           "DO UPDATE SET value = excluded.value", (key, value))
            for table, columns, rows in tables:
                _insert(local, table, columns, rows)
            local._run("INSERT INTO meta (key, value) VALUES ('offline_batch', ?) "
                       "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (str(batch_id),))
        local._schema = None
        return True

    def follow(self, command: Command, undone: bool, server: SqlStore) -> None:
        """After an online edit: make the same change here, without asking the server.

        The command's own checks run against the copy; if the copy had
        fallen behind (someone else changed those shapes), the items are
        copied from the server instead.
        """
        local = self._store
        if local is None or local.pending_count():
            return
        held = [i for i in sorted(command.item_ids())
                if local._one("SELECT 1 FROM items WHERE id = ?", (i,))]
        if not held:
            return
        copy = command_from_payload(json.dumps(command.to_payload()))  # left as the stack has it
        try:
            with local.transaction():
                (copy.revert if undone else copy.apply)(_Mirror(local))
        except AnnotatorError:
            self.refresh_items(server, held)

    def refresh_items(self, server: SqlStore, item_ids: Sequence[int]) -> None:
        """Copy the annotations of ``item_ids`` (those in the copy) after an online edit."""
        if self._store is None or not item_ids or self._store.pending_count():
            return
        local = self._store
        held = [i for i in item_ids if local._one("SELECT 1 FROM items WHERE id = ?", (i,))]
        if not held:
            return
        marks = ", ".join("?" * len(held))
        cursor = server._run(f"SELECT * FROM annotations WHERE item_id IN ({marks})", held)
        rows = cursor.fetchall()  # first: in a pipeline the description comes with the rows
        columns = [d[0] for d in cursor.description]
        with local.transaction():
            local._run(f"DELETE FROM annotations WHERE item_id IN ({marks})", held)
            _insert(local, "annotations", columns, rows)

    # -- replaying the journal ----------------------------------------------------------

    def replay(self, server: SqlStore, stack: CommandStack,
               on_step: Callable[[int, int], None] | None = None) -> ReplayReport:
        """Send the journal to ``server`` through ``stack`` (the user's server stack), in order.

        Stops, keeping what is left, if the server goes away again
        (``finished`` False); otherwise the journal is empty afterwards and
        the working copy's offline undo history is cleared.
        """
        local = self.open()
        report = ReplayReport()
        rows = local._all("SELECT seq, op_id, kind, label, payload FROM pending ORDER BY seq")
        id_map = {int(a): int(b) for a, b in local._all("SELECT local, server FROM id_map")}
        for index, (seq, op_id, kind, label, payload) in enumerate(rows, start=1):
            try:
                outcome, new_ids = server.retry(functools.partial(
                    self._send, server, stack, op_id, kind, _remap_payload(payload, id_map)))
            except OfflineError:
                report.finished = False
                return report
            except AnnotatorError as exc:
                report.problems.append(ReplayProblem(label, exc))
                outcome, new_ids = "problem", {}
            if outcome == "sent":
                report.sent += 1
            elif outcome == "there":
                report.already_there += 1
            with local.transaction():
                for old, new in new_ids.items():
                    id_map[int(old)] = int(new)
                    local._run("INSERT OR REPLACE INTO id_map (local, server) VALUES (?, ?)",
                               (int(old), int(new)))
                local._run("DELETE FROM pending WHERE seq = ?", (seq,))
            if on_step:
                on_step(index, len(rows))
        with local.transaction():
            local._run("DELETE FROM edit_log")
            local._run("DELETE FROM id_map")
        return report

    def _send(self, server: SqlStore, stack: CommandStack, op_id: str, kind: str,
              payload: str) -> tuple[str, dict[int, int]]:
        with server.transaction():
            done = server.client_op(op_id)
            if done is not None:
                return "there", {int(k): int(v) for k, v in done.get("ids", {}).items()}
            if kind == "push":
                command = command_from_payload(payload)
                local_ids = [int(a.id or 0) for a in _added(command)]
                command = _without_local_ids(command)
                stack.push(command)
                new_ids = {old: int(a.id or 0) for old, a in zip(local_ids, _added(command),
                                                                 strict=True)
                           if old >= LOCAL_ID_BASE}
            else:
                state = "done" if kind == "undo" else "undone"
                top = server.last_edit(stack.user, state)
                wanted = _signature(json.loads(payload))
                if top is None or _signature(json.loads(top.payload)) != wanted:
                    verb = "undone" if kind == "undo" else "redone"
                    raise ConflictError(f"'{wanted[1]}' was not {verb}: on the server the "
                                        "latest edit is another one")
                stack.undo() if kind == "undo" else stack.redo()
                new_ids = {}
            server.record_client_op(op_id, stack.user,
                                    {"ids": {str(k): v for k, v in new_ids.items()}})
        return "sent", new_ids


class _Mirror:
    """The copy as a command sees it, writing shapes under the server's ids and nothing else."""

    def __init__(self, store: JournalStore) -> None:
        self.store = store

    def get_annotation(self, annotation_id: int) -> Annotation | None:
        return self.store.get_annotation(annotation_id)

    def annotation_content(self, annotation_id: int) -> dict[str, Any] | None:
        return self.store.annotation_content(annotation_id)

    def insert_annotation(self, annotation: Annotation) -> Annotation:
        if annotation.id is None:
            raise StoreError("an online edit's new shape has no server id")
        return SqlStore.insert_annotation(self.store, annotation)

    def update_annotation(self, annotation: Annotation) -> Annotation:
        return self.store.update_annotation(annotation)

    def delete_annotation(self, annotation_id: int) -> None:
        self.store.delete_annotation(annotation_id)


def _select(server: SqlStore, table: str, where: str, batch_id: int
            ) -> tuple[list[str], list[Any]]:
    params = (batch_id,) if "?" in where else ()
    cursor = server._run(f"SELECT * FROM {table} WHERE {where}", params)
    rows = list(cursor.fetchall())
    return [d[0] for d in cursor.description], rows


def _insert(store: SqlStore, table: str, columns: Sequence[str], rows: Sequence[Any]) -> None:
    if not rows:
        return
    marks = ", ".join("?" * len(columns))
    store._run_many(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                    [tuple(r) for r in rows])


def _added(command: Command) -> list[Annotation]:
    """The shapes ``command`` adds, in order (inside composites too)."""
    if isinstance(command, AddAnnotations):
        return list(command.annotations)
    if isinstance(command, CompositeCommand):
        return [a for part in command.commands for a in _added(part)]
    return []


def _without_local_ids(command: Command) -> Command:
    if isinstance(command, AddAnnotations):
        command.annotations = tuple(
            _with_id(a, None) if int(a.id or 0) >= LOCAL_ID_BASE else a  # type: ignore[arg-type]
            for a in command.annotations)
        return command
    if isinstance(command, CompositeCommand):
        command.commands = tuple(_without_local_ids(part) for part in command.commands)
    return command


def _remap_payload(payload: str, id_map: Mapping[int, int]) -> str:
    """Replace local shape ids (and links to them) by the server's, in a journaled edit."""
    if not id_map:
        return payload

    def walk(value: Any) -> Any:
        if isinstance(value, list):
            return [walk(v) for v in value]
        if not isinstance(value, dict):
            return value
        out = {k: walk(v) for k, v in value.items()}
        if "item_id" in out and "geometry" in out:  # an annotation
            if isinstance(out.get("id"), int) and out["id"] in id_map:
                out["id"] = id_map[out["id"]]
            links = out.get("links")
            if isinstance(links, dict):
                out["links"] = {k: (id_map.get(abs(v), abs(v)) * (-1 if v < 0 else 1)
                                    if isinstance(v, int) else v) for k, v in links.items()}
        return out

    return json.dumps(walk(json.loads(payload)))


def _signature(data: Mapping[str, Any]) -> tuple[str, str, tuple[int, ...]]:
    """What identifies an edit across the journal and the server's log: type, label, shapes."""
    ids: list[int] = []

    def collect(value: Any) -> None:
        if isinstance(value, list):
            for v in value:
                collect(v)
        elif isinstance(value, dict):
            if "item_id" in value and "geometry" in value and isinstance(value.get("id"), int):
                ids.append(int(value["id"]))
            for v in value.values():
                collect(v)

    collect(data)
    return str(data.get("type")), str(data.get("label")), tuple(sorted(set(ids)))

