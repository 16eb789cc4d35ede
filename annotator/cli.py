"""The ``annotator`` command line: headless work for leads and scripts.

Exit codes: 0 success, 1 a check found problems, 2 bad input or state (one
line on stderr), 3 an internal error (a bug: please report it), 130 on
Ctrl+C.  ``--json`` output is a stable contract documented in the README.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from annotator import __version__
from annotator.errors import AnnotatorError
from annotator.model import Batch, Role

__all__ = ["main"]

Handler = Callable[[argparse.Namespace], int]


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


def _open(args: argparse.Namespace) -> Any:
    from annotator.project import Project

    return Project.open(args.project, args.user)


# -- init / import / inspect ----------------------------------------------------


def cmd_init(args: argparse.Namespace) -> int:
    from annotator.project import Project
    from annotator.schema import load_schema
    from annotator.store import is_team_url

    schema = load_schema(args.schema)
    with Project.create(args.project, schema, args.user, args.media_root) as project:
        where = project.store.location if is_team_url(args.project) else project.folder
        print(f"created project {where} (schema {schema.name!r}, "
              f"{len(schema.classes)} classes, lead {project.user.name})")
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from annotator.store import migrate_project

    with migrate_project(args.project) as store:
        if store.migrated_from is None:
            print(f"{store.location}: already at store version {store.version()}; nothing to do")
        else:
            saved = f" (backup: {store.backup_path})" if store.backup_path else ""
            print(f"{store.location}: upgraded the store from version {store.migrated_from} "
                  f"to {store.version()}{saved}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    from annotator.exchange import import_annotations
    from annotator.progress import TerminalProgress

    if not args.paths and not args.annotations:
        raise AnnotatorError("import: give media PATHs, --annotations FORMAT:PATH, or both")
    if args.replace and not args.annotations:
        raise AnnotatorError("import: --replace goes with --annotations")
    sources = [_format_and_path(text) for text in args.annotations]
    with _open(args) as project:
        if args.paths:
            bar = TerminalProgress("reading media")
            report = project.import_media(args.paths, progress=bar)
            bar.finish()
            print(f"added {len(report.added)} item(s); {len(report.skipped_existing)} already "
                  f"in the project; {len(report.ignored)} file(s) of other types ignored")
        for format_id, path in sources:
            summary = import_annotations(project, format_id, path, replace=args.replace,
                                         options={"calib": args.calib})
            for problem in summary.problems:
                print(f"note: {problem}", file=sys.stderr)
            replaced = f"; replaced {summary.replaced}" if args.replace else ""
            print(f"imported {summary.total} annotation(s) on {summary.images} item(s) from "
                  f"{path} ({format_id}){replaced}")
    return 0


def _format_and_path(text: str) -> tuple[str, str]:
    format_id, sep, path = text.partition(":")
    if not sep or not format_id or not path:
        raise AnnotatorError(f"--annotations {text!r}: write it as FORMAT:PATH, like "
                             "coco:annotations.json")
    return format_id, path


# -- validate / export --------------------------------------------------------------


def cmd_validate(args: argparse.Namespace) -> int:
    from annotator.geometry import error_count, warning_count

    with _open(args) as project:
        findings = project.validate(args.batch)
        names = {}
        if not args.json:
            for finding in findings:
                if finding.item_id not in names:
                    names[finding.item_id] = project.store.get_item(finding.item_id).path
    if args.json:
        _print_json([f.to_json() for f in findings])
    else:
        for finding in findings:
            print(f"{names[finding.item_id]}: {finding.severity}: {finding.message} "
                  f"[{finding.rule}]")
        print(f"{error_count(findings)} error(s), {warning_count(findings)} warning(s)")
    return 1 if error_count(findings) else 0


def cmd_export(args: argparse.Namespace) -> int:
    from annotator.exchange import export
    from annotator.formats import get_format

    with _open(args) as project:
        delivery = export(project, args.format, args.out, batch=args.batch,
                          accepted_only=args.accepted_only, copy_media=args.with_media,
                          options={"calib": args.calib})
    report = delivery.report
    validation = delivery.manifest["validation"]
    items = "point cloud(s)" if get_format(args.format).media == "pointcloud" else "image(s)"
    print(f"wrote {sum(report.written.values())} annotation(s) on {report.images} {items} "
          f"as {args.format} to {delivery.out}")
    if report.skipped:
        kinds = sorted({f"{s.kind}" for s in report.skipped})
        print(f"skipped {len(report.skipped)} annotation(s) the format cannot hold "
              f"({', '.join(kinds)}); see report.json")
    if validation["errors"] or validation["warnings"]:
        print(f"validation: {validation['errors']} error(s), {validation['warnings']} "
              "warning(s); see validation.html")
    return 0


def cmd_inspect(args: argparse.Namespace) -> int:
    from annotator.media import probe

    info = probe(args.path)
    data = info.to_json()
    if info.kind == "pointcloud":
        data.update(_pointcloud_details(args.path, data["bounds"] is None))
    if args.json:
        _print_json(data)
        return 0
    for key, value in data.items():
        if value in (None, [], (), {}):
            continue
        if key == "bounds":
            value = f"min {value['min']}  max {value['max']}"
        elif key == "field_types":
            value = " ".join(f"{name}:{kind}" for name, kind in value.items())
        elif key == "warnings":
            for line in value:
                print(f"{'warning':>16}: {line}")
            continue
        elif isinstance(value, list):
            value = " ".join(map(str, value))
        print(f"{key:>16}: {value}")
    return 0


def _pointcloud_details(path: str, read_points: bool) -> dict[str, Any]:
    """Field types and header warnings; bounds from the points when the header has none.

    PCD, PLY and KITTI headers carry no bounds, so the points are read (with a
    progress bar on a terminal); LAS/LAZ bounds come from the header.
    """
    from annotator.media.pointcloud import read_pointcloud
    from annotator.media.probe import pointcloud_header
    from annotator.progress import TerminalProgress

    header = pointcloud_header(path)
    details: dict[str, Any] = {
        "field_types": dict(zip(header.fields, header.field_types, strict=False)),
        "warnings": list(header.warnings),
        "bounds_from": "header",
    }
    if read_points:
        bar = TerminalProgress(f"reading {os.path.basename(path)}")
        cloud = read_pointcloud(path, progress=bar)
        bar.finish()
        details["warnings"] = list(dict.fromkeys([*header.warnings, *cloud.warnings]))
        details["bounds_from"] = "points"
        if len(cloud):
            low, high = cloud.bounds()
            details["bounds"] = {"min": low.tolist(), "max": high.tolist()}
    return details


# -- batches ---------------------------------------------------------------------


def _parse_ids(spec: str) -> list[int]:
    """``"1-5,9"`` -> ``[1, 2, 3, 4, 5, 9]``."""
    ids: list[int] = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        match = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
        if not match:
            raise AnnotatorError(f"--items: {part!r} is not an id or a range like 3-9")
        low, high = int(match[1]), int(match[2] or match[1])
        if high < low or high - low > 10_000_000:
            raise AnnotatorError(f"--items: bad range {part!r}")
        ids.extend(range(low, high + 1))
    return ids


def _batch_json(batch: Batch) -> dict[str, Any]:
    return {
        "id": batch.id, "name": batch.name, "state": batch.state.value,
        "assignee": batch.assignee, "reviewer": batch.reviewer, "items": batch.items,
    }


def cmd_batch_create(args: argparse.Namespace) -> int:
    if args.items and (args.folder or args.sample is not None):
        raise AnnotatorError("--items cannot be combined with --folder or --sample")
    if args.size is not None and args.size < 1:
        raise AnnotatorError("--size must be at least 1")
    if args.sample is not None and args.sample < 1:
        raise AnnotatorError("--sample must be at least 1")
    with _open(args) as project:
        ids = _parse_ids(args.items) if args.items else None

        def create() -> list[Batch]:
            # One unit, run again whole when a server aborts it for overlapping
            # another user's; it prints nothing until it has committed.
            with project.store.transaction():
                batches: list[Batch] = project.create_batches(
                    args.name, size=args.size, by_folder=args.folder, sample=args.sample,
                    seed=args.seed, item_ids=ids, comment=args.comment)
                if not (args.assign or args.reviewer):
                    return batches
                return [project.batch_action(batch.id, "assign", assignee=args.assign,
                                             reviewer=args.reviewer) for batch in batches]

        for batch in project.store.retry(create):
            print(f"created batch {batch.id} {batch.name!r} with {batch.items} item(s)")
    return 0


_MARKS = {"done": "done", "verified-empty": "verified_empty", "clear": None}


def cmd_batch_mark(args: argparse.Namespace) -> int:
    with _open(args) as project:
        project.mark_item(args.item, _MARKS[args.status])
        batch = project.store.batch_for_item(args.item)
        statuses = project.item_statuses(batch) if batch else {}
    marked = sum(1 for s in statuses.values() if s)
    print(f"item {args.item}: {args.status} ({marked}/{len(statuses)} item(s) of the batch "
          "marked)")
    return 0


def _position(text: str | None) -> tuple[float, ...] | None:
    if text is None:
        return None
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        values = ()
    if len(values) not in (2, 3) or not all(math.isfinite(v) for v in values):
        raise AnnotatorError(f"--at: {text!r} is not a spot like X,Y or X,Y,Z")
    return values


def _comment_json(comment: Any) -> dict[str, Any]:
    return {
        "id": comment.id, "batch": comment.batch_id, "item": comment.item_id,
        "annotation": comment.annotation_id,
        "position": list(comment.position) if comment.position else None,
        "text": comment.text, "author": comment.author, "at": comment.created_at,
        "resolved": comment.resolved, "resolved_by": comment.resolved_by,
        "resolved_at": comment.resolved_at,
    }


def cmd_batch_comment(args: argparse.Namespace) -> int:
    with _open(args) as project:
        comment = project.add_comment(args.batch, args.item, args.text, args.annotation,
                                      _position(args.at))
    print(f"comment {comment.id} on item {comment.item_id}")
    return 0


def cmd_batch_comments(args: argparse.Namespace) -> int:
    with _open(args) as project:
        comments = project.comments(args.batch, unresolved_only=args.unresolved)
    if args.json:
        _print_json([_comment_json(c) for c in comments])
        return 0
    for c in comments:
        pin = (f" shape {c.annotation_id}" if c.annotation_id is not None else "") + (
            " at " + ",".join(f"{v:g}" for v in c.position) if c.position else "")
        state = f"resolved by {c.resolved_by} {c.resolved_at}" if c.resolved else "open"
        print(f"{c.id:>4}  item {c.item_id}{pin}  {c.author} {c.created_at}  [{state}]  {c.text}")
    return 0


def cmd_batch_resolve(args: argparse.Namespace) -> int:
    with _open(args) as project:
        comment = project.resolve_comment(args.comment_id)
    print(f"comment {comment.id} resolved by {comment.resolved_by}")
    return 0


def cmd_batch_changes(args: argparse.Namespace) -> int:
    with _open(args) as project:
        changes = project.changes_since_submission(args.batch)
    if args.json:
        _print_json({str(k): v for k, v in changes.items()})
        return 0
    for item_id, kinds in changes.items():
        parts = ", ".join(f"{k} {','.join(map(str, v))}" for k, v in kinds.items() if v)
        print(f"item {item_id}: {parts}")
    return 0


def cmd_batch_list(args: argparse.Namespace) -> int:
    with _open(args) as project:
        batches = project.store.list_batches()
    if args.json:
        _print_json([_batch_json(b) for b in batches])
        return 0
    print(f"{'id':>4}  {'name':<24} {'state':<12} {'assignee':<14} {'reviewer':<14} items")
    for b in batches:
        print(f"{b.id:>4}  {b.name:<24} {b.state.value:<12} {b.assignee or '-':<14} "
              f"{b.reviewer or '-':<14} {b.items}")
    return 0


def cmd_batch_assign(args: argparse.Namespace) -> int:
    with _open(args) as project:
        batch = project.batch_action(args.batch, "assign", args.comment,
                                     assignee=args.to, reviewer=args.reviewer)
    print(f"batch {batch.name!r}: assignee {batch.assignee or '-'}, "
          f"reviewer {batch.reviewer or '-'}")
    return 0


def cmd_batch_transition(args: argparse.Namespace) -> int:
    with _open(args) as project:
        batch = project.batch_action(args.batch, args.action, args.comment,
                                     acknowledge_warnings=getattr(args, "acknowledge_warnings",
                                                                  False))
    print(f"batch {batch.name!r} is now {batch.state.value}")
    return 0


def cmd_batch_history(args: argparse.Namespace) -> int:
    with _open(args) as project:
        batch = project.store.get_batch(args.batch)
        history = project.store.batch_history(int(batch.id or 0))
    if args.json:
        _print_json([h.to_json() for h in history])
        return 0
    for h in history:
        moved = f"{h.from_state.value if h.from_state else '-'} -> {h.to_state.value}"
        note = f"  {h.comment}" if h.comment else ""
        print(f"{h.at}  {h.user:<14} {h.action:<8} {moved}{note}")
    return 0


# -- users / stats / demo -----------------------------------------------------------


def cmd_user_add(args: argparse.Namespace) -> int:
    from annotator.store import is_team_url

    with _open(args) as project:
        if is_team_url(project.location):
            # On a server a member is also a login role in a group: the
            # database's rules know them by it (what 'team add-user' does).
            from annotator.store import team
            from annotator.workflow import require_lead

            require_lead(project.user, "manage the team")
            if project.store.get_user(args.name) is None:
                user = team.add_user(project.store, args.name, Role(args.role), None)
            else:
                user = team.set_user_role(project.store, args.name, Role(args.role))
        else:
            user = project.set_role(args.name, Role(args.role))
    print(f"{user.name} is a {user.role.value}")
    return 0


def cmd_team(args: argparse.Namespace) -> int:
    """``annotator team add-user|set-role|remove-user``: database roles of a team project."""
    from annotator.store import team
    from annotator.workflow import require_lead

    password = None
    if getattr(args, "password_stdin", False):
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise AnnotatorError("--password-stdin: no password on standard input")
    with _open(args) as project:
        require_lead(project.user, "manage the team")
        if args.team_command == "add-user":
            user = team.add_user(project.store, args.name, Role(args.role), password)
            print(f"{user.name} is a {user.role.value}"
                  + (" (login role has a password)" if password is not None else ""))
        elif args.team_command == "set-role":
            user = team.set_user_role(project.store, args.name, Role(args.role))
            print(f"{user.name} is a {user.role.value}")
        else:
            dropped = team.remove_user(project.store, args.name)
            print(f"{args.name} removed from the project"
                  + ("; login role dropped" if dropped else ""))
    return 0


def cmd_user_list(args: argparse.Namespace) -> int:
    with _open(args) as project:
        users = project.store.list_users()
    if args.json:
        _print_json([{"name": u.name, "role": u.role.value} for u in users])
    else:
        for u in users:
            print(f"{u.name:<20} {u.role.value}")
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    with _open(args) as project:
        stats = project.stats()
    if args.json:
        _print_json(stats)
        return 0
    print(f"items: {stats['items']}  annotations: {stats['annotations']}")
    for title in ("by_class", "by_kind", "batches"):
        if stats[title]:
            parts = ", ".join(f"{k} {v}" for k, v in stats[title].items())
            print(f"{title.replace('_', ' ')}: {parts}")
    for state, row in stats["batches_by_state"].items():
        if row["batches"]:
            print(f"{state}: {row['batches']} batch(es), {row['done']}/{row['items']} items done")
    for name, person in stats["people"].items():
        rate = person["first_pass_acceptance"]
        print(f"{name}: {person['items']} items, {person['shapes']} shapes, "
              f"{person['active_seconds'] / 3600:.2f} active h, first-pass acceptance "
              f"{'-' if rate is None else f'{rate:.0%}'}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from annotator.demo import build_demo, demo_folder

    folder = Path(args.folder) if args.folder else demo_folder()
    project_path, created = build_demo(folder, args.user, fresh=args.fresh)
    state = "created" if created else "already there"
    print(f"demo project {state}: {project_path}")
    if args.no_open:
        print("explore it with:")
        for line in (f"annotator gui {project_path}", f"annotator stats {project_path}",
                     f"annotator batch list {project_path}"):
            print(f"  {line}")
        return 0
    from annotator.app import run_gui

    return run_gui(project_path, args.user)


def cmd_gui(args: argparse.Namespace) -> int:
    from annotator.app import run_gui

    return run_gui(args.project, args.user)


def cmd_screenshot(args: argparse.Namespace) -> int:
    from annotator.app import screenshot

    match = re.fullmatch(r"(\d{2,5})x(\d{2,5})", args.size)
    if not match:
        raise AnnotatorError(f"--size: {args.size!r} is not like 1600x1000")
    out = screenshot(args.project, Path(args.out), args.item,
                     (int(match[1]), int(match[2])), args.user, args.language,
                     _parse_ids(args.select) if args.select else None)
    print(f"wrote {out}")
    return 0


# -- the parser ----------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="annotator", description="Annotate image and point-cloud tiles; manage batches.")
    parser.add_argument("--version", action="version", version=f"annotator {__version__}")
    parser.add_argument("--user", help="who is working (else $ANNOTATOR_USER, else the login)")
    parser.add_argument("--media-root", dest="open_media_root", metavar="FOLDER",
                        help="team mode: where the relative media paths of a postgresql:// "
                             "project start (default: the project's first media root)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, handler: Handler, help_text: str, parent: Any = commands) -> Any:
        sub = parent.add_parser(name, help=help_text, description=help_text)
        sub.set_defaults(handler=handler)
        return sub

    sub = add("init", cmd_init, "create a project folder (or, in team mode, a project in an "
              "empty PostgreSQL database given as a postgresql:// URL) from a label schema")
    sub.add_argument("project")
    sub.add_argument("--schema", required=True, help="label schema file (YAML or JSON)")
    sub.add_argument("--media-root", action="append", default=[],
                     help="a folder media may be imported from (repeatable); "
                          "without any, files may come from anywhere")

    sub = add("migrate", cmd_migrate,
              "upgrade a project's store to this program's version (a folder is backed up "
              "first; on a server the upgrade is one transaction)")
    sub.add_argument("project")

    sub = add("import", cmd_import,
              "register media files (folders are searched recursively) and/or annotations")
    sub.add_argument("project")
    sub.add_argument("paths", nargs="*", metavar="PATH")
    sub.add_argument("--annotations", action="append", default=[], metavar="FORMAT:PATH",
                     help="annotations to add, like coco:instances.json (repeatable)")
    sub.add_argument("--replace", action="store_true",
                     help="the imported annotations replace those of the items they cover")
    sub.add_argument("--calib", metavar="FILE",
                     help="KITTI calibration (Tr_velo_to_cam, R0_rect) the labels were written "
                          "with (kitti; default: calib/<stem>.txt beside label_2, else identity)")

    sub = add("validate", cmd_validate,
              "check every shape against the schema's rules (exit 1 when errors)")
    sub.add_argument("project")
    sub.add_argument("--batch", help="batch id or name (default: the whole project)")
    sub.add_argument("--json", action="store_true")

    sub = add("export", cmd_export, "write a deliverable folder in an exchange format (lead)")
    sub.add_argument("project")
    sub.add_argument("--format", required=True,
                     help="images: coco, yolo, yolo_obb, voc, labelme, cvat; "
                          "point clouds: kitti, openlabel, cuboids")
    sub.add_argument("--out", required=True, help="new folder to write")
    sub.add_argument("--accepted-only", action="store_true",
                     help="only items of accepted batches")
    sub.add_argument("--batch", help="batch id or name")
    sub.add_argument("--with-media", action="store_true",
                     help="copy the media files into images/ too")
    sub.add_argument("--calib", metavar="FILE",
                     help="KITTI calibration file mapping the LiDAR frame to the camera "
                          "(Tr_velo_to_cam, R0_rect, optional P2; kitti only; default: "
                          "identity, labels in the LiDAR frame)")

    sub = add("inspect", cmd_inspect, "what a media file is: kind, size, points, fields, bounds")
    sub.add_argument("path")
    sub.add_argument("--json", action="store_true")

    sub = add("stats", cmd_stats, "counts of items, annotations and batches")
    sub.add_argument("project")
    sub.add_argument("--json", action="store_true")

    sub = add("demo", cmd_demo, "build the demo project from sample_data and open it")
    sub.add_argument("--folder", help="where to build it (default: your data folder)")
    sub.add_argument("--fresh", action="store_true", help="rebuild it from scratch")
    sub.add_argument("--no-open", action="store_true", help="build it, don't open the app")

    sub = add("gui", cmd_gui, "open the desktop app on a project (the default command)")
    sub.add_argument("project")

    sub = add("screenshot", cmd_screenshot, "render the app offscreen to a PNG")
    sub.add_argument("project")
    sub.add_argument("--item", type=int, help="item id to show (default: where you left off)")
    sub.add_argument("--out", required=True, help="PNG file to write")
    sub.add_argument("--size", default="1600x1000", help="window size, WxH")
    sub.add_argument("--language", choices=["en", "ja"])
    sub.add_argument("--select", help="annotation ids to show selected, like 1,3")

    batch = add("batch", lambda a: 2, "cut, assign and move batches through review")
    actions = batch.add_subparsers(dest="batch_command", metavar="ACTION", required=True)
    sub = add("create", cmd_batch_create, "create batches (lead)", actions)
    sub.add_argument("project")
    sub.add_argument("name")
    sub.add_argument("--items", help="item ids like 1-50,60 (default: every unbatched item)")
    sub.add_argument("--size", type=int, help="cut into batches of this many items")
    sub.add_argument("--folder", action="store_true",
                     help="one batch per media folder, named NAME-FOLDER")
    sub.add_argument("--sample", type=int, metavar="K", help="K items drawn at random")
    sub.add_argument("--seed", type=int, help="seed of --sample (same seed, same draw)")
    sub.add_argument("--assign", help="annotator to assign")
    sub.add_argument("--reviewer", help="reviewer to assign")
    sub.add_argument("--comment", default="")
    sub = add("list", cmd_batch_list, "list batches", actions)
    sub.add_argument("project")
    sub.add_argument("--json", action="store_true")
    sub = add("assign", cmd_batch_assign, "set a batch's annotator and/or reviewer (lead)",
              actions)
    sub.add_argument("project")
    sub.add_argument("batch", help="batch id or name")
    sub.add_argument("--to", help="annotator")
    sub.add_argument("--reviewer")
    sub.add_argument("--comment", default="")
    for action, text in (("start", "start work on a batch (assignee)"),
                         ("submit", "submit a batch for review (assignee)"),
                         ("accept", "accept a submitted batch (reviewer)"),
                         ("reject", "reject a submitted batch with a comment (reviewer)"),
                         ("reopen", "reopen a finished batch (lead)")):
        sub = add(action, cmd_batch_transition, text, actions)
        sub.set_defaults(action=action)
        sub.add_argument("project")
        sub.add_argument("batch", help="batch id or name")
        sub.add_argument("--comment", "-m", default="")
        if action == "submit":
            sub.add_argument("--acknowledge-warnings", action="store_true",
                             help="submit although validation reports warnings")
    sub = add("mark", cmd_batch_mark, "mark an item of your batch done or verified empty",
              actions)
    sub.add_argument("project")
    sub.add_argument("item", type=int, help="item id")
    sub.add_argument("status", choices=list(_MARKS))
    sub = add("comment", cmd_batch_comment,
              "pin a review comment to an item, a shape or a spot (reviewer)", actions)
    sub.add_argument("project")
    sub.add_argument("batch", help="batch id or name")
    sub.add_argument("text")
    sub.add_argument("--item", type=int, required=True, help="item id")
    sub.add_argument("--annotation", type=int, help="annotation id the comment is pinned to")
    sub.add_argument("--at", help="spot X,Y (or X,Y,Z) the comment is pinned to")
    sub = add("comments", cmd_batch_comments, "a batch's review comments", actions)
    sub.add_argument("project")
    sub.add_argument("batch", help="batch id or name")
    sub.add_argument("--unresolved", action="store_true", help="only those not resolved")
    sub.add_argument("--json", action="store_true")
    sub = add("resolve", cmd_batch_resolve, "resolve a review comment (assignee)", actions)
    sub.add_argument("project")
    sub.add_argument("comment_id", type=int)
    sub = add("changes", cmd_batch_changes,
              "shapes added, changed, deleted since the previous submission", actions)
    sub.add_argument("project")
    sub.add_argument("batch", help="batch id or name")
    sub.add_argument("--json", action="store_true")
    sub = add("history", cmd_batch_history, "who moved a batch when", actions)
    sub.add_argument("project")
    sub.add_argument("batch", help="batch id or name")
    sub.add_argument("--json", action="store_true")

    user = add("user", lambda a: 2, "project members and their roles")
    user_actions = user.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    sub = add("add", cmd_user_add, "add a member or change their role (lead)", user_actions)
    sub.add_argument("project")
    sub.add_argument("name")
    sub.add_argument("--role", required=True, choices=[r.value for r in Role])
    sub = add("list", cmd_user_list, "list members", user_actions)
    sub.add_argument("project")
    sub.add_argument("--json", action="store_true")

    team = add("team", lambda a: 2, "team mode: people as database login roles (lead)")
    team_actions = team.add_subparsers(dest="team_command", metavar="ACTION", required=True)
    sub = add("add-user", cmd_team, "create a login role in a role's group and its member row; "
              "no password unless --password-stdin", team_actions)
    sub.add_argument("project", help="postgresql:// URL")
    sub.add_argument("name")
    sub.add_argument("--role", required=True, choices=[r.value for r in Role])
    sub.add_argument("--password-stdin", action="store_true",
                     help="read the new role's password from the first line of standard input")
    sub = add("set-role", cmd_team, "move a member to another role's group", team_actions)
    sub.add_argument("project", help="postgresql:// URL")
    sub.add_argument("name")
    sub.add_argument("--role", required=True, choices=[r.value for r in Role])
    sub = add("remove-user", cmd_team, "take a member out of the project's groups; drop "
              "their login role when no project of the server needs it", team_actions)
    sub.add_argument("project", help="postgresql:// URL")
    sub.add_argument("name")
    return parser


_COMMANDS = {"init", "migrate", "import", "inspect", "stats", "demo", "gui", "screenshot",
             "batch", "user", "team", "validate", "export"}


def _default_to_gui(argv: list[str]) -> list[str]:
    """``annotator PROJECT`` means ``annotator gui PROJECT``.

    A word that is neither a command nor an existing path is left to argparse,
    which names it and lists the commands.
    """
    index = 0
    while index < len(argv) and argv[index].startswith("-"):
        index += 2 if argv[index] in ("--user", "--media-root") else 1
    if (index < len(argv) and argv[index] not in _COMMANDS
            and (os.sep in argv[index] or os.path.exists(argv[index]))):
        return [*argv[:index], "gui", *argv[index:]]
    return argv


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(_default_to_gui(list(sys.argv[1:] if argv is None else argv)))
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 0
    if args.open_media_root:
        # Seen by every opening of a team project in this process (the app's
        # export threads too); a folder project ignores it.
        os.environ["ANNOTATOR_MEDIA_ROOT"] = str(Path(args.open_media_root).resolve())
    try:
        return handler(args)
    except AnnotatorError as exc:
        print(f"annotator: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("annotator: interrupted; nothing half-written was kept", file=sys.stderr)
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # the last line of defence: one line, no traceback
        if os.environ.get("ANNOTATOR_DEBUG"):
            raise
        message = " ".join(str(exc).split())
        print(f"annotator: internal error ({type(exc).__name__}: {message}); please report it",
              file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
