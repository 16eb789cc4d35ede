"""A project opened by one user: the store, the rules and the undo stack together.

This is the layer the CLI and the app talk to.  It resolves who is working,
checks what they may do (:mod:`annotator.workflow`), and turns each request
into one store transaction.
"""

from __future__ import annotations

import functools
import getpass
import json
import os
import random
import stat
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

from annotator.commands import Command, CommandStack, command_from_payload
from annotator.errors import (
    AnnotatorError,
    MediaError,
    OfflineError,
    ProjectError,
    StoreError,
)
from annotator.geometry import Finding, error_count, validate_items, warning_count
from annotator.media import IMAGE_SUFFIXES, POINTCLOUD_SUFFIXES, MediaInfo, probe, sha256_file
from annotator.media.pointcloud import PointCloud, read_pointcloud
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
)
from annotator.offline import ReplayReport, TeamStore, WorkingCopy
from annotator.store import DB_FILE, SqlStore, create_project, is_team_url, now, open_project
from annotator.store.media_cache import TeamMedia
from annotator.store.media_db import blob_present, upload_file
from annotator.workflow import (
    ITEM_STATUSES,
    check_comment,
    check_edit,
    check_mark,
    check_resolve,
    require_lead,
    transition,
)

__all__ = ["IDLE_AFTER_SECONDS", "ImportReport", "Project", "current_user_name"]

#: A gap between two activity events longer than this is idle time, not work.
IDLE_AFTER_SECONDS = 120.0

MEDIA_SUFFIXES = IMAGE_SUFFIXES | POINTCLOUD_SUFFIXES
Progress = Callable[[int, int], None]


def current_user_name(explicit: str | None = None) -> str:
    """``--user``, else ``$ANNOTATOR_USER``, else the OS login."""
    for candidate in (explicit, os.environ.get("ANNOTATOR_USER")):
        if candidate and candidate.strip():
            return candidate.strip()
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "user"


@dataclass
class ImportReport:
    added: list[int] = field(default_factory=list)
    skipped_existing: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)


def _regular_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _retrying(method: Callable[Concatenate[Project, _P], _R]
              ) -> Callable[Concatenate[Project, _P], _R]:
    """A method that is one transaction: run again if a server aborts it as overlapping."""
    def wrapper(self: Project, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        return self.store.retry(lambda: method(self, *args, **kwargs))
    functools.update_wrapper(wrapper, method)
    return wrapper


class Project:
    """An open project and the person working in it."""

    def __init__(self, store: SqlStore, folder: Path, user: User,
                 clock: Callable[[], float] = time.time, location: str | None = None,
                 relative_media: bool = True) -> None:
        self.store = store
        #: Where relative media paths start: the project folder, or in team
        #: mode (a database URL, no folder) the media root.
        self.folder = folder
        #: The folder or URL the project was opened from, to open it again
        #: (a URL as given: print ``store.location``, which has no password).
        self.location = location if location is not None else str(folder)
        #: Whether media under :attr:`folder` is stored relative to it.
        self.relative_media = relative_media
        self.user = user
        #: Seconds since the epoch; tests replace it with a fake clock.
        self.clock = clock
        #: Correct mode: a reviewer may change the shapes of the batch under review.
        self.correcting = False
        self.stack = CommandStack(store, user.name, guard=self._check_edit)
        self._team_media = self._open_team_media() if is_team_url(self.location) else None
        #: Team mode in the app: the local copy of the open batch and its
        #: journal (see :meth:`enable_offline`); None in the CLI and for folders.
        self.working_copy: WorkingCopy | None = None
        #: The server's store while :attr:`store` is the offline-capable one.
        self._server: SqlStore | None = None
        self._team_store: TeamStore | None = None
        self._followed_batch: int | None = None
        self._offline_listeners: list[Callable[[bool], None]] = []

    def _check_edit(self, command: Command) -> None:
        self._check_edit_in(self.store, command)

    def _check_edit_in(self, store: SqlStore, command: Command) -> None:
        # Re-read the user and batches inside the edit's transaction: a lead
        # may have changed a role or a batch state since the project opened.
        items = sorted(command.item_ids())
        found, batches = store.edit_context(self.user.name, items)
        user = found or self.user
        for item_id in items:
            check_edit(batches[item_id], user, self.correcting)

    # -- opening -------------------------------------------------------------

    @classmethod
    def open(cls, location: str | os.PathLike[str], user: str | None = None,
             media_root: str | os.PathLike[str] | None = None) -> Project:
        """Open a project as ``user``.

        In team mode, without ``user`` or ``$ANNOTATOR_USER``, the user is
        the database login role of the URL (the server enforces its rights).
        A name the project has not seen works as an annotator and is
        registered when something needs it (an assignment); merely opening,
        or a refused command, writes nothing.  ``location`` is a folder or,
        in team mode, a ``postgresql://`` URL; a URL project has no folder,
        so its relative media paths start at ``media_root`` (else
        ``$ANNOTATOR_MEDIA_ROOT``, else the project's first media root, else
        they are stored absolute): each client mounts the media where it may.
        """
        store = open_project(location)
        try:
            name = current_user_name(user)
            if is_team_url(location) and not (user or os.environ.get("ANNOTATOR_USER", "").strip()):
                # In team mode a person is their database login role: the
                # server's row policies know them by it, whatever the PC's login.
                name = str(store._one("SELECT current_user")[0])
            member = store.get_user(name) or User(name, Role.ANNOTATOR)
            folder, relative = cls._media_base(store, location, media_root)
        except BaseException:
            store.close()
            raise
        where = str(location) if is_team_url(location) else str(folder)
        return cls(store, folder, member, location=where, relative_media=relative)

    @staticmethod
    def _media_base(store: SqlStore, location: str | os.PathLike[str],
                    media_root: str | os.PathLike[str] | None) -> tuple[Path, bool]:
        if not is_team_url(location):
            return Path(location).resolve(), True
        if media_root is None:
            media_root = os.environ.get("ANNOTATOR_MEDIA_ROOT") or None
        if media_root is not None:
            root = Path(media_root).resolve()
            if not root.is_dir():
                raise ProjectError(f"{media_root}: media root folder does not exist")
            return root, True
        raw = store.get_meta("media_roots")
        roots = [Path(p) for p in json.loads(raw)] if raw else []
        if roots:
            return roots[0], True
        return Path.cwd(), False

    @classmethod
    def create(
        cls,
        location: str | os.PathLike[str],
        schema: LabelSchema,
        user: str | None = None,
        media_roots: Sequence[str | os.PathLike[str]] = (),
    ) -> Project:
        """A new project whose creator is its lead."""
        name = current_user_name(user)
        roots = [str(Path(r).resolve()) for r in media_roots]
        for root in roots:
            if not Path(root).is_dir():
                raise ProjectError(f"{root}: media folder does not exist")
        store = create_project(location, schema, name)
        try:
            if roots:
                store.set_meta("media_roots", json.dumps(roots))
            user_obj = store.get_user(name)
            assert user_obj is not None
            folder, relative = cls._media_base(store, location, None)
        except BaseException:
            store.close()
            raise
        where = str(location) if is_team_url(location) else str(folder)
        return cls(store, folder, user_obj, location=where, relative_media=relative)

    def close(self) -> None:
        if self._team_media is not None:
            self._team_media.close()
            self._team_media = None
        if self.working_copy is not None:
            self.working_copy.close()
        if self._team_store is not None:
            if self._server is not None:
                self._server.close()
            return
        self.store.close()

    # -- team mode: working on while the server is away ------------------------------

    @classmethod
    def open_offline(cls, location: str, user: str | None = None,
                     media_root: str | os.PathLike[str] | None = None) -> Project:
        """Open a team project from this computer's working copy, the server being away.

        Only a project opened here before (its batch copied) can; the edits
        made are journaled and sent by :meth:`try_online`.
        """
        from annotator.store.postgres import PostgresBackend, display_url

        name = user or os.environ.get("ANNOTATOR_USER", "").strip() or \
            PostgresBackend(location).params_user() or current_user_name(None)
        copy = WorkingCopy.for_project(display_url(location), name)
        if not copy.exists():
            raise OfflineError(f"{display_url(location)}: the server cannot be reached and "
                               "this computer has no offline copy of the project")
        local = copy.open()
        member = local.get_user(name) or User(name, Role.ANNOTATOR)
        # the copy holds the project's settings, its media roots among them
        folder, relative = cls._media_base(local, location, media_root)
        project = cls(local, folder, member, location=location, relative_media=relative)
        project._attach(copy, None)
        return project

    def enable_offline(self) -> WorkingCopy:
        """Keep a working copy of the open batch and work on through outages (the app does)."""
        if not is_team_url(self.location):
            raise ProjectError(f"{self.location}: only team projects work offline")
        if self.working_copy is None:
            copy = WorkingCopy.for_project(self.store.location, self.user.name)
            copy.open(self.store.label_schema)
            self._attach(copy, self.store)
        assert self.working_copy is not None
        return self.working_copy

    def _attach(self, copy: WorkingCopy, server: SqlStore | None) -> None:
        self.working_copy = copy
        self._server = server
        self._team_store = TeamStore(server, copy.store, self.go_offline)
        listeners = list(self.stack._listeners)
        self.store = cast(SqlStore, self._team_store)
        self.stack = CommandStack(self.store, self.user.name, guard=self._check_edit)
        for listener in [*listeners, self._follow_edit]:
            self.stack.subscribe(listener)

    @property
    def offline(self) -> bool:
        return self._team_store is not None and self._team_store.offline

    def pending_edits(self) -> int:
        """Edits made offline that wait for the server."""
        return 0 if self.working_copy is None else self.working_copy.pending()

    def on_offline_change(self, listener: Callable[[bool], None]) -> None:
        """``listener(offline)`` when the project goes offline or back online."""
        self._offline_listeners.append(listener)

    def follow_batch(self, batch_id: int | None) -> None:
        """Keep batch ``batch_id`` in the working copy (called when one of its items opens)."""
        if (self.working_copy is None or self.offline or self._server is None
                or batch_id is None or batch_id == self._followed_batch):
            return
        try:
            if self.working_copy.refresh_batch(self._server, batch_id):
                self._followed_batch = batch_id
        except OfflineError:
            self.go_offline()

    def _follow_edit(self, event: str, command: Command) -> None:
        if self.working_copy is None or self.offline or self._server is None:
            return
        try:
            self.working_copy.follow(command, undone=event == "undo", server=self._server)
        except OfflineError:
            pass  # the edit committed; the copy catches up with the batch next time

    def go_offline(self) -> None:
        """Switch to the working copy (the server went away); a no-op without one."""
        team = self._team_store
        if team is None or team.offline or self.working_copy is None:
            return
        if self.working_copy.batch_id() is None:
            return  # nothing copied yet: nothing to work on offline
        team.offline = True
        self.stack._top = None
        for listener in list(self._offline_listeners):
            listener(True)

    def server_answers(self) -> bool:
        """Whether the server takes a new connection now (safe from a worker thread)."""
        from annotator.store.postgres import PostgresBackend

        try:
            PostgresBackend(self.location, connect_timeout_s=3).connect().close()
        except AnnotatorError:
            return False
        return True

    def try_online(self) -> ReplayReport | None:
        """Back to the server if it answers: replay the journal, then work online.

        None while the server is still away (or the project is online);
        otherwise what the replay sent and what it could not (conflicts
        with both versions).  The journal file stays until every edit is sent.
        """
        team, copy = self._team_store, self.working_copy
        if team is None or copy is None or not team.offline:
            return None
        try:
            if self._server is None:
                self._server = open_project(self.location)
            server = self._server
            server._one("SELECT 1")
        except OfflineError:
            return None
        replay_stack = CommandStack(server, self.user.name,
                                    guard=lambda c: self._check_edit_in(server, c))
        report = copy.replay(server, replay_stack)
        if not report.finished:
            return None
        team.server = server
        team.offline = False
        self.stack._top = None
        self._followed_batch = None
        batch = copy.batch_id()
        try:
            self.follow_batch(batch)
        except AnnotatorError:
            pass  # the batch may be gone from this user's view (reassigned)
        for listener in list(self._offline_listeners):
            listener(False)
        return report

    # -- edits: one command each, sent once ---------------------------------------------

    def push(self, command: Command) -> Command:
        """Apply an edit through the undo stack; offline, into the journal.

        In team mode each edit carries an operation id recorded with it on
        the server, so an edit whose acknowledgement the network lost is
        journaled and never applied twice.
        """
        if self.working_copy is None:
            return self.stack.push(command)
        op_id = uuid.uuid4().hex
        payload = json.dumps(command.to_payload())
        if not self.offline:
            try:
                return self.stack.push(command, op_id)
            except OfflineError:
                self.go_offline()
                if not self.offline:
                    raise
            command = command_from_payload(payload)
        return self.stack.push(command, op_id)

    def undo(self) -> Command | None:
        return self._step(self.stack.undo, "undo")

    def redo(self) -> Command | None:
        return self._step(self.stack.redo, "redo")

    def _step(self, step: Callable[[], Command | None], what: str) -> Command | None:
        was_offline = self.offline
        try:
            done = step()
        except OfflineError:
            self.go_offline()
            if not self.offline:
                raise
            raise OfflineError(f"offline: {what} of edits made before the connection dropped "
                               "waits for the server; new edits are kept") from None
        if done is None and was_offline and self.offline:
            raise OfflineError(f"offline: {what} reaches back to your first edit made offline; "
                               "older edits wait for the server")
        return done

    def __enter__(self) -> Project:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema(self) -> LabelSchema:
        return self.store.label_schema

    # -- media ---------------------------------------------------------------

    def media_roots(self) -> list[Path]:
        raw = self.store.get_meta("media_roots")
        return [Path(p) for p in json.loads(raw)] if raw else []

    def stored_path(self, path: Path, roots: Sequence[Path] | None = None) -> str:
        """Project-relative POSIX path when inside the project folder, else absolute.

        ``path`` must be absolute and resolved; ``roots`` are the media roots
        (read from the store when not given).
        """
        if self.relative_media and path.is_relative_to(self.folder):
            return path.relative_to(self.folder).as_posix()
        roots = self.media_roots() if roots is None else roots
        if roots and not any(path.is_relative_to(r) for r in roots):
            allowed = ", ".join(str(r) for r in [self.folder, *roots])
            raise MediaError(f"{path}: outside the project's media folders ({allowed})")
        return str(path)

    def resolve(self, item: Item) -> Path:
        """The file of an item on this machine.

        In team mode a file stored in the database comes from the local
        media cache, fetched first when missing (this blocks: the app calls
        it off its GUI thread unless :meth:`media_ready`); a file that was
        never uploaded is looked for under the media root.
        """
        media = self.team_media
        return self._media_root_path(item) if media is None else media.resolve(item)

    def _media_root_path(self, item: Item) -> Path:
        path = Path(item.path)
        return path if path.is_absolute() else self.folder / path

    def media_path(self, item: Item) -> Path:
        """Where :meth:`resolve` puts the item's file; never blocks."""
        media = self.team_media
        return self._media_root_path(item) if media is None else media.path(item)

    def media_ready(self, item: Item) -> bool:
        """Whether :meth:`resolve` returns without waiting for the network."""
        media = self.team_media
        return True if media is None else media.ready(item)

    def prefetch(self, items: Sequence[Item]) -> None:
        """Fetch ``items``' files into the cache in the background (team mode; else nothing)."""
        media = self.team_media
        if media is not None:
            media.prefetch(items)

    @property
    def team_media(self) -> TeamMedia | None:
        """The media cache and prefetcher of a team project (None for a folder project)."""
        return self._team_media

    def _open_team_media(self) -> TeamMedia:
        # Its own connections, opened when first needed: fetches run on
        # worker threads while this thread uses self.store.
        url = self.location

        def open_store() -> SqlStore:
            from annotator.store.postgres import PostgresBackend

            return SqlStore(PostgresBackend(url))

        return TeamMedia(open_store, self._media_root_path)

    def _collect(self, paths: Iterable[str | os.PathLike[str]], report: ImportReport
                 ) -> list[Path]:
        """Resolved media files under ``paths``, in a stable order."""
        found: list[Path] = []
        own_db = self.folder / DB_FILE
        for raw in paths:
            path = Path(raw).resolve()
            if path.is_dir():
                for sub in sorted(self._walk(path)):
                    if sub.name.startswith(DB_FILE) and sub.with_name(DB_FILE) == own_db:
                        continue  # the project's own database, when importing its folder
                    if sub.suffix.lower() in MEDIA_SUFFIXES:
                        found.append(sub)
                    else:
                        report.ignored.append(str(sub))
            elif not path.exists():
                raise MediaError(f"{raw}: no such file or folder")
            elif not _regular_file(path):
                raise MediaError(f"{raw}: not a regular file")
            else:
                found.append(path)
        return found

    @staticmethod
    def _walk(folder: Path) -> Iterator[Path]:
        """Regular files below a resolved folder; hidden entries and symlinks skipped.

        Skipping symlinks keeps every path inside ``folder`` (no resolve per
        file) and means a link loop cannot make an import run forever.
        """
        pending = [str(folder)]
        while pending:
            with os.scandir(pending.pop()) as entries:
                for entry in entries:
                    if entry.name.startswith(".") or entry.is_symlink():
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        pending.append(entry.path)
                    elif entry.is_file(follow_symlinks=False):
                        yield Path(entry.path)

    def import_media(
        self, paths: Iterable[str | os.PathLike[str]], progress: Progress | None = None
    ) -> ImportReport:
        """Register media files (folders searched recursively), all or nothing.

        Every file is read (header and checksum) before anything is written;
        one bad file refuses the whole import and leaves the project as it was.
        """
        require_lead(self.user, "import media")
        report = ImportReport()
        files = self._collect(paths, report)
        roots = self.media_roots()
        stored = [self.stored_path(p, roots) for p in files]
        unique = dict(zip(stored, files, strict=True))  # the same file named twice
        existing = self.store.existing_paths(list(unique))
        todo = [(f, s) for s, f in unique.items() if s not in existing]
        report.skipped_existing = sorted(existing)
        team = is_team_url(self.location)
        reading = progress if progress is None or not team else (
            lambda done, total: progress(done, 2 * total))
        items = self._read_items(todo, reading)
        if team and items:
            # Blobs first, each in its own transaction: no item ever names
            # content the database does not have.
            self._upload(todo, items, progress)
        if items:
            report.added = self.store.add_items(items)
        return report

    def _upload(self, todo: Sequence[tuple[Path, str]], items: Sequence[Item],
                progress: Progress | None) -> None:
        done = blob_present(self.store, [item.sha256 for item in items])
        for index, ((path, _stored), item) in enumerate(zip(todo, items, strict=True), start=1):
            if item.sha256 not in done:
                upload_file(self.store, path, item.sha256)
                done.add(item.sha256)
            if progress:
                progress(len(items) + index, 2 * len(items))

    @staticmethod
    def _read_items(todo: Sequence[tuple[Path, str]], progress: Progress | None) -> list[Item]:
        # One thread: header parsing holds the GIL, and a pool measured slower
        # (benchmarks/bench_import.py).
        items: list[Item] = []
        for index, (path, stored) in enumerate(todo, start=1):
            info = probe(path)
            items.append(_item(info, stored, sha256_file(path), path.stat().st_size))
            if progress and (index % 256 == 0 or index == len(todo)):
                progress(index, len(todo))
        return items

    # -- batches ---------------------------------------------------------------

    def create_batch(self, name: str, item_ids: Sequence[int], comment: str = "") -> Batch:
        require_lead(self.user, "create batches")
        if not name.strip():
            raise StoreError("a batch needs a name")
        if not item_ids:
            raise StoreError(f"batch {name!r} would be empty: no items given")
        entry = HistoryEntry(now(), self.user.name, "create", None, BatchState.OPEN, comment)
        return self.store.create_batch(name.strip(), item_ids, entry)

    def unbatched_item_ids(self) -> list[int]:
        return self.store.unbatched_item_ids()

    @_retrying
    def batch_action(
        self,
        key: int | str,
        action: str,
        comment: str = "",
        assignee: str | None = None,
        reviewer: str | None = None,
        acknowledge_warnings: bool = False,
    ) -> Batch:
        """Move a batch through the workflow; the history entry is written with it.

        A submit runs validation over the batch first (inside the same
        transaction, so nobody edits between the check and the move): errors
        refuse it, warnings need ``acknowledge_warnings``.
        """
        with self.store.transaction():
            batch = self.store.get_batch(key)
            errors = warnings = 0
            if action == "submit":
                findings = self.validate(batch.id)
                errors, warnings = error_count(findings), warning_count(findings)
            updated, entry = transition(
                batch, action, self.user, now(), comment, assignee=assignee, reviewer=reviewer,
                validation_errors=errors, validation_warnings=warnings,
                warnings_acknowledged=acknowledge_warnings,
            )
            if reviewer:
                person = self.store.ensure_user(reviewer, Role.REVIEWER)
                if person.role is Role.ANNOTATOR:
                    raise StoreError(f"{reviewer} is an annotator; make them a reviewer first "
                                     "('annotator user add PROJECT NAME --role reviewer')")
            if action == "submit":
                self.store.record_submission(int(batch.id or 0), self.user.name, entry.at)
            return self.store.save_batch(updated, entry)

    def _member(self) -> User:
        # The role as stored now: a lead may have changed it since the project opened.
        return self.store.get_user(self.user.name) or self.user

    def _batch_id(self, batch: int | str | Batch) -> int:
        if isinstance(batch, Batch):
            return int(batch.id or 0)
        return int(self.store.get_batch(batch).id or 0)

    @_retrying
    def create_batches(
        self,
        name: str,
        *,
        size: int | None = None,
        by_folder: bool = False,
        sample: int | None = None,
        seed: int | None = None,
        item_ids: Sequence[int] | None = None,
        comment: str = "",
    ) -> list[Batch]:
        """Cut batches from ``item_ids`` (default: every unbatched item, in id order).

        ``size`` cuts consecutive chunks of that many items; ``by_folder``
        makes one batch per media folder (named after it); ``sample`` takes
        that many items at random (``seed`` makes the draw repeatable) and
        may be combined with ``size``.  Names get ``-001``... (or the folder)
        when more than one batch is made.  All batches are created in one
        transaction: a refused one leaves none behind.
        """
        require_lead(self.user, "create batches")
        if size is not None and size < 1:
            raise StoreError("a batch size must be at least 1")
        if by_folder and (sample is not None or size is not None):
            raise StoreError("batches by folder take no size or sample")
        ids = list(item_ids) if item_ids is not None else self.store.unbatched_item_ids()
        if not ids:
            raise StoreError("no items to put in a batch (all items are batched already)")
        if sample is not None:
            if not 1 <= sample <= len(ids):
                raise StoreError(f"cannot sample {sample} item(s): {len(ids)} available")
            ids = sorted(random.Random(seed).sample(ids, sample))  # noqa: S311 (not secret)
        groups: list[tuple[str, list[int]]]
        if by_folder:
            folders: dict[str, list[int]] = {}
            for item_id in ids:
                parent = PurePosixPath(self.store.get_item(item_id).path).parent.as_posix()
                folders.setdefault(parent, []).append(item_id)
            # Named by the part of the folder path that differs between them.
            kinds = {PurePosixPath(f).is_absolute() for f in folders}
            common = PurePosixPath(os.path.commonpath(list(folders))) if len(kinds) == 1 else None
            groups = []
            for parent, members in folders.items():
                if len(folders) == 1:
                    groups.append((name, members))
                    continue
                tail = PurePosixPath(parent).relative_to(common) if common else parent
                label = str(tail).strip("/").replace("/", "_") or "root"
                groups.append((f"{name}-{label}", members))
        else:
            chunk = size or len(ids)
            parts = [ids[i:i + chunk] for i in range(0, len(ids), chunk)]
            groups = [(name if len(parts) == 1 else f"{name}-{n:03d}", part)
                      for n, part in enumerate(parts, start=1)]
        with self.store.transaction():
            return [self.create_batch(label, members, comment) for label, members in groups]

    # -- item status, comments, changes, time ------------------------------------

    @_retrying
    def mark_item(self, item_id: int, status: str | None) -> None:
        """Mark an item of the user's batch ``done``, ``verified_empty``, or clear it (None)."""
        if status is not None and status not in ITEM_STATUSES:
            raise StoreError(f"unknown item status {status!r} (known: {', '.join(ITEM_STATUSES)})")
        with self.store.transaction():
            self.store.get_item(item_id)
            batch = self.store.batch_for_item(item_id)
            check_mark(batch, self._member())
            assert batch is not None
            self.store.set_item_status(item_id, int(batch.id or 0), status, self.user.name,
                                       now())

    def item_statuses(self, batch: int | str | Batch) -> dict[int, str | None]:
        """Every item id of the batch with ``done``, ``verified_empty`` or None."""
        return self.store.item_statuses(self._batch_id(batch))

    def next_not_done(self, batch: int | str | Batch, after: int | None = None) -> int | None:
        """The first item after ``after`` (wrapping around) not marked yet; None when all are."""
        pending = [i for i, s in self.item_statuses(batch).items() if s is None]
        if not pending:
            return None
        later = [i for i in pending if after is None or i > after]
        return later[0] if later else pending[0]

    @_retrying
    def add_comment(
        self,
        batch: int | str | Batch,
        item: int,
        text: str,
        annotation_id: int | None = None,
        position: Sequence[float] | None = None,
    ) -> ReviewComment:
        """Pin a review comment to an item, optionally to one of its shapes or a spot."""
        if not text.strip():
            raise StoreError("a review comment needs some text")
        with self.store.transaction():
            found = self.store.get_batch(self._batch_id(batch))
            check_comment(found, self._member())
            if item not in self.store.item_statuses(int(found.id or 0)):
                raise StoreError(f"item {item} is not in batch {found.name!r}")
            if annotation_id is not None:
                shape = self.store.get_annotation(annotation_id)
                if shape is None or shape.item_id != item:
                    raise StoreError(f"annotation {annotation_id} is not on item {item}")
            spot = None if position is None else tuple(float(v) for v in position)
            return self.store.add_comment(ReviewComment(
                None, int(found.id or 0), item, text.strip(), self.user.name,
                annotation_id=annotation_id, position=spot, created_at=now()))

    @_retrying
    def resolve_comment(self, comment_id: int) -> ReviewComment:
        """The assignee marks a comment dealt with; who and when are kept for good."""
        with self.store.transaction():
            comment = self.store.get_comment(comment_id)
            check_resolve(self.store.get_batch(comment.batch_id), self._member())
            return self.store.resolve_comment(comment_id, self.user.name, now())

    def comments(self, batch: int | str | Batch, unresolved_only: bool = False
                 ) -> list[ReviewComment]:
        return self.store.comments(self._batch_id(batch), unresolved_only)

    def changes_since_submission(self, batch: int | str | Batch
                                 ) -> dict[int, dict[str, list[int]]]:
        """Shapes added, changed and deleted per item since the previous submission.

        While the batch is being reworked (open, in progress, rejected), the
        base is its latest submission; once submitted or accepted, the base
        is the submission before that one, so the reviewer sees what the
        resubmission changed.  No base (a first submission): ``{}``.
        Only items with a change appear.
        """
        found = self.store.get_batch(self._batch_id(batch))
        batch_id = int(found.id or 0)
        with self.store.snapshot():
            numbers = self.store.submission_numbers(batch_id)
            reviewing = found.state in (BatchState.SUBMITTED, BatchState.ACCEPTED)
            base_index = len(numbers) - (2 if reviewing else 1)
            if base_index < 0:
                return {}
            before = self.store.submission_shapes(batch_id, numbers[base_index])
            current = self.store.current_shapes(batch_id)
        changes: dict[int, dict[str, list[int]]] = {}

        def note(item_id: int, kind: str, annotation_id: int) -> None:
            entry = changes.setdefault(item_id, {"added": [], "changed": [], "deleted": []})
            entry[kind].append(annotation_id)

        for annotation_id, now_row in sorted(current.items()):
            old = before.get(annotation_id)
            if old is None or old[2] != now_row[2]:  # new, or a new shape on a reused id
                note(now_row[0], "added", annotation_id)
                if old is not None:
                    note(old[0], "deleted", annotation_id)
            elif old != now_row:
                note(now_row[0], "changed", annotation_id)
        for annotation_id, (item_id, _revision, _created) in sorted(before.items()):
            if annotation_id not in current:
                note(item_id, "deleted", annotation_id)
        return dict(sorted(changes.items()))

    @_retrying
    def record_activity(self, item_id: int, at: float | None = None) -> float:
        """The user did something on ``item_id`` (an edit, a navigation) at ``at``.

        The time since their previous event is credited to the item that was
        in focus then, unless it exceeds :data:`IDLE_AFTER_SECONDS`.  Returns
        the seconds credited.
        """
        when = self.clock() if at is None else at
        with self.store.transaction():
            batch = self.store.batch_for_item(item_id)
            return self.store.record_activity(
                self.user.name, item_id, int(batch.id or 0) if batch else 0, when,
                IDLE_AFTER_SECONDS)

    def active_seconds(self, user: str | None = None, batch: int | str | Batch | None = None,
                       item: int | None = None) -> float:
        """Active seconds, filtered by any of user, batch and item."""
        batch_id = None if batch is None else self._batch_id(batch)
        return self.store.active_seconds(user, batch_id, item)

    # -- figures ------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """``annotator stats --json``: counts plus the QA figures of the lead dashboard.

        ``people[user]``: ``items`` they marked done or verified empty,
        ``shapes`` they authored, ``active_seconds``, ``first_pass_acceptance``
        (share of their batches whose first submission was accepted; None
        before any decision) and throughput per active hour.
        ``batches_by_state`` lists every state, rejected included, with
        batches, items and items done; ``batch_progress`` the same per batch.
        """
        with self.store.snapshot():
            base = self.store.stats()
            batches = self.store.list_batches()
            done = self.store.done_counts()
            history = self.store.all_history()
            reasons = self.store.reject_reasons()
            seconds = self.store.active_seconds_by_user()
            batch_seconds = self.store.active_seconds_by_batch()
            shapes = self.store.shapes_by_author()
            items_done = self.store.items_done_by()
        by_state: dict[str, dict[str, int]] = {
            s.value: {"batches": 0, "items": 0, "done": 0} for s in BatchState}
        progress = []
        for b in batches:
            row = by_state[b.state.value]
            row["batches"] += 1
            row["items"] += b.items
            row["done"] += done.get(int(b.id or 0), 0)
            progress.append({"id": b.id, "name": b.name, "state": b.state.value,
                             "assignee": b.assignee, "items": b.items,
                             "done": done.get(int(b.id or 0), 0),
                             "active_seconds": round(batch_seconds.get(int(b.id or 0), 0.0),
                                                     3)})
        first_pass = _first_pass(history)
        names = sorted(set(seconds) | set(shapes) | set(items_done) | set(first_pass))
        people: dict[str, dict[str, Any]] = {}
        for name in names:
            active = round(seconds.get(name, 0.0), 3)
            hours = active / 3600
            decided = first_pass.get(name, [])
            people[name] = {
                "items": items_done.get(name, 0),
                "shapes": shapes.get(name, 0),
                "active_seconds": active,
                "first_pass_acceptance": (round(sum(decided) / len(decided), 4)
                                          if decided else None),
                "items_per_active_hour": (round(items_done.get(name, 0) / hours, 2)
                                          if hours else None),
                "shapes_per_active_hour": (round(shapes.get(name, 0) / hours, 2)
                                           if hours else None),
            }
        per_class = {c.name: 0 for c in self.schema.classes}
        per_class.update(base["by_class"])
        return {
            **base,
            "people": people,
            "batches_by_state": by_state,
            "batch_progress": progress,
            "rejection_reasons": reasons,
            "shapes_per_class": per_class,
            "throughput": {n: {"items_per_active_hour": p["items_per_active_hour"],
                               "shapes_per_active_hour": p["shapes_per_active_hour"]}
                           for n, p in people.items()},
        }

    # -- validation ------------------------------------------------------------

    def entries(self, batch_id: int | None = None, batch_state: str | None = None,
                ) -> Iterator[tuple[Item, list[Annotation]]]:
        """Items with their annotations, a page at a time, in id order."""
        for items in self.store.iter_items(batch_id, batch_state):
            found = self.store.annotations_for_items([int(i.id or 0) for i in items])
            for item in items:
                yield item, found[int(item.id or 0)]

    def validate(self, batch: int | str | None = None) -> list[Finding]:
        """Every finding of the validation rules, for one batch or the whole project."""
        batch_id = None if batch is None else self.store.get_batch(batch).id
        with self.store.snapshot():
            return validate_items(self.schema, self.entries(batch_id), self._cloud_of)

    def _cloud_of(self, item: Item) -> PointCloud | None:
        """The points of a point-cloud item, for the cuboid rules (read when asked)."""
        return read_pointcloud(self.resolve(item)) if item.kind == "pointcloud" else None

    def set_role(self, name: str, role: Role) -> User:
        require_lead(self.user, "change roles")
        return self.store.set_role(name, role)


def _first_pass(history: Sequence[tuple[int, HistoryEntry]]) -> dict[str, list[bool]]:
    """Per submitter: for each batch whose first submission was decided, accepted or not.

    The first submission's decision is the batch's first accept or reject.
    """
    submitter: dict[int, str] = {}
    decided: set[int] = set()
    result: dict[str, list[bool]] = {}
    for batch_id, entry in history:
        if entry.action == "submit" and batch_id not in submitter:
            submitter[batch_id] = entry.user
        elif (entry.action in ("accept", "reject") and batch_id in submitter
              and batch_id not in decided):
            decided.add(batch_id)
            result.setdefault(submitter[batch_id], []).append(entry.action == "accept")
    return result


def _item(info: MediaInfo, stored: str, digest: str, size: int) -> Item:
    if info.kind not in ("image", "pointcloud"):
        raise AnnotatorError(f"{stored}: unknown media kind {info.kind!r}")
    return Item(
        id=None, path=stored, kind=info.kind, format=info.format, sha256=digest,
        size_bytes=size, width=info.width, height=info.height, points=info.points,
        encoding=info.encoding, fields=tuple(info.fields), crs=info.crs,
        origin=_origin(info),
    )


def _origin(info: MediaInfo) -> tuple[float, float, float] | None:
    # A point-cloud tile's float64 origin: the low corner of its header bounds,
    # so local float32 coordinates stay small and keep millimetres.
    if info.kind != "pointcloud" or info.bounds is None:
        return None
    low = info.bounds[0]
    return (float(low[0]), float(low[1]), float(low[2]))
