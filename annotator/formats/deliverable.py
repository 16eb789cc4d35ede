"""A deliverable folder: the format's files, a manifest, a report, and nothing half-written.

Everything is written into a hidden sibling folder first and renamed into
place at the very end, so a failed or killed export leaves no output folder
at all (only the hidden partial one, removed by the next export to the same
place).  ``manifest.json`` lists the sha256 of every file; ``report.json``
says what was written and skipped; ``validation.html`` is the findings and
statistics a client can read in a browser.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import os
import shutil
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from annotator import __version__
from annotator.errors import FormatError
from annotator.formats.base import FormatSpec, ProjectView, Report, unique_names
from annotator.geometry import Finding

__all__ = ["Delivery", "write_deliverable"]

PARTIAL = ".partial-"


@dataclass
class Delivery:
    """What an export produced, for the CLI and the app to tell the user."""

    out: Path
    report: Report
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def errors(self) -> int:
        return int(self.manifest.get("validation", {}).get("errors", 0))


def _prepare(out: Path) -> Path:
    """Check the destination and make the hidden partial folder beside it."""
    out = out.absolute()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise FormatError(f"{out}: already exists and is not an empty folder; "
                          "choose a new output folder")
    parent = out.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        for stale in parent.glob(f".{out.name}{PARTIAL}*"):
            shutil.rmtree(stale, ignore_errors=True)  # left by a killed export
        partial = parent / f".{out.name}{PARTIAL}{uuid.uuid4().hex[:12]}"
        partial.mkdir()
    except OSError as exc:
        raise FormatError(f"{parent}: cannot write the export here "
                          f"({exc.strerror or exc})") from None
    return partial


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_tree(root: Path) -> None:
    for folder, _, files in os.walk(root):
        for name in files:
            with open(os.path.join(folder, name), "rb") as handle:
                os.fsync(handle.fileno())
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n",
                    encoding="utf-8")


def write_deliverable(
    view: ProjectView,
    spec: FormatSpec,
    out: Path,
    *,
    findings: Sequence[Finding] = (),
    names: Mapping[int, str] | None = None,
    selection: Mapping[str, Any] | None = None,
    copy_media: Callable[[Path], int] | None = None,
) -> Delivery:
    """Export ``view`` as ``spec`` into the new folder ``out``, all or nothing.

    ``names`` maps item ids to file names for the HTML report;
    ``copy_media(folder)`` copies the media files when asked for (into
    ``images/``, or ``pointclouds/`` for a point-cloud format) and returns how
    many it copied.
    """
    unique_names(view.items())
    partial = _prepare(out)
    try:
        report = spec.write(view, partial)
        report.check(view)
        if copy_media is not None:
            copy_media(partial / ("pointclouds" if spec.media == "pointcloud" else "images"))
        _write_json(partial / "report.json", report.to_json())
        (partial / "validation.html").write_text(
            _html(view, spec, report, findings, names or {}), encoding="utf-8")
        manifest = _manifest(view, spec, report, findings, selection or {}, partial)
        _write_json(partial / "manifest.json", manifest)
        _fsync_tree(partial)
        if out.exists():
            out.rmdir()  # an empty folder the user made for us
        os.rename(partial, out)
        _fsync_tree_parent(out)
    except OSError as exc:
        shutil.rmtree(partial, ignore_errors=True)
        raise FormatError(f"{out}: export failed ({exc.strerror or exc}); "
                          "nothing was written") from None
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return Delivery(out.absolute(), report, manifest)


def _fsync_tree_parent(out: Path) -> None:
    descriptor = os.open(out.parent, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _manifest(view: ProjectView, spec: FormatSpec, report: Report,
              findings: Sequence[Finding], selection: Mapping[str, Any],
              root: Path) -> dict[str, Any]:
    severities = Counter(f.severity for f in findings)
    return {
        "format": spec.id,
        "format_title": spec.title,
        "tool": {"name": "annotator", "version": __version__},
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "selection": dict(selection),
        "schema": view.schema.to_json(),
        "images": report.images,
        "annotations": sum(report.written.values()),
        "counts_per_class": {name: report.written.get(name, 0) for name in view.schema.names},
        "skipped": len(report.skipped),
        "converted": len(report.converted),
        "validation": {"errors": severities.get("error", 0),
                       "warnings": severities.get("warning", 0)},
        "files": {name: _sha256(root / name) for name in _files(root)},
    }


_STYLE = """
body { font-family: system-ui, "Noto Sans CJK JP", sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #bbb; padding: 0.3em 0.6em; text-align: left; }
th { background: #eee; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.error { color: #a00; font-weight: bold; }
.warning { color: #8a5a00; }
"""


def _row(cells: Sequence[object], numeric: Sequence[bool] = ()) -> str:
    parts = []
    for index, cell in enumerate(cells):
        css = ' class="n"' if index < len(numeric) and numeric[index] else ""
        parts.append(f"<td{css}>{html.escape(str(cell))}</td>")
    return "<tr>" + "".join(parts) + "</tr>"


def _html(view: ProjectView, spec: FormatSpec, report: Report, findings: Sequence[Finding],
          names: Mapping[int, str]) -> str:
    severities = Counter(f.severity for f in findings)
    kinds: Counter[str] = Counter()
    for export_item in view.items():
        kinds.update(a.kind for a in export_item.annotations)
    lines = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Validation report: {html.escape(view.schema.name)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>Validation report: {html.escape(view.schema.name)}</h1>",
        f"<p>Format {html.escape(spec.title)} ({html.escape(spec.id)}), written by Annotator "
        f"{html.escape(__version__)} on "
        f"{html.escape(dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC'))}.</p>",
        "<h2>Summary</h2><table>",
        _row(["Point-cloud tiles" if spec.media == "pointcloud" else "Images", report.images],
             [False, True]),
        _row(["Annotations written", sum(report.written.values())], [False, True]),
        _row(["Annotations the format cannot hold (skipped)", len(report.skipped)],
             [False, True]),
        _row(["Annotations converted", len(report.converted)], [False, True]),
        f'<tr><td>Validation errors</td><td class="n error">{severities.get("error", 0)}'
        "</td></tr>",
        f'<tr><td>Validation warnings</td><td class="n warning">'
        f'{severities.get("warning", 0)}</td></tr>',
        "</table>",
        "<h2>Annotations per class</h2><table><tr><th>Class</th><th>Written</th></tr>",
        *(_row([name, report.written.get(name, 0)], [False, True])
          for name in view.schema.names),
        "</table>",
        "<h2>Annotations per kind</h2><table><tr><th>Kind</th><th>Count</th></tr>",
        *(_row([kind, count], [False, True]) for kind, count in sorted(kinds.items())),
        "</table>",
    ]
    if report.skipped or report.converted:
        lines.append("<h2>Skipped and converted</h2><table><tr><th>File</th><th>Annotation"
                     "</th><th>Class</th><th>Kind</th><th>What happened</th></tr>")
        for entry in [*report.skipped, *report.converted]:
            lines.append(_row([entry.file_name, entry.annotation_id, entry.label, entry.kind,
                               entry.reason]))
        lines.append("</table>")
    lines.append("<h2>Findings</h2>")
    if findings:
        lines.append("<table><tr><th>File</th><th>Annotation</th><th>Rule</th>"
                     "<th>Severity</th><th>Message</th></tr>")
        for finding in findings:
            severity = html.escape(finding.severity)
            lines.append(
                "<tr>" + _row([names.get(finding.item_id, finding.item_id),
                               finding.annotation_id if finding.annotation_id else "",
                               finding.rule])[4:-5]
                + f'<td class="{severity}">{severity}</td>'
                + f"<td>{html.escape(finding.message)}</td></tr>")
        lines.append("</table>")
    else:
        lines.append("<p>No findings: every shape passed every rule.</p>")
    lines.append("</body></html>")
    return "\n".join(lines) + "\n"
