from __future__ import annotations

import itertools

import pytest

from annotator.errors import PermissionDenied, WorkflowError
from annotator.model import Batch, BatchState, Role, User
from annotator.workflow import ACTIONS, can_edit, transition

LEAD, REV, ANN, OTHER = (User("lea", Role.LEAD), User("rev", Role.REVIEWER),
                         User("ann", Role.ANNOTATOR), User("bob", Role.ANNOTATOR))

# (from state, action) -> to state, for every legal move of DESIGN.md
LEGAL = {
    (BatchState.OPEN, "start"): BatchState.IN_PROGRESS,
    (BatchState.REJECTED, "start"): BatchState.IN_PROGRESS,
    (BatchState.IN_PROGRESS, "submit"): BatchState.SUBMITTED,
    (BatchState.SUBMITTED, "accept"): BatchState.ACCEPTED,
    (BatchState.SUBMITTED, "reject"): BatchState.REJECTED,
    (BatchState.SUBMITTED, "reopen"): BatchState.IN_PROGRESS,
    (BatchState.ACCEPTED, "reopen"): BatchState.IN_PROGRESS,
    (BatchState.REJECTED, "reopen"): BatchState.IN_PROGRESS,
}


def _batch(state: BatchState) -> Batch:
    return Batch(1, "b1", state, assignee="ann", reviewer="rev")


@pytest.mark.parametrize(
    ("state", "action"),
    [(s, a) for s, a in itertools.product(BatchState, ACTIONS) if a != "assign"],
)
def test_state_machine_is_exactly_the_design(state: BatchState, action: str) -> None:
    actor = {"start": ANN, "submit": ANN, "accept": REV, "reject": REV, "reopen": LEAD}[action]
    if (state, action) in LEGAL:
        after, entry = transition(_batch(state), action, actor, "t", comment="why")
        assert after.state is LEGAL[(state, action)]
        assert (entry.from_state, entry.to_state, entry.user) == (state, after.state, actor.name)
    else:
        with pytest.raises(WorkflowError, match=f"cannot {action} batch 'b1': it is"):
            transition(_batch(state), action, actor, "t", comment="why")


@pytest.mark.parametrize(
    ("action", "state", "user", "fragment"),
    [
        ("start", BatchState.OPEN, OTHER, "assigned to ann"),
        ("submit", BatchState.IN_PROGRESS, OTHER, "assigned to ann"),
        ("accept", BatchState.SUBMITTED, ANN, "only a reviewer or lead"),
        ("reject", BatchState.SUBMITTED, ANN, "only a reviewer or lead"),
        ("reopen", BatchState.ACCEPTED, REV, "only a lead"),
        ("assign", BatchState.OPEN, REV, "only a lead"),
        ("accept", BatchState.SUBMITTED, User("rex", Role.REVIEWER), "its reviewer is rev"),
    ],
)
def test_roles_are_enforced(action: str, state: BatchState, user: User, fragment: str) -> None:
    with pytest.raises(PermissionDenied, match=fragment):
        transition(_batch(state), action, user, "t", comment="c", assignee="x")


def test_submit_refused_while_validation_has_errors() -> None:
    with pytest.raises(WorkflowError, match="3 error"):
        transition(_batch(BatchState.IN_PROGRESS), "submit", ANN, "t", validation_errors=3)


def test_submit_with_warnings_needs_an_acknowledgement_which_history_records() -> None:
    batch = _batch(BatchState.IN_PROGRESS)
    with pytest.raises(WorkflowError, match="2 warning"):
        transition(batch, "submit", ANN, "t", validation_warnings=2)
    submitted, entry = transition(batch, "submit", ANN, "t", comment="done",
                                  validation_warnings=2, warnings_acknowledged=True)
    assert submitted.state is BatchState.SUBMITTED
    assert entry.comment == "acknowledged 2 warning(s) done"


def test_reject_needs_a_comment_and_start_needs_an_assignee() -> None:
    with pytest.raises(WorkflowError, match="without a comment"):
        transition(_batch(BatchState.SUBMITTED), "reject", REV, "t", comment="  ")
    with pytest.raises(WorkflowError, match="assign it to someone first"):
        transition(Batch(1, "b1"), "start", LEAD, "t")


def test_assign_records_people_and_keeps_state() -> None:
    after, entry = transition(_batch(BatchState.IN_PROGRESS), "assign", LEAD, "t", assignee="bob")
    assert after.assignee == "bob" and after.reviewer == "rev"
    assert after.state is BatchState.IN_PROGRESS
    assert entry.comment == "assignee=bob"


@pytest.mark.parametrize("state", list(BatchState))
def test_who_may_edit(state: BatchState) -> None:
    batch = _batch(state)
    assert can_edit(batch, LEAD)
    assert can_edit(batch, ANN) is (state is BatchState.IN_PROGRESS)
    assert not can_edit(batch, OTHER)
    assert not can_edit(batch, REV)
    assert not can_edit(None, ANN)
