"""Property tests of the QA workflow: random sequences of transitions, marks,
comments, resolutions and edits by random people, on a real project on disk.

After every step: the batch is in a legal state, the history is an unbroken
chain that ends in that state and holds every successful move, a refused
step changed nothing, and a step that succeeded was one the rules allow
(checked against a small independent model of the rules, not the code).
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from annotator.commands import AddAnnotations
from annotator.errors import AnnotatorError
from annotator.geometry import error_count
from annotator.model import Annotation, BatchState, Box, LabelClass, LabelSchema, Role
from annotator.project import Project
from tests.conftest import make_images

ROLES = {"lead": Role.LEAD, "ann": Role.ANNOTATOR, "ann2": Role.ANNOTATOR,
         "rev": Role.REVIEWER, "rev2": Role.REVIEWER}
PEOPLE = sorted(ROLES)
# The batch's own people are drawn more often than outsiders, so that the
# loop (start, submit, comment, reject, resolve) happens in most sequences.
ACTORS = st.sampled_from(["ann", "rev", "lead", "ann2", "rev2", "ann", "rev", "ann", "rev"])
TRANSITIONS = ("start", "submit", "accept", "reject", "reopen")
S = BatchState
LEGAL = {
    (S.OPEN, "start"), (S.REJECTED, "start"), (S.IN_PROGRESS, "submit"),
    (S.SUBMITTED, "accept"), (S.SUBMITTED, "reject"),
    (S.SUBMITTED, "reopen"), (S.ACCEPTED, "reopen"), (S.REJECTED, "reopen"),
}


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    schema = LabelSchema("t", (LabelClass("car", "#e69f00", ("box",)),))
    folder = tmp_path_factory.mktemp("qa") / "proj"
    with Project.create(folder, schema, "lead") as lead:
        lead.import_media(make_images(folder / "media", 3))
        for name, role in ROLES.items():
            if name != "lead":
                lead.set_role(name, role)
        lead.create_batch("b", [1, 2, 3])
        lead.batch_action("b", "assign", assignee="ann", reviewer="rev")
    return folder


# One branch per move, so moves are drawn as often as everything else together
# and sequences reach review and come back.
step = st.one_of(
    *(st.tuples(ACTORS, st.just(move), st.booleans()) for move in TRANSITIONS),
    st.tuples(ACTORS, st.just("assign"),
              st.tuples(st.sampled_from([None, "ann", "ann2", "lead"]),
                        st.sampled_from([None, "rev", "rev2"]))),
    st.tuples(ACTORS, st.just("mark"),
              st.tuples(st.integers(1, 3), st.sampled_from(["done", "verified_empty", None]))),
    st.tuples(ACTORS, st.just("comment"), st.integers(1, 3)),
    st.tuples(ACTORS, st.just("resolve"), st.integers(0, 3)),
    st.tuples(ACTORS, st.just("draw"), st.integers(1, 3)),
)


def _observed(project: Project) -> tuple[Any, ...]:
    store = project.store
    batch = store.get_batch("b")
    return (batch, store.batch_history(int(batch.id or 0)), store.comments(1),
            store.item_statuses(1), store.count_annotations())


def _allowed(name: str, op: str, arg: Any, batch: Any, comments: list[Any]) -> bool:
    """The rules of issue 7 and DESIGN.md, written independently of annotator.workflow."""
    role = ROLES[name]
    lead = role is Role.LEAD
    own = batch.assignee == name
    if op in TRANSITIONS:
        if (batch.state, op) not in LEGAL:
            return False
        if op in ("start", "submit"):
            return bool(batch.assignee) and (lead or own)
        if op in ("accept", "reject"):
            reviewer_ok = lead or (role is Role.REVIEWER and batch.reviewer in (None, name))
            return reviewer_ok and (op == "accept" or bool(arg))
        return lead
    if op == "assign":
        return lead and arg != (None, None)
    if op == "mark":
        return batch.state is S.IN_PROGRESS and (lead or own)
    if op == "comment":
        return batch.state is S.SUBMITTED and (
            lead or (role is Role.REVIEWER and batch.reviewer in (None, name)))
    if op == "resolve":
        open_ones = [c for c in comments if not c.resolved]
        return (arg < len(comments) and not comments[arg].resolved and bool(open_ones)
                and batch.state in (S.REJECTED, S.IN_PROGRESS) and (lead or own))
    if op == "draw":
        return lead or (own and batch.state is S.IN_PROGRESS)
    raise AssertionError(op)


def _do(project: Project, op: str, arg: Any, comments: list[Any]) -> None:
    if op in TRANSITIONS:
        project.batch_action("b", op, "why" if arg else "", acknowledge_warnings=True)
    elif op == "assign":
        project.batch_action("b", "assign", assignee=arg[0], reviewer=arg[1])
    elif op == "mark":
        project.mark_item(*arg)
    elif op == "comment":
        project.add_comment("b", arg, "look here", position=(1.0, 2.0))
    elif op == "resolve":
        project.resolve_comment(int(comments[arg].id) if arg < len(comments) else 999)
    elif op == "draw":
        x = 9 * (len(project.store.annotations_for_item(arg)) % 6)  # boxes that don't overlap
        project.stack.push(AddAnnotations([Annotation(
            None, arg, "car", Box.from_corners(x, 0, x + 6, 6), author=project.user.name)]))


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step, min_size=15, max_size=40))
@example(steps=[  # the whole loop, with refused attempts by the wrong people between
    ("ann", "start", False), ("ann", "draw", 1), ("ann", "mark", (2, "verified_empty")),
    ("ann", "mark", (1, "verified_empty")), ("rev", "submit", True), ("ann", "submit", False),
    ("ann", "comment", 1), ("rev2", "comment", 1), ("rev", "comment", 1), ("lead", "comment", 2),
    ("ann", "reject", True), ("rev", "reject", False), ("rev", "reject", True),
    ("rev", "resolve", 0), ("ann", "resolve", 0), ("ann", "resolve", 0), ("ann", "draw", 3),
    ("ann", "start", False), ("ann", "resolve", 1), ("ann", "submit", False),
    ("ann", "resolve", 1), ("rev2", "accept", True), ("rev", "accept", False),
    ("ann", "reopen", True), ("lead", "reopen", True), ("ann", "mark", (3, None)),
])
def test_random_sequences_keep_every_rule(template: Path, steps: list[Any]) -> None:
    base = Path(tempfile.mkdtemp(prefix="qa-prop-"))
    folder = base / "proj"
    shutil.copytree(template, folder)
    projects = {name: Project.open(folder, name) for name in PEOPLE}
    try:
        moves = 2  # create and the first assign
        for name, op, arg in steps:
            project = projects[name]
            before = _observed(project)
            batch, _history, comments, statuses, _shapes = before
            has_shapes = (op == "mark" and arg[1] == "verified_empty"
                          and bool(project.store.annotations_for_item(arg[0])))
            # Overlapping boxes make validation findings, which rightly refuse a submit.
            invalid = op == "submit" and error_count(project.validate("b")) > 0
            try:
                _do(project, op, arg, comments)
            except AnnotatorError:
                assert _observed(project) == before, f"refused {op} by {name} changed the store"
                if not (has_shapes or invalid):
                    assert not _allowed(name, op, arg, batch, comments), (
                        f"{name} was refused {op} {arg} on a {batch.state} batch")
                continue
            event(f"{op} done")
            assert _allowed(name, op, arg, batch, comments), (
                f"{name} ({ROLES[name]}) could {op} {arg} on {batch}")
            assert not (op == "mark" and has_shapes), "verified empty with shapes"
            if op in (*TRANSITIONS, "assign"):
                moves += 1
            after_batch, history, *_ = _observed(project)
            assert after_batch.state in set(BatchState)
            assert len(history) == moves
            assert history[0].action == "create" and history[0].to_state is S.OPEN
            for earlier, later in itertools.pairwise(history):
                assert later.from_state is earlier.to_state
            assert history[-1].to_state is after_batch.state
            if op in TRANSITIONS:
                assert (history[-1].action, history[-1].user) == (op, name)
            if op not in ("mark", "draw"):
                assert project.store.item_statuses(1) == statuses
    finally:
        for project in projects.values():
            project.close()
        shutil.rmtree(base, ignore_errors=True)
