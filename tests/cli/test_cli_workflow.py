"""Batches through review on the command line, and the ``--json`` contracts.

DESIGN.md: ``open -> in_progress -> submitted -> accepted | rejected``,
``rejected -> in_progress``; a refused move is bad input (one line, exit 2,
the project unchanged).  The ``--json`` keys are a stable contract.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from annotator.model import Role
from annotator.project import Project

LAS = Path(__file__).resolve().parents[1] / "data" / "las" / "simple.las"

HISTORY_KEYS = {"at", "user", "action", "from", "to", "comment"}
BATCH_KEYS = {"id", "name", "state", "assignee", "reviewer", "items"}
STATS_KEYS = {"items", "annotations", "by_class", "by_kind", "batches"}
INSPECT_KEYS = {"kind", "format", "encoding", "width", "height", "points", "fields", "bounds"}


def prepare(folder: Path, *steps: tuple[str, str, str]) -> None:
    """Batch 'b1' over every item, ann works and rev reviews, then (user, action, comment)."""
    with Project.open(folder, "lead") as lead:
        lead.set_role("ann", Role.ANNOTATOR)
        lead.set_role("bob", Role.ANNOTATOR)
        lead.set_role("rev", Role.REVIEWER)
        batch = lead.create_batch("b1", lead.unbatched_item_ids())
        lead.batch_action(batch.id, "assign", assignee="ann", reviewer="rev")
    for user, action, comment in steps:
        with Project.open(folder, user) as work:
            work.batch_action("b1", action, comment)


START = ("ann", "start", "")
SUBMIT = ("ann", "submit", "")


@pytest.mark.parametrize(("steps", "user", "action", "words"), [
    ((), "ann", "submit", ["cannot submit", "it is open"]),
    ((START,), "rev", "accept", ["cannot accept", "it is in_progress"]),
    ((), "bob", "start", ["bob may not start", "assigned to ann"]),
    ((START, SUBMIT), "ann", "accept", ["ann (annotator) may not accept",
                                         "only a reviewer or lead may"]),
    ((START, SUBMIT), "rev", "reject", ["cannot reject", "without a comment"]),
], ids=["submit-open", "accept-in-progress", "start-someone-elses", "annotator-accepts",
        "reject-without-comment"])
def test_refused_transition_is_one_line_and_changes_nothing(
    run, refused, state, project, steps, user, action, words
):
    prepare(project, *steps)
    before = state(project)
    refused(run("batch", action, project, "b1", user=user), "'b1'", *words)
    assert state(project) == before


def test_review_round_trip_is_recorded(run, project):
    def ok(*args: object, user: str = "lead") -> str:
        result = run(*args, user=user)
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""
        return result.stdout

    assert "created batch 1 'b1' with 3 item(s)" in ok(
        "batch", "create", project, "b1", "--assign", "ann", "--reviewer", "rev")
    moves = [("ann", "start", "in_progress"), ("ann", "submit", "submitted"),
             ("rev", "reject", "rejected"), ("ann", "start", "in_progress"),
             ("ann", "submit", "submitted"), ("rev", "accept", "accepted")]
    for user, action, target in moves:
        extra = ("-m", "boxes too loose on item 2") if action == "reject" else ()
        assert f"batch 'b1' is now {target}" in ok("batch", action, project, "b1", *extra,
                                                    user=user)

    history = json.loads(ok("batch", "history", project, "b1", "--json"))
    assert all(set(entry) >= HISTORY_KEYS for entry in history)
    assert [(h["user"], h["action"], h["from"], h["to"]) for h in history] == [
        ("lead", "create", None, "open"),
        ("lead", "assign", "open", "open"),
        ("ann", "start", "open", "in_progress"),
        ("ann", "submit", "in_progress", "submitted"),
        ("rev", "reject", "submitted", "rejected"),
        ("ann", "start", "rejected", "in_progress"),
        ("ann", "submit", "in_progress", "submitted"),
        ("rev", "accept", "submitted", "accepted"),
    ]
    assert history[4]["comment"] == "boxes too loose on item 2"
    stamps = [h["at"] for h in history]
    assert stamps == sorted(stamps)

    batches = json.loads(ok("batch", "list", project, "--json"))
    assert len(batches) == 1
    assert set(batches[0]) >= BATCH_KEYS
    assert {k: batches[0][k] for k in BATCH_KEYS} == {
        "id": 1, "name": "b1", "state": "accepted", "assignee": "ann", "reviewer": "rev",
        "items": 3,
    }

    stats = json.loads(ok("stats", project, "--json"))
    assert set(stats) >= STATS_KEYS
    assert stats["items"] == 3
    assert stats["annotations"] == 0
    assert stats["by_class"] == {}
    assert stats["by_kind"] == {}
    assert stats["batches"] == {"accepted": 1}


def test_inspect_json_swaps_width_and_height_for_exif_orientation_6(run, tmp_path):
    path = tmp_path / "rotated.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    Image.new("RGB", (40, 20), (200, 10, 10)).save(path, exif=exif)
    result = run("inspect", path, "--json")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert set(info) >= INSPECT_KEYS
    assert {k: info[k] for k in INSPECT_KEYS} == {
        "kind": "image", "format": "jpeg", "encoding": "RGB", "width": 20, "height": 40,
        "points": None, "fields": [], "bounds": None,
    }


@pytest.mark.skipif(not LAS.exists(), reason="tests/data/las/simple.las is missing")
def test_inspect_json_on_a_real_las_file(run):
    result = run("inspect", LAS, "--json")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert set(info) >= INSPECT_KEYS
    assert (info["kind"], info["format"]) == ("pointcloud", "las")
    assert info["encoding"] == "LAS 1.2 point format 3"
    assert info["points"] == 1065
    assert info["width"] is None and info["height"] is None
    assert info["fields"][:3] == ["X", "Y", "Z"]
    assert {"intensity", "gps_time", "red", "green", "blue"} <= set(info["fields"])
    low, high = info["bounds"]["min"], info["bounds"]["max"]
    assert len(low) == len(high) == 3
    assert all(a <= b for a, b in zip(low, high, strict=True))
    assert 635_000 < low[0] < 640_000  # the README's "x about 635,600"
