"""Moving annotations between a project and exchange formats.

``export`` turns a selection of the project (a batch, the accepted work)
into a :class:`~annotator.formats.base.ProjectView`, validates it and writes
a deliverable folder; ``import_annotations`` reads a file with a format's
reader, maps its images to the project's items and adds its shapes as one
undoable edit, all or nothing.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from annotator.commands import AddAnnotations, ChangeAnnotations, DeleteAnnotations
from annotator.errors import Cancelled, FormatError
from annotator.formats import (
    ExportItem,
    FormatSpec,
    ImportContext,
    ImportResult,
    ProjectView,
    available,
    get_format,
)
from annotator.formats.deliverable import Delivery, write_deliverable
from annotator.geometry import validate_items
from annotator.model import Annotation, BatchState, Item
from annotator.project import Project
from annotator.workflow import require_lead

__all__ = [
    "ImportSummary",
    "ItemIndex",
    "export",
    "export_view",
    "file_name",
    "import_annotations",
]


def file_name(item: Item, roots: list[Path]) -> str:
    """The name an item has in an export, relative to the images folder.

    Items inside the project keep their project path ("media/a.jpg"); items
    under one of the project's media folders are named relative to it; any
    other file by its base name.
    """
    path = item.path
    if not PurePosixPath(path).is_absolute() and ":" not in path[:3]:
        return path
    absolute = Path(path)
    for root in roots:
        if absolute.is_relative_to(root):
            return absolute.relative_to(root).as_posix()
    return absolute.name


def _selection(project: Project, batch: int | str | None, accepted_only: bool, media: str,
               ) -> tuple[int | None, str | None]:
    batch_id = None
    if batch is not None:
        chosen = project.store.get_batch(batch)
        batch_id = chosen.id
        if accepted_only and chosen.state is not BatchState.ACCEPTED:
            raise FormatError(f"batch {chosen.name!r} is {chosen.state.value}, not accepted; "
                              "drop --accepted-only or accept it first")
    state = BatchState.ACCEPTED.value if accepted_only else None
    if project.store.count_items(batch_id, state, media) == 0:
        what = f"accepted {media} items" if accepted_only else f"{media} items"
        raise FormatError(f"nothing to export: the selection holds no {what}")
    return batch_id, state


def export_view(project: Project, batch: int | str | None = None,
                accepted_only: bool = False, media: str = "image") -> ProjectView:
    """The selected items of one kind with their annotations, read page by page on each pass.

    Image formats get the image items of the selection; point-cloud tiles are
    for the 3D formats.
    """
    batch_id, state = _selection(project, batch, accepted_only, media)
    count = project.store.count_items(batch_id, state, media)

    def source() -> Iterator[ExportItem]:
        roots = project.media_roots()
        for items in project.store.iter_items(batch_id, state, kind=media):
            found = project.store.annotations_for_items([int(i.id or 0) for i in items])
            for item in items:
                yield ExportItem(item, file_name(item, roots), tuple(found[int(item.id or 0)]))

    return ProjectView(project.schema, source, count)


def _options(spec: FormatSpec, options: Mapping[str, Any] | None) -> dict[str, Any]:
    """The settings given for a format, refused when the format does not take them."""
    given = {k: v for k, v in (options or {}).items() if v is not None}
    for name in sorted(set(given) - set(spec.options)):
        takers = [f for f, other in available().items() if name in other.options]
        also = f" (only {', '.join(takers)} does)" if takers else ""
        raise FormatError(f"--{name}: the {spec.id} format takes no such setting{also}")
    return given


def export(project: Project, format_id: str, out: str | os.PathLike[str], *,
           batch: int | str | None = None, accepted_only: bool = False,
           copy_media: bool = False, options: Mapping[str, Any] | None = None,
           progress: Callable[[int, int], bool | None] | None = None) -> Delivery:
    """Write a deliverable folder (a lead's job): format files, manifest, reports.

    ``options`` are the format's settings (``{"calib": path}`` for KITTI).
    ``progress(done, total)`` is called as the items go by (validation, then
    writing: ``total`` counts both passes); returning False cancels the
    export, which raises :class:`~annotator.errors.Cancelled` and leaves no
    output folder behind.
    """
    require_lead(project.user, "export")
    spec = get_format(format_id)
    settings = _options(spec, options)
    with project.store.snapshot():
        view = dataclasses.replace(export_view(project, batch, accepted_only, spec.media),
                                   options=settings)
        if progress is not None:
            view = _watched(view, progress)
        names: dict[int, str] = {}
        items: list[tuple[Item, list[Annotation]]] = []
        for export_item in view.items():
            names[int(export_item.item.id or 0)] = export_item.file_name
            items.append((export_item.item, list(export_item.annotations)))
        findings = validate_items(project.schema, items)
        del items

        def copy(images: Path) -> int:
            copied = 0
            for export_item in view.items():
                source = project.resolve(export_item.item)
                target = images / export_item.file_name
                target.parent.mkdir(parents=True, exist_ok=True)
                try:
                    shutil.copyfile(source, target)
                except OSError as exc:
                    raise FormatError(f"{source}: cannot copy into the deliverable "
                                      f"({exc.strerror or exc}); nothing was written") from None
                copied += 1
            return copied

        selection = {"batch": batch, "accepted_only": accepted_only, "media": copy_media}
        return write_deliverable(view, spec, Path(out), findings=findings, names=names,
                                 selection=selection, copy_media=copy if copy_media else None)


def _watched(view: ProjectView, progress: Callable[[int, int], bool | None]) -> ProjectView:
    """``view`` reporting each item read to ``progress``, which may cancel by returning False.

    The total starts as two passes (validation reads every item once, the
    writer once more) and grows by one pass whenever a writer starts another.
    """
    done = passes = 0
    source = view.source

    def watched() -> Iterator[ExportItem]:
        nonlocal done, passes
        passes += 1
        total = view.count * max(2, passes)
        for export_item in source():
            done += 1
            if progress(done, total) is False:
                raise Cancelled("the export was cancelled; nothing was written")
            yield export_item

    return dataclasses.replace(view, source=watched)


class ItemIndex:
    """Finds the item an imported file name means: its path, else a unique base name."""

    def __init__(self, items: list[Item], roots: list[Path]) -> None:
        self.by_path = {i.path: i for i in items}
        self.by_name = {file_name(i, roots): i for i in items}
        self.by_base: dict[str, list[Item]] = {}
        for item in items:
            self.by_base.setdefault(PurePosixPath(item.path.replace("\\", "/")).name,
                                    []).append(item)

    def lookup(self, name: str) -> Item | None:
        found = self.by_path.get(name) or self.by_name.get(name)
        if found is not None:
            return found
        candidates = self.by_base.get(PurePosixPath(name).name, [])
        return candidates[0] if len(candidates) == 1 else None


@dataclass
class ImportSummary:
    format: str
    images: int = 0
    added: Counter[str] = field(default_factory=Counter)
    replaced: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.added.values())


def _all_items(project: Project) -> list[Item]:
    return [item for page in project.store.iter_items() for item in page]


def import_annotations(project: Project, format_id: str, path: str | os.PathLike[str], *,
                       replace: bool = False,
                       options: Mapping[str, Any] | None = None) -> ImportSummary:
    """Add the shapes of an annotation file to the project as one edit, or nothing."""
    spec = get_format(format_id)
    settings = _options(spec, options)
    source = Path(path)
    if not source.exists():
        raise FormatError(f"{source}: no such file or folder")
    index = ItemIndex(_all_items(project), project.media_roots())
    result = spec.read(source, ImportContext(project.schema, index.lookup, settings,
                                             items=lambda: list(index.by_path.values())))
    additions, covered = _annotations(project, result, index, spec.media)
    keys, links = _links(result)
    summary = ImportSummary(spec.id, len(covered), Counter(a.label for a in additions),
                            problems=list(result.problems))
    if not additions and not replace:
        return summary

    def write() -> None:
        # The whole unit runs again when a server aborts it for overlapping another
        # user's edit: it reads what it replaces inside, and writes nothing outside.
        with project.store.transaction():
            summary.replaced = 0
            if replace:
                old = [a for found in project.store.annotations_for_items(
                    sorted(covered)).values() for a in found]
                summary.replaced = len(old)
                if old:
                    project.stack.push(DeleteAnnotations(
                        old, f"Replace {len(old)} annotation(s) before importing {spec.id}"))
            if additions:
                added = project.stack.push(AddAnnotations(
                    additions, f"Import {len(additions)} annotation(s) from {spec.id}"))
                if links:
                    _link(project, added.written(), keys, links, spec.id)

    project.store.retry(write)
    return summary


def _links(result: ImportResult) -> tuple[list[str | None], dict[int, dict[str, str]]]:
    """The keys of the imported shapes in order, and the links of those that have any;
    a link to a key the import does not hold, or two shapes with one key, is refused."""
    keys = [shape.key for image in result.images for shape in image.shapes]
    named = [k for k in keys if k is not None]
    known = set(named)
    if len(known) != len(named):
        twice = sorted(k for k, n in Counter(named).items() if n > 1)[0]
        raise FormatError(f"{result.format} import: two shapes share the key {twice!r}; "
                          "nothing was imported")
    links: dict[int, dict[str, str]] = {}
    position = 0
    for image in result.images:
        for shape in image.shapes:
            for name, target in shape.links.items():
                if target.removeprefix("-") not in known:
                    raise FormatError(f"{result.format} import: shape {shape.key or position} "
                                      f"links {name!r} to {target!r}, which is not in the "
                                      "import; nothing was imported")
            if shape.links:
                links[position] = dict(shape.links)
            position += 1
    return keys, links


def _link(project: Project, added: Sequence[Annotation], keys: list[str | None],
          links: dict[int, dict[str, str]], format_id: str) -> None:
    """Give the new annotations the links their shapes named by key, as annotation ids
    (negative for a reversed use); a second step of the same transaction."""
    ids = {key: int(a.id or 0) for key, a in zip(keys, added, strict=True) if key is not None}
    before = [added[i] for i in sorted(links)]
    after = [dataclasses.replace(added[i], links={
        name: -ids[target[1:]] if target.startswith("-") else ids[target]
        for name, target in links[i].items()}) for i in sorted(links)]
    project.stack.push(ChangeAnnotations(
        before, after, f"Link {len(after)} imported annotation(s) from {format_id}"))


def _annotations(project: Project, result: ImportResult, index: ItemIndex, media: str,
                 ) -> tuple[list[Annotation], set[int]]:
    """Imported shapes as new annotations; every file must be a known item of the format's
    media kind (an image, or a point-cloud tile), every class known."""
    schema = project.schema
    what = "point-cloud tile(s)" if media == "pointcloud" else "image(s)"
    missing = sorted({i.file_name for i in result.images if index.lookup(i.file_name) is None})
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5
                                          else "")
        raise FormatError(f"{result.format} import: {len(missing)} {what} are not in the "
                          f"project: {shown}; import the media first; nothing was imported")
    other = sorted({i.file_name for i in result.images
                    if (found := index.lookup(i.file_name)) is not None and found.kind != media})
    if other:
        one = "a point-cloud tile" if media == "pointcloud" else "an image"
        raise FormatError(f"{result.format} import: {other[0]} is not {one} in the project, "
                          f"and {result.format} annotates {what.replace('(s)', 's')} only; "
                          "nothing was imported")
    unknown = sorted({s.label for i in result.images for s in i.shapes} - set(schema.names))
    if unknown:
        raise FormatError(f"{result.format} import: classes not in the schema: "
                          f"{', '.join(unknown)}; nothing was imported")
    additions: list[Annotation] = []
    covered: set[int] = set()
    for image in result.images:
        item = index.lookup(image.file_name)
        assert item is not None
        _check_size(result.format, image.file_name, image.width, image.height, item)
        covered.add(int(item.id or 0))
        for shape in image.shapes:
            attributes = {**schema.get(shape.label).default_attributes(), **shape.attributes}
            additions.append(Annotation(None, int(item.id or 0), shape.label, shape.geometry,
                                        attributes=attributes, author=project.user.name))
    return additions, covered


def _check_size(format_id: str, name: str, width: int | None, height: int | None,
                item: Item) -> None:
    if width is None or height is None or item.width is None or item.height is None:
        return
    if (width, height) != (item.width, item.height):
        raise FormatError(f"{format_id} import: {name} is {width}x{height} in the file but "
                          f"{item.width}x{item.height} in the project (after EXIF rotation); "
                          "the shapes would land in the wrong place; nothing was imported")
