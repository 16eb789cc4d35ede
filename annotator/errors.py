"""Errors a person can act on.

Every error that reaches the user derives from :class:`AnnotatorError`; its
message is one line that says what went wrong and where (a file, a key, a
batch).  The CLI prints it and exits with code 2; the app shows it in a
message box.  Anything else escaping is a bug.
"""

from __future__ import annotations

__all__ = [
    "AnnotatorError",
    "Cancelled",
    "ConflictError",
    "FormatError",
    "GeometryError",
    "MediaError",
    "OfflineError",
    "PermissionDenied",
    "ProjectError",
    "SchemaError",
    "StoreError",
    "WorkflowError",
]


class AnnotatorError(Exception):
    """A failure caused by input or state, explained in one line."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


class SchemaError(AnnotatorError):
    """A label schema file or object is not valid."""


class GeometryError(AnnotatorError):
    """Coordinates that do not make a shape: NaN, infinite, too few points."""


class MediaError(AnnotatorError):
    """A media file cannot be read: unknown type, corrupt or truncated."""


class ProjectError(AnnotatorError):
    """A path is not a project, or a project cannot be opened as asked."""


class StoreError(AnnotatorError):
    """The project store refused or failed an operation."""


class ConflictError(StoreError):
    """An edit was based on a state that has since changed.

    When one shape is at stake the error carries both versions, so the app
    can show them side by side: ``mine`` is what this edit would have
    written (None for a deletion), ``theirs`` what the store holds now
    (None when someone deleted it).  Both are
    :class:`~annotator.model.Annotation` objects; typed loosely here because
    errors sit below the model.
    """

    def __init__(self, message: str, annotation_id: int | None = None,
                 mine: object | None = None, theirs: object | None = None) -> None:
        super().__init__(message)
        self.annotation_id = annotation_id
        self.mine = mine
        self.theirs = theirs


class OfflineError(StoreError):
    """The database server cannot be reached (team mode): a network or server outage.

    Work may go on locally (:mod:`annotator.offline`); the store reconnects
    by itself at its next transaction once the server answers again.
    """


class WorkflowError(AnnotatorError):
    """A batch transition that the workflow does not allow."""


class PermissionDenied(WorkflowError):
    """The user's role or assignment does not allow the action."""


class FormatError(AnnotatorError):
    """An annotation file cannot be read, or an export cannot be written."""


class Cancelled(Exception):
    """The user cancelled a long job (a read, an export) through its progress callback."""
