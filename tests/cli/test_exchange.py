"""validate, export and import --annotations through the real CLI."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from pycocotools.coco import COCO

from annotator.commands import AddAnnotations
from annotator.model import Annotation
from annotator.project import Project
from annotator.shapes import Box, Polygon, Polyline
from tests.cli.conftest import cli_env

BOW_TIE = [[0, 0], [20, 20], [20, 0], [0, 20]]


def add(folder: Path, shapes: list[tuple[int, str, object, dict[str, object]]]) -> None:
    """Shapes as the app adds them: the class's default attributes, then the given ones."""
    with Project.open(folder, "lead") as project:
        defaults = {c.name: c.default_attributes() for c in project.schema.classes}
        project.stack.push(AddAnnotations([
            Annotation(None, item_id, label, geometry,  # type: ignore[arg-type]
                       attributes={**defaults[label], **attributes})
            for item_id, label, geometry, attributes in shapes]))


def good_shapes() -> list[tuple[int, str, object, dict[str, object]]]:
    return [
        (1, "car", Box.from_corners(2.5, 3.25, 20, 18), {"occluded": True}),
        (1, "crosswalk", Polygon([[1, 1], [30, 1], [30, 20], [1, 20]]), {}),
        (2, "car", Polygon([[4, 4], [28, 4], [16, 20]]), {"body_color": "red"}),
        (2, "stop_line", Polyline([[0, 10], [31, 10]]), {}),
    ]


def accept_all(run, project: Path) -> None:
    assert run("batch", "create", project, "all", "--assign", "lead").returncode == 0
    for action in ("start", "submit", "accept"):
        result = run("batch", action, project, "all")
        assert result.returncode == 0, result.stderr


# -- validate ------------------------------------------------------------------------------


def test_validate_reports_errors_with_exit_1_and_json(run, project: Path) -> None:
    add(project, [*good_shapes(), (3, "crosswalk", Polygon(BOW_TIE), {})])
    result = run("validate", project, "--json")
    assert result.returncode == 1, result.stderr
    findings = json.loads(result.stdout)
    invalid = [f for f in findings if f["rule"] == "polygon_invalid"]
    assert len(invalid) == 1
    assert set(invalid[0]) >= {"item", "annotation", "rule", "severity", "message", "location"}
    assert invalid[0]["item"] == 3 and invalid[0]["severity"] == "error"
    assert invalid[0]["location"] == pytest.approx([10, 10])

    text = run("validate", project)
    assert text.returncode == 1
    assert "c.jpg: error:" in text.stdout and "1 error(s)" in text.stdout


def test_validate_clean_project_exits_0(run, project: Path) -> None:
    add(project, good_shapes())
    result = run("validate", project, "--json")
    assert result.returncode == 0, result.stderr
    assert [f for f in json.loads(result.stdout) if f["severity"] == "error"] == []


def test_validate_unknown_batch_is_refused(run, refused, project: Path) -> None:
    refused(run("validate", project, "--batch", "nope"), "nope")


def test_submit_is_refused_while_errors_and_needs_acknowledged_warnings(run, refused,
                                                                        project: Path) -> None:
    add(project, [(3, "crosswalk", Polygon(BOW_TIE), {})])
    assert run("batch", "create", project, "b", "--assign", "lead").returncode == 0
    assert run("batch", "start", project, "b").returncode == 0
    refused(run("batch", "submit", project, "b"), "error")
    with Project.open(project, "lead") as opened:
        bad = next(a for a in opened.store.annotations_for_item(3))
        opened.stack.undo()
        assert opened.store.get_annotation(int(bad.id or 0)) is None
    # a tiny box is a warning only
    add(project, [(3, "car", Box.from_corners(1, 1, 2, 2), {})])
    refused(run("batch", "submit", project, "b"), "warning")
    result = run("batch", "submit", project, "b", "--acknowledge-warnings")
    assert result.returncode == 0, result.stderr
    history = json.loads(run("batch", "history", project, "b", "--json").stdout)
    assert "acknowledged 1 warning(s)" in history[-1]["comment"]


# -- export --------------------------------------------------------------------------------


def test_export_writes_a_deliverable_with_manifest_report_and_html(run, project: Path,
                                                                 tmp_path: Path) -> None:
    add(project, [*good_shapes(), (3, "crosswalk", Polygon(BOW_TIE), {})])
    out = tmp_path / "delivery"
    result = run("export", project, "--format", "coco", "--out", out)
    assert result.returncode == 0, result.stderr
    assert "skipped 1 annotation(s)" in result.stdout  # the polyline
    manifest = json.loads((out / "manifest.json").read_text())
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert sorted([*manifest["files"], "manifest.json"]) == files
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
    assert manifest["format"] == "coco"
    assert manifest["images"] == 3
    assert manifest["counts_per_class"]["car"] == 2
    assert manifest["counts_per_class"]["crosswalk"] == 2
    assert manifest["validation"] == {"errors": 1, "warnings": manifest["validation"]["warnings"]}
    assert manifest["schema"]["name"] == "road-scenes"
    report = json.loads((out / "report.json").read_text())
    assert [s["kind"] for s in report["skipped"]] == ["polyline"]
    page = (out / "validation.html").read_text()
    assert "polygon_invalid" in page and "c.jpg" in page and "<table>" in page
    coco = COCO(str(out / "annotations.json"))
    assert len(coco.getAnnIds()) == 4
    assert not list(tmp_path.glob(".delivery.partial-*"))


def test_accepted_only_exports_accepted_batches_only(run, refused, project: Path,
                                                     tmp_path: Path) -> None:
    add(project, good_shapes())
    refused(run("export", project, "--format", "coco", "--out", tmp_path / "none",
                "--accepted-only"), "no accepted image items")
    assert not (tmp_path / "none").exists()
    assert run("batch", "create", project, "first", "--items", "1",
               "--assign", "lead").returncode == 0
    for action in ("start", "submit", "accept"):
        assert run("batch", action, project, "first").returncode == 0
    out = tmp_path / "accepted"
    result = run("export", project, "--format", "voc", "--out", out, "--accepted-only")
    assert result.returncode == 0, result.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["images"] == 1
    assert manifest["selection"]["accepted_only"] is True


def test_export_refuses_a_non_empty_folder_and_non_leads(run, refused, project: Path,
                                                        tmp_path: Path) -> None:
    out = tmp_path / "full"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    refused(run("export", project, "--format", "coco", "--out", out), "not an empty folder")
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    refused(run("export", project, "--format", "coco", "--out", tmp_path / "x", user="ann"),
            "export")
    refused(run("export", project, "--format", "nope", "--out", tmp_path / "y"),
            "unknown format", "coco")
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def test_image_formats_leave_point_cloud_tiles_out(run, project: Path, tmp_path: Path) -> None:
    cloud = next((Path(__file__).parents[1] / "data" / "pcd").glob("*.pcd"))
    assert run("import", project, cloud).returncode == 0
    out = tmp_path / "images_only"
    assert run("export", project, "--format", "coco", "--out", out).returncode == 0
    coco = json.loads((out / "annotations.json").read_text())
    assert [i["file_name"] for i in coco["images"]] == ["a.jpg", "b.png", "c.jpg"]


def test_export_with_media_copies_the_images(run, project: Path, tmp_path: Path) -> None:
    add(project, good_shapes())
    out = tmp_path / "with_media"
    assert run("export", project, "--format", "yolo", "--out", out,
               "--with-media").returncode == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert {"images/a.jpg", "images/b.png", "images/c.jpg"} <= set(manifest["files"])
    assert (out / "data.yaml").is_file()


def test_a_killed_export_leaves_no_output_folder(project: Path, tmp_path: Path) -> None:
    with Project.open(project, "lead") as opened, opened.store.transaction():
        for index in range(20_000):  # small squares side by side, none overlapping
            x, y = (index % 300) * 0.1, (index // 300 % 200) * 0.1
            opened.store.insert_annotation(Annotation(
                None, 1 + index // 60_000 + index % 3, "crosswalk",
                Polygon([[x, y], [x + 0.08, y], [x + 0.08, y + 0.08], [x, y + 0.08]])))
    out = tmp_path / "killed"
    killed = False
    for _ in range(5):
        process = subprocess.Popen(
            [sys.executable, "-m", "annotator", "export", str(project), "--format", "coco",
             "--out", str(out)], env=cli_env("lead"),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            if list(tmp_path.glob(".killed.partial-*/annotations.json")):
                os.kill(process.pid, signal.SIGKILL)
                killed = True
                break
            time.sleep(0.001)
        process.wait()
        if killed:
            break
        assert out.exists()  # it finished before we saw it working; try again
        shutil.rmtree(out)
    assert killed, "never caught the export while it was writing"
    assert not out.exists()
    assert list(tmp_path.glob(".killed.partial-*"))
    result = subprocess.run(
        [sys.executable, "-m", "annotator", "export", str(project), "--format", "coco",
         "--out", str(out)], env=cli_env("lead"), capture_output=True, text=True,
        timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert not list(tmp_path.glob(".killed.partial-*"))  # the stale one was cleared
    assert json.loads((out / "manifest.json").read_text())["annotations"] == 20_000


# -- import --annotations ------------------------------------------------------------------


@pytest.mark.parametrize("format_id", ["coco", "voc", "labelme", "cvat", "yolo"])
def test_export_then_import_into_a_fresh_project_gives_the_same_shapes(
        run, format_id: str, project: Path, tmp_path: Path, template: Path) -> None:
    add(project, good_shapes())
    out = tmp_path / "out"
    assert run("export", project, "--format", format_id, "--out", out).returncode == 0
    report = json.loads((out / "report.json").read_text())
    fresh = tmp_path / "fresh"
    shutil.copytree(template, fresh)
    result = run("import", fresh, "--annotations", f"{format_id}:{out}")
    assert result.returncode == 0, result.stderr

    # What the format does not hold as it is (skipped, or converted to another
    # kind) is left out of the comparison; YOLO label files hold no attributes.
    skipped = {s["annotation"] for s in report["skipped"]}
    converted = {s["annotation"] for s in report["converted"]}
    attributes_held = format_id != "yolo"

    def key(annotation: Annotation) -> tuple[Any, ...]:
        coords = tuple(round(v, 6) for v in annotation.geometry.to_json()["coords"])
        attributes = dict(annotation.attributes) if attributes_held else {}
        return (annotation.item_id, annotation.label, annotation.kind, coords,
                json.dumps(attributes, sort_keys=True))

    def stored(folder: Path) -> list[Annotation]:
        with Project.open(folder, "lead") as opened:
            return [a for item_id in (1, 2, 3) for a in opened.store.annotations_for_item(item_id)]

    expected = Counter(key(a) for a in stored(project) if a.id not in skipped | converted)
    got = [key(a) for a in stored(fresh)]
    assert not expected - Counter(got), (expected, got)
    assert len(got) == sum(expected.values()) + len(converted)
    # one undo takes the whole import back
    with Project.open(fresh, "lead") as opened:
        opened.stack.undo()
        assert opened.store.count_annotations() == 0


def test_import_refuses_bad_input_and_changes_nothing(run, refused, state, project: Path,
                                                      tmp_path: Path) -> None:
    before = state(project)
    refused(run("import", project, "--annotations", "coco"), "FORMAT:PATH")
    refused(run("import", project, "--annotations", f"coco:{tmp_path / 'missing.json'}"),
            "missing.json")
    refused(run("import", project, "--annotations", f"nope:{tmp_path}"), "unknown format")
    hostile = tmp_path / "hostile.json"
    hostile.write_text(json.dumps({
        "images": [{"id": 1, "file_name": "../../etc/passwd", "width": 32, "height": 24}],
        "annotations": [], "categories": [{"id": 1, "name": "car"}]}))
    refused(run("import", project, "--annotations", f"coco:{hostile}"), "hostile.json")
    strange = tmp_path / "strange.json"
    strange.write_text(json.dumps({
        "images": [{"id": 1, "file_name": "a.jpg", "width": 32, "height": 24}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 1, 5, 5],
                         "segmentation": [], "area": 25, "iscrowd": 0}],
        "categories": [{"id": 1, "name": "zebra"}]}))
    refused(run("import", project, "--annotations", f"coco:{strange}"), "zebra")
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text(json.dumps({
        "images": [{"id": 1, "file_name": "not_here.jpg", "width": 32, "height": 24}],
        "annotations": [], "categories": []}))
    refused(run("import", project, "--annotations", f"coco:{elsewhere}"), "not_here.jpg")
    wrong_size = tmp_path / "wrong_size.json"
    wrong_size.write_text(json.dumps({
        "images": [{"id": 1, "file_name": "a.jpg", "width": 24, "height": 32}],
        "annotations": [], "categories": []}))
    refused(run("import", project, "--annotations", f"coco:{wrong_size}"), "24x32")
    nan = tmp_path / "nan.json"
    nan.write_text('{"images": [{"id": 1, "file_name": "a.jpg", "width": 32, "height": 24}], '
                   '"annotations": [{"id": 1, "image_id": 1, "category_id": 1, '
                   '"bbox": [NaN, 1, 5, 5], "segmentation": [], "area": 25, "iscrowd": 0}], '
                   '"categories": [{"id": 1, "name": "car"}]}')
    refused(run("import", project, "--annotations", f"coco:{nan}"), "nan.json")
    huge = tmp_path / "huge.json"
    with huge.open("wb") as handle:
        handle.truncate(2 * 1024**3)  # sparse: refused by its size before a byte is read
    refused(run("import", project, "--annotations", f"coco:{huge}"), "huge.json", "bytes")
    bomb = tmp_path / "annotations.xml"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
                    '<annotations><version>1.1</version>&lol2;</annotations>')
    refused(run("import", project, "--annotations", f"cvat:{bomb}"), "annotations.xml")
    assert state(project) == before


def test_import_replace_swaps_the_annotations_of_covered_items(run, project: Path,
                                                               tmp_path: Path) -> None:
    add(project, good_shapes())
    source = tmp_path / "one.json"
    source.write_text(json.dumps({
        "images": [{"id": 1, "file_name": "a.jpg", "width": 32, "height": 24}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 1, 5, 5],
                         "segmentation": [], "area": 25, "iscrowd": 0}],
        "categories": [{"id": 1, "name": "pedestrian"}]}))
    result = run("import", project, "--annotations", f"coco:{source}", "--replace")
    assert result.returncode == 0, result.stderr
    assert "replaced 2" in result.stdout
    with Project.open(project, "lead") as opened:
        assert [a.label for a in opened.store.annotations_for_item(1)] == ["pedestrian"]
        assert len(opened.store.annotations_for_item(2)) == 2  # not covered: kept
