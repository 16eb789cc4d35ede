"""Batch states, roles and the transitions between them (pure rules, no I/O).

::

    open ──start──▶ in_progress ──submit──▶ submitted ──accept──▶ accepted
                        ▲                       │
                        └──start── rejected ◀──reject
    lead: create, assign, reopen (submitted | accepted | rejected ─▶ in_progress), export

>>> from annotator.model import Batch, User, Role
>>> batch = Batch(1, "b1", assignee="ann")
>>> started, entry = transition(batch, "start", User("ann", Role.ANNOTATOR), at="t")
>>> started.state.value, entry.from_state.value, entry.to_state.value
('in_progress', 'open', 'in_progress')
>>> transition(started, "accept", User("ann", Role.ANNOTATOR), at="t")
Traceback (most recent call last):
...
annotator.errors.PermissionDenied: ann (annotator) may not accept batch 'b1': ...
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from annotator.errors import PermissionDenied, WorkflowError
from annotator.model import Batch, BatchState, HistoryEntry, Role, User

__all__ = [
    "ACTIONS",
    "ITEM_STATUSES",
    "Rule",
    "can_edit",
    "check_comment",
    "check_edit",
    "check_mark",
    "check_resolve",
    "require_lead",
    "transition",
]

#: What an annotator may mark an item of their batch (None clears the mark).
ITEM_STATUSES = ("done", "verified_empty")

S = BatchState


@dataclass(frozen=True)
class Rule:
    """Which states an action leaves from, where it goes, and who may do it."""

    sources: frozenset[BatchState]
    target: BatchState | None  # None: the state does not change (assign)
    roles: frozenset[Role]
    who: str
    assignee_only: bool = False


_LEAD = frozenset({Role.LEAD})
_REVIEW = frozenset({Role.REVIEWER, Role.LEAD})
_WORK = frozenset({Role.ANNOTATOR, Role.REVIEWER, Role.LEAD})

ACTIONS: dict[str, Rule] = {
    "assign": Rule(frozenset(S), None, _LEAD, "only a lead may"),
    "start": Rule(frozenset({S.OPEN, S.REJECTED}), S.IN_PROGRESS, _WORK,
                  "only the batch's assignee may", assignee_only=True),
    "submit": Rule(frozenset({S.IN_PROGRESS}), S.SUBMITTED, _WORK,
                   "only the batch's assignee may", assignee_only=True),
    "accept": Rule(frozenset({S.SUBMITTED}), S.ACCEPTED, _REVIEW, "only a reviewer or lead may"),
    "reject": Rule(frozenset({S.SUBMITTED}), S.REJECTED, _REVIEW, "only a reviewer or lead may"),
    "reopen": Rule(frozenset({S.SUBMITTED, S.ACCEPTED, S.REJECTED}), S.IN_PROGRESS, _LEAD,
                   "only a lead may"),
}


def transition(
    batch: Batch,
    action: str,
    user: User,
    at: str,
    comment: str = "",
    *,
    assignee: str | None = None,
    reviewer: str | None = None,
    validation_errors: int = 0,
    validation_warnings: int = 0,
    warnings_acknowledged: bool = False,
) -> tuple[Batch, HistoryEntry]:
    """The batch after ``action`` by ``user``, and the history entry recording it.

    Raises :class:`WorkflowError` for a move the state machine does not
    have, :class:`PermissionDenied` for one the user may not make.
    """
    rule = ACTIONS.get(action)
    if rule is None:
        raise WorkflowError(f"unknown batch action {action!r} (known: {', '.join(ACTIONS)})")
    if user.role not in rule.roles:
        raise PermissionDenied(
            f"{user.name} ({user.role.value}) may not {action} batch {batch.name!r}: {rule.who}"
        )
    if rule.assignee_only and user.role is not Role.LEAD and batch.assignee != user.name:
        owner = batch.assignee or "nobody"
        raise PermissionDenied(
            f"{user.name} may not {action} batch {batch.name!r}: it is assigned to {owner}"
        )
    if (
        action in ("accept", "reject")
        and user.role is Role.REVIEWER
        and batch.reviewer not in (None, user.name)
    ):
        raise PermissionDenied(
            f"{user.name} may not {action} batch {batch.name!r}: its reviewer is {batch.reviewer}"
        )
    if batch.state not in rule.sources:
        allowed = ", ".join(sorted(s.value for s in rule.sources))
        raise WorkflowError(
            f"cannot {action} batch {batch.name!r}: it is {batch.state.value} "
            f"(only from {allowed})"
        )
    if action == "start" and not batch.assignee:
        raise WorkflowError(f"cannot start batch {batch.name!r}: assign it to someone first")
    if action == "submit" and validation_errors:
        raise WorkflowError(
            f"cannot submit batch {batch.name!r}: validation reports {validation_errors} "
            "error(s); fix them first"
        )
    if action == "submit" and validation_warnings and not warnings_acknowledged:
        raise WorkflowError(
            f"cannot submit batch {batch.name!r} yet: validation reports {validation_warnings} "
            "warning(s); look at them, then acknowledge them to submit"
        )
    if action == "reject" and not comment.strip():
        raise WorkflowError(f"cannot reject batch {batch.name!r} without a comment for the "
                            "annotator")
    changes: dict[str, object] = {}
    if action == "assign":
        if assignee is None and reviewer is None:
            raise WorkflowError("assign needs an assignee or a reviewer")
        if assignee is not None:
            changes["assignee"] = assignee or None
        if reviewer is not None:
            changes["reviewer"] = reviewer or None
    target = rule.target or batch.state
    changes["state"] = target
    changes["updated_at"] = at
    entry_comment = comment
    if action == "submit" and validation_warnings:
        entry_comment = " ".join(
            p for p in [f"acknowledged {validation_warnings} warning(s)", comment] if p)
    if action == "assign":
        people = [f"assignee={changes['assignee']}" if "assignee" in changes else "",
                  f"reviewer={changes['reviewer']}" if "reviewer" in changes else ""]
        entry_comment = " ".join(p for p in [*people, comment] if p)
    entry = HistoryEntry(at, user.name, action, batch.state, target, entry_comment)
    return dataclasses.replace(batch, **changes), entry  # type: ignore[arg-type]


def can_edit(batch: Batch | None, user: User, correcting: bool = False) -> bool:
    """Whether ``user`` may change annotations of an item in ``batch``.

    Leads may always; otherwise the assignee while the batch is in progress,
    or, in correct mode (``correcting``), the batch's reviewer while it is
    submitted: the review canvas is read-only until the reviewer says they
    are correcting, and their edits are then recorded as theirs.  Items in
    no batch belong to the lead's preparation work.
    """
    if user.role is Role.LEAD:
        return True
    if batch is None:
        return False
    if correcting and user.role is Role.REVIEWER:
        return batch.state is BatchState.SUBMITTED and batch.reviewer in (None, user.name)
    return batch.state is BatchState.IN_PROGRESS and batch.assignee == user.name


def check_edit(batch: Batch | None, user: User, correcting: bool = False) -> None:
    """Raise :class:`PermissionDenied` unless :func:`can_edit`."""
    if can_edit(batch, user, correcting):
        return
    if batch is not None and user.role is Role.REVIEWER and \
            batch.state is BatchState.SUBMITTED and batch.reviewer in (None, user.name):
        raise PermissionDenied(f"{user.name} reviews batch {batch.name!r} read-only: switch "
                               "on correct mode to change its shapes")
    if batch is None:
        raise PermissionDenied(f"{user.name} may not edit an item outside any batch: ask a lead")
    if batch.assignee != user.name:
        raise PermissionDenied(
            f"{user.name} may not edit batch {batch.name!r}: it is assigned to "
            f"{batch.assignee or 'nobody'}"
        )
    raise PermissionDenied(
        f"{user.name} may not edit batch {batch.name!r} while it is {batch.state.value}"
        + (": start it first" if batch.state in (BatchState.OPEN, BatchState.REJECTED) else "")
    )


def require_lead(user: User, what: str) -> None:
    """Creating batches, changing roles and exporting deliverables are a lead's work."""
    if user.role is not Role.LEAD:
        raise PermissionDenied(f"{user.name} ({user.role.value}) may not {what}: only a lead may")


def check_mark(batch: Batch | None, user: User) -> None:
    """Marking an item done or verified empty: the assignee (or a lead) while in progress."""
    if batch is None:
        raise PermissionDenied(f"{user.name} may not mark an item outside any batch")
    if user.role is not Role.LEAD and batch.assignee != user.name:
        raise PermissionDenied(
            f"{user.name} may not mark items of batch {batch.name!r}: it is assigned to "
            f"{batch.assignee or 'nobody'}")
    if batch.state is not BatchState.IN_PROGRESS:
        raise WorkflowError(
            f"cannot mark items of batch {batch.name!r} while it is {batch.state.value} "
            "(only in progress)")


def check_comment(batch: Batch, user: User) -> None:
    """Review comments: the batch's reviewer (or a lead) while it is submitted."""
    if user.role is Role.ANNOTATOR:
        raise PermissionDenied(f"{user.name} (annotator) may not comment on batch "
                               f"{batch.name!r}: only a reviewer or lead may")
    if user.role is Role.REVIEWER and batch.reviewer not in (None, user.name):
        raise PermissionDenied(f"{user.name} may not comment on batch {batch.name!r}: "
                               f"its reviewer is {batch.reviewer}")
    if batch.state is not BatchState.SUBMITTED:
        raise WorkflowError(f"cannot comment on batch {batch.name!r} while it is "
                            f"{batch.state.value} (only while submitted for review)")


def check_resolve(batch: Batch, user: User) -> None:
    """Resolving a comment: the assignee (or a lead) while the batch is rejected or in progress."""
    if user.role is not Role.LEAD and batch.assignee != user.name:
        raise PermissionDenied(f"{user.name} may not resolve comments of batch {batch.name!r}: "
                               f"it is assigned to {batch.assignee or 'nobody'}")
    if batch.state not in (BatchState.REJECTED, BatchState.IN_PROGRESS):
        raise WorkflowError(f"cannot resolve comments of batch {batch.name!r} while it is "
                            f"{batch.state.value} (only rejected or in progress)")
