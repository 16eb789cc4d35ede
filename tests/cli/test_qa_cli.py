"""``annotator batch mark|comment|comments|resolve|changes``, ``batch create --folder|--sample``
and the QA figures of ``stats --json``, through the real command line."""

from __future__ import annotations

import json
from pathlib import Path

from annotator.commands import AddAnnotations
from annotator.model import Annotation, Box, Role
from annotator.project import Project


def _prepare(project: Path) -> None:
    """Batch 'b' over the three items, ann works it, rev reviews it; one box on item 1."""
    with Project.open(project, "lead") as lead:
        lead.set_role("ann", Role.ANNOTATOR)
        lead.set_role("rev", Role.REVIEWER)
        lead.create_batch("b", [1, 2, 3])
        lead.batch_action("b", "assign", assignee="ann", reviewer="rev")
    with Project.open(project, "ann") as ann:
        ann.batch_action("b", "start")
        ann.stack.push(AddAnnotations([Annotation(
            None, 1, "car", Box.from_corners(1, 1, 9, 9), author="ann")]))


def test_review_loop_on_the_command_line(run, refused, state, project) -> None:
    _prepare(project)
    assert run("batch", "mark", project, 1, "done", user="ann").returncode == 0
    ok = run("batch", "mark", project, 2, "verified-empty", user="ann")
    assert ok.returncode == 0 and "2/3" in ok.stdout
    refused(run("batch", "mark", project, 1, "verified-empty", user="ann"), "annotation")
    before = state(project)
    refused(run("batch", "mark", project, 3, "done", user="rev"), "assigned to ann")
    refused(run("batch", "comment", project, "b", "--item", "1", "early", user="rev"),
            "in_progress")
    assert state(project) == before
    assert run("batch", "submit", project, "b", user="ann").returncode == 0
    refused(run("batch", "comment", project, "b", "--item", "1", "--at", "1,x", "bad",
                user="rev"), "--at")
    assert run("batch", "comment", project, "b", "--item", "1", "--annotation", "1",
               "box is loose", user="rev").returncode == 0
    assert run("batch", "comment", project, "b", "--item", "3", "--at", "4.5,6",
               "a car is missing", user="rev").returncode == 0
    refused(run("batch", "reject", project, "b", user="rev"), "comment")
    assert run("batch", "reject", project, "b", "-m", "see the pins", user="rev").returncode == 0
    refused(run("batch", "resolve", project, 1, user="rev"), "assigned to ann")
    assert run("batch", "resolve", project, 1, user="ann").returncode == 0
    listed = json.loads(run("batch", "comments", project, "b", "--json").stdout)
    assert [(c["id"], c["item"], c["annotation"], c["position"], c["resolved"],
             c["resolved_by"]) for c in listed] == [
        (1, 1, 1, None, True, "ann"), (2, 3, None, [4.5, 6.0], False, None)]
    text = run("batch", "comments", project, "b", "--unresolved").stdout
    assert "a car is missing" in text and "box is loose" not in text
    history = json.loads(run("batch", "history", project, "b", "--json").stdout)
    assert [h["action"] for h in history][-2:] == ["submit", "reject"]
    assert history[-1]["comment"] == "see the pins"
    # rework: what changed since the submission
    with Project.open(project, "ann") as ann:
        ann.batch_action("b", "start")
        ann.stack.push(AddAnnotations([Annotation(
            None, 3, "car", Box.from_corners(2, 2, 8, 8), author="ann")]))
    changes = json.loads(run("batch", "changes", project, "b", "--json").stdout)
    assert changes == {"3": {"added": [2], "changed": [], "deleted": []}}
    stats = json.loads(run("stats", project, "--json").stdout)
    assert stats["people"]["ann"]["items"] == 2 and stats["people"]["ann"]["shapes"] == 2
    assert stats["batches_by_state"]["in_progress"] == {"batches": 1, "items": 3, "done": 2}
    assert stats["rejection_reasons"][0]["comment"] == "see the pins"
    for key in ("items", "annotations", "by_class", "by_kind", "batches"):
        assert key in stats  # the older keys stay (DESIGN.md contract)
    assert "first-pass acceptance" in run("stats", project).stdout


def test_batch_create_by_folder_and_sample(run, refused, state, tmp_path, image) -> None:
    project = tmp_path / "p"
    for folder, count in (("north", 2), ("south", 3)):
        for index in range(count):
            image(tmp_path / "media" / folder / f"{index}.png", shade=index)
    assert run("init", project, "--schema", Path(__file__).parents[2] / "sample_data" /
               "schema.yaml").returncode == 0
    assert run("import", project, tmp_path / "media").returncode == 0
    before = state(project)
    refused(run("batch", "create", project, "x", "--folder", "--size", "2"), "folder")
    refused(run("batch", "create", project, "x", "--sample", "9"), "cannot sample 9")
    refused(run("batch", "create", project, "x", "--sample", "2", user="ann"), "only a lead")
    assert state(project) == before
    made = run("batch", "create", project, "s", "--sample", "2", "--seed", "3")
    assert made.returncode == 0 and "with 2 item(s)" in made.stdout
    made = run("batch", "create", project, "f", "--folder", "--assign", "ann")
    assert made.returncode == 0, made.stderr
    listed = json.loads(run("batch", "list", project, "--json").stdout)
    assert sum(b["items"] for b in listed) == 5
    assert listed[0]["name"] == "s"
    assert all(b["assignee"] == "ann" for b in listed[1:])
    assert {b["name"] for b in listed[1:]} <= {"f-north", "f-south", "f"}
