"""The command line on a team project (a ``postgresql://`` URL), against the same on a folder.

The lead's whole flow (init, import of media and annotations, people,
batches through review, stats, validate, export in several formats) runs
once on a folder and once on a server; every answer and every exported
annotation file must be the same.  The last tests prove that the CLI's own
wider transactions (an annotation import, ``batch create``) run again when
the server aborts them for overlapping another user's edit, as SQLite would
have waited.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from pycocotools.coco import COCO

from annotator.cli import main
from annotator.model import Role
from annotator.project import Project
from annotator.schema import load_schema
from annotator.store import open_project
from tests.cli.conftest import REPO, SCHEMA, cli_env, make_image
from tests.core.conftest import PgServer, running_pg_server

FORMATS = ("coco", "yolo", "voc", "labelme", "cvat")
# Exported files that name the moment or the tool rather than the annotations.
VARYING = {"manifest.json", "report.json", "validation.html"}


@pytest.fixture(scope="module")
def server() -> Iterator[PgServer]:
    with running_pg_server() as started:
        yield started


@pytest.fixture
def url(server: PgServer) -> str:
    return server.url(server.new_database())


def _media(root: Path) -> Path:
    folder = root / "media"
    make_image(folder / "a.jpg", shade=10)
    make_image(folder / "b.png", shade=20)
    make_image(folder / "c.jpg", (48, 16), shade=30)
    return folder


def _coco_input(path: Path) -> Path:
    boxes = [(1, 1, [2, 2, 10, 8], {"occluded": True}), (1, 2, [15, 3, 6, 12], {}),
             (2, 1, [4, 4, 20, 10], {"body_color": "red"}), (3, 3, [5, 2, 12, 9], {})]
    path.write_text(json.dumps({
        "images": [{"id": 1, "file_name": "media/a.jpg", "width": 32, "height": 24},
                   {"id": 2, "file_name": "media/b.png", "width": 32, "height": 24},
                   {"id": 3, "file_name": "media/c.jpg", "width": 48, "height": 16}],
        "annotations": [
            {"id": n, "image_id": image, "category_id": category, "bbox": bbox,
             "area": bbox[2] * bbox[3], "iscrowd": 0, "attributes": attributes,
             "segmentation": [[bbox[0], bbox[1], bbox[0] + bbox[2], bbox[1],
                               bbox[0] + bbox[2], bbox[1] + bbox[3]]] if n == 2 else []}
            for n, (image, category, bbox, attributes) in enumerate(boxes, start=1)],
        "categories": [{"id": 1, "name": "car"}, {"id": 2, "name": "pedestrian"},
                       {"id": 3, "name": "bicycle"}]}))
    return path


def _cli(capsys: pytest.CaptureFixture[str], user: str, *args: object) -> str:
    code = main(["--user", user, *map(str, args)])
    out, err = capsys.readouterr()
    assert code == 0, (args, err)
    return out


def _flow(location: str, root: Path, out: Path, capsys: pytest.CaptureFixture[str]
          ) -> dict[str, Any]:
    """A lead's project from start to deliverable (media under ``root``/media);
    what each step answered."""
    team = location.startswith("postgresql://")
    answers: dict[str, Any] = {}
    init = ["--media-root", root] if team else []
    answers["init"] = _cli(capsys, "lead", "init", location, "--schema", SCHEMA, *init)
    media = _media(root)
    answers["import"] = _cli(capsys, "lead", "import", location, media, "--annotations",
                             f"coco:{_coco_input(out / 'input.json')}")
    answers["people"] = [_cli(capsys, "lead", "user", "add", location, name, "--role", role)
                         for name, role in (("ann", "annotator"), ("rev", "reviewer"))]
    answers["create"] = _cli(capsys, "lead", "batch", "create", location, "b", "--size", "2",
                             "--assign", "ann", "--reviewer", "rev")
    for batch in ("b-001", "b-002"):
        _cli(capsys, "ann", "batch", "start", location, batch)
        _cli(capsys, "ann", "batch", "submit", location, batch, "--acknowledge-warnings")
    _cli(capsys, "rev", "batch", "accept", location, "b-001", "-m", "fine")
    _cli(capsys, "rev", "batch", "reject", location, "b-002", "-m", "box too loose")
    answers["list"] = json.loads(_cli(capsys, "lead", "batch", "list", location, "--json"))
    answers["history"] = [json.loads(_cli(capsys, "lead", "batch", "history", location,
                                          batch, "--json")) for batch in ("b-001", "b-002")]
    answers["stats"] = json.loads(_cli(capsys, "lead", "stats", location, "--json"))
    answers["stats_text"] = _cli(capsys, "lead", "stats", location)
    answers["validate"] = json.loads(_cli(capsys, "lead", "validate", location, "--json"))
    answers["validate_text"] = _cli(capsys, "lead", "validate", location)
    files: dict[str, bytes] = {}
    for format_id in FORMATS:
        target = out / format_id
        answers[f"export {format_id}"] = _cli(capsys, "lead", "export", location, "--format",
                                              format_id, "--out", target, "--accepted-only")
        manifest = json.loads((target / "manifest.json").read_text())
        answers[f"manifest {format_id}"] = {k: manifest[k] for k in
                                            ("format", "images", "counts_per_class")}
        # the checksums of the files compared below; the report's vary with paths and times
        answers[f"manifest {format_id}"]["files"] = {
            name: digest for name, digest in manifest["files"].items() if name not in VARYING}
        files.update({f"{format_id}/{p.relative_to(target).as_posix()}": p.read_bytes()
                      for p in sorted(target.rglob("*")) if p.is_file() and p.name not in VARYING})
    answers["files"] = files
    # the places and the moments differ, and nothing else may
    text = (json.dumps(answers, default=lambda b: b.decode())
            .replace(json.dumps(str(out))[1:-1], "OUT")
            .replace(json.dumps(location)[1:-1], "PROJECT"))
    normal: dict[str, Any] = json.loads(re.sub(r"\d{4}-\d\d-\d\dT[\d:.]+Z", "TIME", text))
    return normal


def test_the_cli_on_a_url_answers_as_on_a_folder(
        url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANNOTATOR_MEDIA_ROOT", raising=False)
    folder = tmp_path / "folder" / "proj"
    (tmp_path / "folder" / "out").mkdir(parents=True)
    on_folder = _flow(str(folder), folder, tmp_path / "folder" / "out", capsys)
    (tmp_path / "mount").mkdir()
    (tmp_path / "team" / "out").mkdir(parents=True)
    on_server = _flow(url, tmp_path / "mount", tmp_path / "team" / "out", capsys)

    assert on_server.keys() == on_folder.keys()
    for key in on_folder:
        assert on_server[key] == on_folder[key], key
    # the steps did what they say
    assert on_folder["stats"]["annotations"] == 4
    assert on_folder["stats"]["batches"] == {"accepted": 1, "rejected": 1}
    assert [b["items"] for b in on_folder["list"]] == [2, 1]
    assert any(name.startswith("yolo/") and name.endswith(".txt") for name in on_folder["files"])
    # and the COCO file of the server's deliverable is what pycocotools reads
    coco = COCO(str(tmp_path / "team" / "out" / "coco" / "annotations.json"))
    assert sorted(coco.imgs[i]["file_name"] for i in coco.getImgIds()) == \
        ["media/a.jpg", "media/b.png"]
    assert len(coco.getAnnIds()) == 3
    mask = coco.annToMask(coco.loadAnns(coco.getAnnIds(catIds=coco.getCatIds(["car"])))[0])
    assert mask.shape == (24, 32) and mask.sum() > 0


# -- wider transactions are retried --------------------------------------------------------


def _blocked_on_a_lock(admin: psycopg.Connection[Any], timeout: float = 30) -> None:
    """Wait until some CLI process's transaction waits for a row lock of ours."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = admin.execute("SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = "
                            "'annotator' AND wait_event_type = 'Lock'").fetchone()
        if row and row[0]:
            return
        time.sleep(0.02)
    raise AssertionError("the other client never reached the locked row")


def _cli_process(*args: object) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "annotator", *map(str, args)],
                            env=cli_env("lead"), cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _team_project(url: str, root: Path) -> None:
    with Project.create(url, load_schema(SCHEMA), "lead", [str(root)]) as lead:
        lead.import_media([_media(root)])


def test_an_import_that_overlapped_another_edit_runs_again(
        url: str, server: PgServer, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``import --replace`` deletes a shape that another client is changing at that moment:
    the server aborts the import once it may go on; it runs again, reads the changed shape,
    and replaces it, instead of refusing with "try again"."""
    monkeypatch.setenv("ANNOTATOR_MEDIA_ROOT", str(tmp_path))
    _team_project(url, tmp_path)
    source = _coco_input(tmp_path / "input.json")
    assert main(["--user", "lead", "import", url, "--annotations", f"coco:{source}"]) == 0
    capsys.readouterr()
    with open_project(url) as other, \
            psycopg.connect(server.url(), autocommit=True) as admin:
        with other.transaction():  # someone else is changing a shape of a covered item
            first = other.annotations_for_item(1)[0]
            other.update_annotation(first)
            child = _cli_process("import", url, "--annotations", f"coco:{source}",
                                 "--replace")
            _blocked_on_a_lock(admin)
        out, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    assert "imported 4 annotation(s) on 3 item(s)" in out and "replaced 4" in out
    with open_project(url) as store:
        labels = sorted(a.label for i in (1, 2, 3) for a in store.annotations_for_item(i))
    assert labels == ["bicycle", "car", "car", "pedestrian"]  # one copy, the changed one gone


def test_batch_create_that_overlapped_another_client_runs_again_and_prints_once(
        url: str, server: PgServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another client registers the reviewer at the same moment: the CLI's transaction
    (batches, then their people) runs again whole, and says what it made once."""
    monkeypatch.setenv("ANNOTATOR_MEDIA_ROOT", str(tmp_path))
    _team_project(url, tmp_path)
    with open_project(url) as other, \
            psycopg.connect(server.url(), autocommit=True) as admin:
        with other.transaction():
            other.ensure_user("rev", Role.REVIEWER)
            child = _cli_process("batch", "create", url, "b", "--size", "2",
                                 "--assign", "ann", "--reviewer", "rev")
            _blocked_on_a_lock(admin)
        out, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    with open_project(url) as store:
        batches = store.list_batches()
    assert [(b.name, b.assignee, b.reviewer, b.items) for b in batches] == \
        [("b-001", "ann", "rev", 2), ("b-002", "ann", "rev", 1)]
    # (the ids the aborted first run drew are gone: a server's sequences never go back)
    assert out.splitlines() == [f"created batch {b.id} {b.name!r} with {b.items} item(s)"
                                for b in batches], out


def test_parallel_replacing_imports_leave_exactly_one_copy(
        url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Clients importing the same file with --replace at once: each import commits whole,
    one after the other, so the project ends with exactly one copy of the shapes."""
    from annotator.exchange import import_annotations

    monkeypatch.setenv("ANNOTATOR_MEDIA_ROOT", str(tmp_path))
    _team_project(url, tmp_path)
    source = _coco_input(tmp_path / "input.json")
    start = threading.Barrier(4)
    failures: list[BaseException] = []

    def client() -> None:
        try:
            with Project.open(url, "lead") as mine:
                for _ in range(3):
                    start.wait(30)
                    import_annotations(mine, "coco", source, replace=True)
        except BaseException as exc:  # reported below
            failures.append(exc)
            start.abort()

    threads = [threading.Thread(target=client) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not failures, failures
    with open_project(url) as store:
        assert store.count_annotations() == 4
        # each import and the replacement of the one before it, logged once
        assert store.count_edits("lead") == 1 + 2 * (4 * 3 - 1)
