"""A project opened by one user: the store, the rules and the undo stack together.

This is the layer the CLI and the app talk to.  It resolves who is working,
checks what they may do (:mod:`annotator.workflow`), and turns each request
into one store transaction.
"""

from __future__ import annotations

import getpass
import json
import os
import stat
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from annotator.commands import Command, CommandStack
from annotator.errors import AnnotatorError, MediaError, ProjectError, StoreError
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
    Role,
    User,
)
from annotator.store import DB_FILE, SqlStore, create_project, now, open_project
from annotator.workflow import check_edit, require_lead, transition

__all__ = ["ImportReport", "Project", "current_user_name"]

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


class Project:
    """An open project and the person working in it."""

    def __init__(self, store: SqlStore, folder: Path, user: User) -> None:
        self.store = store
        self.folder = folder
        self.user = user
        self.stack = CommandStack(store, user.name, guard=self._check_edit)

    def _check_edit(self, command: Command) -> None:
        # Re-read the user and batches inside the edit's transaction: a lead
        # may have changed a role or a batch state since the project opened.
        user = self.store.get_user(self.user.name) or self.user
        for item_id in sorted(command.item_ids()):
            check_edit(self.store.batch_for_item(item_id), user)

    # -- opening -------------------------------------------------------------

    @classmethod
    def open(cls, location: str | os.PathLike[str], user: str | None = None) -> Project:
        """Open a project as ``user``.

        A name the project has not seen works as an annotator and is
        registered when something needs it (an assignment); merely opening,
        or a refused command, writes nothing.
        """
        store = open_project(location)
        name = current_user_name(user)
        try:
            member = store.get_user(name) or User(name, Role.ANNOTATOR)
        except BaseException:
            store.close()
            raise
        return cls(store, Path(location).resolve(), member)

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
        if roots:
            store.set_meta("media_roots", json.dumps(roots))
        user_obj = store.get_user(name)
        assert user_obj is not None
        return cls(store, Path(location).resolve(), user_obj)

    def close(self) -> None:
        self.store.close()

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
        if path.is_relative_to(self.folder):
            return path.relative_to(self.folder).as_posix()
        roots = self.media_roots() if roots is None else roots
        if roots and not any(path.is_relative_to(r) for r in roots):
            allowed = ", ".join(str(r) for r in [self.folder, *roots])
            raise MediaError(f"{path}: outside the project's media folders ({allowed})")
        return str(path)

    def resolve(self, item: Item) -> Path:
        """The file of an item on this machine."""
        path = Path(item.path)
        return path if path.is_absolute() else self.folder / path

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
        items = self._read_items(todo, progress)
        if items:
            report.added = self.store.add_items(items)
        return report

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
            return self.store.save_batch(updated, entry)

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
