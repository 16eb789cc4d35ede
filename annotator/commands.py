"""Edit commands and the persistent undo stack (no Qt).

Every change a person makes to annotations is a :class:`Command`: it can
``apply`` and ``revert`` itself against the store, has a human ``label``
("Move 3 vertices") and may ``merge`` with the next command of the same
gesture, so a drag is one undo step.  :class:`CommandStack` commits each
command together with its undo-log entry in one transaction, so nothing is
lost on a kill and undo history survives reopening the project.

Commands check that the store still holds what they expect before they
write; a shape changed meanwhile (by another user, in team mode) raises
:class:`~annotator.errors.ConflictError` instead of being overwritten.
"""

from __future__ import annotations

import dataclasses
import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar, Protocol, TypeVar

from annotator.errors import ConflictError, SchemaError
from annotator.model import Annotation, Geometry, LabelSchema

_T = TypeVar("_T")

__all__ = [
    "AddAnnotations",
    "ChangeAnnotations",
    "Command",
    "CommandStack",
    "CompositeCommand",
    "DeleteAnnotations",
    "EditStore",
    "change_attributes",
    "change_class",
    "command_from_payload",
    "move_vertices",
    "set_flags",
    "set_geometry",
    "translate",
]


class EditStore(Protocol):
    """The part of the project store that commands and the stack use."""

    def get_annotation(self, annotation_id: int) -> Annotation | None: ...
    def annotation_content(self, annotation_id: int) -> dict[str, Any] | None: ...
    def insert_annotation(self, annotation: Annotation) -> Annotation: ...
    def update_annotation(self, annotation: Annotation) -> Annotation: ...
    def delete_annotation(self, annotation_id: int) -> None: ...


def _noun(annotations: Sequence[Annotation]) -> str:
    kinds = {a.kind.replace("_", " ") for a in annotations}
    if len(annotations) == 1:
        return kinds.pop()
    return f"{len(annotations)} " + (f"{kinds.pop()}es" if kinds == {"box"} else
                                     f"{kinds.pop()}s" if len(kinds) == 1 else "shapes")


def _current(store: EditStore, expected: Annotation, label: str,
             mine: Annotation | None) -> None:
    """Refuse to write over a shape that is no longer what the command saw.

    The conflict carries ``mine`` (what would have been written, None for a
    deletion) and the stored shape, so the app can show both.
    """
    annotation_id = int(expected.id or 0)
    current = store.annotation_content(annotation_id)
    if current is None or current != expected.content_key():
        state = "deleted" if current is None else "changed"
        raise ConflictError(
            f"annotation {expected.id} was {state} since; '{label}' was not applied",
            annotation_id=annotation_id, mine=mine,
            theirs=None if current is None else store.get_annotation(annotation_id),
        )


class Command(ABC):
    """One undoable edit."""

    type: ClassVar[str]
    label: str
    merge_key: str | None = None

    @abstractmethod
    def apply(self, store: EditStore) -> None: ...

    @abstractmethod
    def revert(self, store: EditStore) -> None: ...

    @abstractmethod
    def written(self) -> Sequence[Annotation]:
        """The annotations this command writes when applied (for schema checks)."""

    @abstractmethod
    def item_ids(self) -> set[int]: ...

    @abstractmethod
    def to_payload(self) -> dict[str, Any]: ...

    def merge(self, following: Command) -> Command | None:
        """One command doing both, or None when they stay separate steps."""
        return None


def _dump(annotations: Iterable[Annotation]) -> list[dict[str, Any]]:
    return [a.content_json() for a in annotations]


def _load(raw: Iterable[Mapping[str, Any]]) -> tuple[Annotation, ...]:
    return tuple(Annotation.from_content_json(r) for r in raw)


class AddAnnotations(Command):
    """Add shapes; their ids are fixed on first apply so a redo recreates the same ones."""

    type = "add"

    def __init__(self, annotations: Sequence[Annotation], label: str | None = None) -> None:
        if not annotations:
            raise ValueError("nothing to add")
        self.annotations = tuple(annotations)
        self.label = label or f"Add {_noun(self.annotations)}"

    def apply(self, store: EditStore) -> None:
        self.annotations = tuple(store.insert_annotation(a) for a in self.annotations)

    def revert(self, store: EditStore) -> None:
        for annotation in self.annotations:
            _current(store, annotation, f"Undo {self.label}", None)
            store.delete_annotation(int(annotation.id or 0))

    def written(self) -> Sequence[Annotation]:
        return self.annotations

    def item_ids(self) -> set[int]:
        return {a.item_id for a in self.annotations}

    def to_payload(self) -> dict[str, Any]:
        return {"type": self.type, "label": self.label, "annotations": _dump(self.annotations)}

    @classmethod
    def from_payload(cls, data: Mapping[str, Any]) -> AddAnnotations:
        return cls(_load(data["annotations"]), data["label"])


class DeleteAnnotations(Command):
    """Delete shapes, keeping everything needed to bring them back with the same ids."""

    type = "delete"

    def __init__(self, annotations: Sequence[Annotation], label: str | None = None) -> None:
        if not annotations or any(a.id is None for a in annotations):
            raise ValueError("delete needs stored annotations")
        self.annotations = tuple(annotations)
        self.label = label or f"Delete {_noun(self.annotations)}"

    def apply(self, store: EditStore) -> None:
        for annotation in self.annotations:
            _current(store, annotation, self.label, None)
            store.delete_annotation(int(annotation.id or 0))

    def revert(self, store: EditStore) -> None:
        for annotation in self.annotations:
            theirs = store.get_annotation(int(annotation.id or 0))
            if theirs is not None:
                raise ConflictError(f"annotation {annotation.id} exists again; "
                                    f"'Undo {self.label}' was not applied",
                                    annotation_id=int(annotation.id or 0),
                                    mine=annotation, theirs=theirs)
            store.insert_annotation(annotation)

    def written(self) -> Sequence[Annotation]:
        return ()

    def item_ids(self) -> set[int]:
        return {a.item_id for a in self.annotations}

    def to_payload(self) -> dict[str, Any]:
        return {"type": self.type, "label": self.label, "annotations": _dump(self.annotations)}

    @classmethod
    def from_payload(cls, data: Mapping[str, Any]) -> DeleteAnnotations:
        return cls(_load(data["annotations"]), data["label"])


class ChangeAnnotations(Command):
    """Replace the content of stored shapes: class, attributes, geometry, flags."""

    type = "change"

    def __init__(
        self,
        before: Sequence[Annotation],
        after: Sequence[Annotation],
        label: str,
        merge_key: str | None = None,
    ) -> None:
        if not before or len(before) != len(after):
            raise ValueError("change needs matching before and after annotations")
        if any(b.id is None or b.id != a.id for b, a in zip(before, after, strict=True)):
            raise ValueError("change must keep the annotation ids")
        self.before, self.after = tuple(before), tuple(after)
        self.label, self.merge_key = label, merge_key

    def _write(self, store: EditStore, old: Sequence[Annotation], new: Sequence[Annotation],
               label: str) -> None:
        for expected, replacement in zip(old, new, strict=True):
            _current(store, expected, label, replacement)
            store.update_annotation(replacement)

    def apply(self, store: EditStore) -> None:
        self._write(store, self.before, self.after, self.label)

    def revert(self, store: EditStore) -> None:
        self._write(store, self.after, self.before, f"Undo {self.label}")

    def written(self) -> Sequence[Annotation]:
        return self.after

    def item_ids(self) -> set[int]:
        return {a.item_id for a in (*self.before, *self.after)}

    def merge(self, following: Command) -> Command | None:
        if (
            isinstance(following, ChangeAnnotations)
            and self.merge_key is not None
            and following.merge_key == self.merge_key
            and [a.id for a in self.after] == [b.id for b in following.before]
            and all(a.same_content(b) for a, b in zip(self.after, following.before, strict=True))
        ):
            return ChangeAnnotations(self.before, following.after, self.label, self.merge_key)
        return None

    def to_payload(self) -> dict[str, Any]:
        return {
            "type": self.type, "label": self.label, "merge_key": self.merge_key,
            "before": _dump(self.before), "after": _dump(self.after),
        }

    @classmethod
    def from_payload(cls, data: Mapping[str, Any]) -> ChangeAnnotations:
        return cls(_load(data["before"]), _load(data["after"]), data["label"],
                   data.get("merge_key"))


class CompositeCommand(Command):
    """Several commands as one undo step: applied in order, reverted in reverse.

    For an edit that changes some shapes and adds or deletes others, such as
    splitting a polygon into its parts.
    """

    type = "composite"

    def __init__(self, commands: Sequence[Command], label: str) -> None:
        if not commands:
            raise ValueError("a composite needs at least one command")
        self.commands, self.label = tuple(commands), label

    def apply(self, store: EditStore) -> None:
        for command in self.commands:
            command.apply(store)

    def revert(self, store: EditStore) -> None:
        for command in reversed(self.commands):
            command.revert(store)

    def written(self) -> Sequence[Annotation]:
        return [a for command in self.commands for a in command.written()]

    def item_ids(self) -> set[int]:
        return {item for command in self.commands for item in command.item_ids()}

    def to_payload(self) -> dict[str, Any]:
        return {"type": self.type, "label": self.label,
                "commands": [command.to_payload() for command in self.commands]}

    @classmethod
    def from_payload(cls, data: Mapping[str, Any]) -> CompositeCommand:
        return cls([_from_data(part) for part in data["commands"]], data["label"])


_COMMANDS: dict[str, Any] = {
    c.type: c for c in (AddAnnotations, DeleteAnnotations, ChangeAnnotations, CompositeCommand)
}


def _from_data(data: Mapping[str, Any]) -> Command:
    return _COMMANDS[data["type"]].from_payload(data)  # type: ignore[no-any-return]


def command_from_payload(text: str) -> Command:
    return _from_data(json.loads(text))


# -- ready-made changes ----------------------------------------------------------


def _changed(annotations: Sequence[Annotation], title: str, merge_key: str | None = None,
             **changes: Any) -> ChangeAnnotations:
    after = [dataclasses.replace(a, **changes) for a in annotations]
    return ChangeAnnotations(annotations, after, title, merge_key)


def change_class(annotations: Sequence[Annotation], label_class: str) -> ChangeAnnotations:
    return _changed(annotations, f"Change class of {_noun(annotations)} to {label_class}",
                    label=label_class)


def change_attributes(annotations: Sequence[Annotation], values: Mapping[str, Any]
                      ) -> ChangeAnnotations:
    after = [dataclasses.replace(a, attributes={**a.attributes, **values}) for a in annotations]
    names = ", ".join(values)
    return ChangeAnnotations(annotations, after, f"Set {names} of {_noun(annotations)}")


def set_geometry(annotation: Annotation, geometry: Geometry, merge_key: str | None = None,
                 label: str | None = None) -> ChangeAnnotations:
    return _changed([annotation], label or f"Reshape {_noun([annotation])}", merge_key,
                    geometry=geometry)


def move_vertices(annotation: Annotation, indices: Sequence[int], offset: Sequence[float],
                  merge_key: str | None = None) -> ChangeAnnotations:
    count = len(indices)
    noun = "vertex" if count == 1 else f"{count} vertices"
    return set_geometry(annotation, annotation.geometry.moved(indices, offset), merge_key,
                        f"Move {noun}")


def translate(annotations: Sequence[Annotation], offset: Sequence[float],
              merge_key: str | None = None) -> ChangeAnnotations:
    after = [dataclasses.replace(a, geometry=a.geometry.translated(offset)) for a in annotations]
    return ChangeAnnotations(annotations, after, f"Move {_noun(annotations)}", merge_key)


def set_flags(annotations: Sequence[Annotation], **flags: bool | int) -> ChangeAnnotations:
    """Hide, lock or re-order shapes (``hidden=``, ``locked=``, ``z=``)."""
    words = ", ".join(f"{k}={v}" for k, v in flags.items())
    after = [dataclasses.replace(a, **flags) for a in annotations]  # type: ignore[arg-type]
    return ChangeAnnotations(annotations, after, f"Set {words} on {_noun(annotations)}")


# -- the stack -----------------------------------------------------------------------


class StackStore(EditStore, Protocol):
    """What :class:`CommandStack` needs beyond :class:`EditStore`."""

    @property
    def label_schema(self) -> LabelSchema: ...
    def transaction(self) -> Any: ...
    def log_edit(self, user: str, label: str, payload: str, redo_waits: bool = True) -> int: ...
    def replace_edit(self, seq: int, label: str, payload: str) -> None: ...
    def last_edit(self, user: str, state: str) -> Any: ...
    def edit_tops(self, user: str) -> tuple[Any, bool]: ...
    def set_edit_state(self, seq: int, state: str) -> None: ...
    def retry(self, work: Callable[[], _T]) -> _T: ...
    def record_client_op(self, op_id: str, user: str, result: Mapping[str, Any]) -> None: ...


class CommandStack:
    """A user's unbounded undo/redo history, kept in the store.

    Each of ``push``, ``undo`` and ``redo`` is one transaction: the edit, the
    permission check and the log entry commit together or not at all.
    Listeners are called after each commit (the UI adapter turns them into
    Qt signals).  ``guard(command)`` runs inside the transaction before the
    command touches the store and raises to refuse it; the project passes
    the workflow's rule of who may edit which item.
    """

    def __init__(
        self,
        store: StackStore,
        user: str,
        guard: Callable[[Command], None] | None = None,
    ) -> None:
        self.store = store
        self.user = user
        self._guard_hook = guard
        self._listeners: list[Callable[[str, Command], None]] = []
        # The last logged command, so a drag's next step merges without
        # re-reading its payload; trusted only while its seq is the top.
        self._top: tuple[int, Command] | None = None

    def subscribe(self, listener: Callable[[str, Command], None]) -> None:
        """``listener(event, command)`` with event "push", "undo" or "redo"."""
        self._listeners.append(listener)

    def _notify(self, event: str, command: Command) -> None:
        for listener in list(self._listeners):
            listener(event, command)

    def _guard(self, command: Command) -> None:
        if self._guard_hook is not None:
            self._guard_hook(command)

    def _check_schema(self, command: Command) -> None:
        schema = self.store.label_schema
        for annotation in command.written():
            label_class = schema.get(annotation.label)
            if not label_class.allows(annotation.kind):
                raise SchemaError(
                    f"class {annotation.label!r} does not allow {annotation.kind} shapes "
                    f"(allowed: {', '.join(label_class.kinds)})"
                )

    def push(self, command: Command, op_id: str | None = None) -> Command:
        """Apply ``command`` and record it; returns it (with ids assigned).

        A server that aborts the transaction for overlapping another user's
        gets it run again (checks included), as SQLite would have waited.
        ``op_id`` (team mode) is recorded in the same transaction, so an edit
        whose acknowledgement was lost is known to have landed.
        """
        return self.store.retry(lambda: self._push(command, op_id))

    def _push(self, command: Command, op_id: str | None = None) -> Command:
        with self.store.transaction():
            if op_id is not None:
                self.store.record_client_op(op_id, self.user, {})
            self._guard(command)
            self._check_schema(command)
            command.apply(self.store)
            payload = command.to_payload()
            merged, seq, redo_waits = None, None, True
            if command.merge_key is not None:
                top, redo_waits = self.store.edit_tops(self.user)
                if top is not None and not redo_waits:
                    seq = top.seq
                    cached = self._top
                    previous = (cached[1] if cached and cached[0] == seq
                                else command_from_payload(top.payload))
                    merged = previous.merge(command)
            if merged is not None and seq is not None:
                self.store.replace_edit(seq, merged.label, json.dumps(merged.to_payload()))
                logged = (seq, merged)
            else:
                logged = (self.store.log_edit(self.user, command.label, json.dumps(payload),
                                              redo_waits), command)
        self._top = logged
        self._notify("push", command)
        return command

    def undo(self) -> Command | None:
        """Revert the user's latest edit; None when there is nothing to undo."""
        return self.store.retry(self._undo)

    def _undo(self) -> Command | None:
        with self.store.transaction():
            record = self.store.last_edit(self.user, "done")
            if record is None:
                return None
            command = command_from_payload(record.payload)
            self._guard(command)
            command.revert(self.store)
            self.store.set_edit_state(record.seq, "undone")
        self._top = None
        self._notify("undo", command)
        return command

    def redo(self) -> Command | None:
        """Re-apply the most recently undone edit; None when there is nothing to redo."""
        return self.store.retry(self._redo)

    def _redo(self) -> Command | None:
        with self.store.transaction():
            record = self.store.last_edit(self.user, "undone")
            if record is None:
                return None
            command = command_from_payload(record.payload)
            self._guard(command)
            command.apply(self.store)
            self.store.set_edit_state(record.seq, "done")
        self._top = None
        self._notify("redo", command)
        return command

    def undo_label(self) -> str | None:
        record = self.store.last_edit(self.user, "done")
        return record.label if record else None

    def redo_label(self) -> str | None:
        record = self.store.last_edit(self.user, "undone")
        return record.label if record else None
