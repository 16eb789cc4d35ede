"""Exchange formats: one module per format, found through entry points.

Every format, ours included, is registered in the ``annotator.formats``
entry-point group (see ``pyproject.toml``) as a :class:`FormatSpec`, so a
plugin format is a first-class citizen.  Entry points are loaded lazily, the
first time a format is asked for.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import entry_points

from annotator.errors import FormatError
from annotator.formats.base import (
    ExportItem,
    FormatSpec,
    ImportContext,
    ImportedImage,
    ImportedShape,
    ImportResult,
    ProjectView,
    Report,
    Skipped,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "ExportItem",
    "FormatSpec",
    "ImportContext",
    "ImportResult",
    "ImportedImage",
    "ImportedShape",
    "ProjectView",
    "Report",
    "Skipped",
    "available",
    "get_format",
]

ENTRY_POINT_GROUP = "annotator.formats"


@cache
def available() -> dict[str, FormatSpec]:
    """Every registered format by id, in id order."""
    found: dict[str, FormatSpec] = {}
    for point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            spec = point.load()
        except Exception as exc:  # a broken plugin must not take the others down
            raise FormatError(f"format plugin {point.name!r} ({point.value}) failed to load: "
                              f"{type(exc).__name__}: {exc}") from None
        if not isinstance(spec, FormatSpec):
            raise FormatError(f"format plugin {point.name!r} ({point.value}) is not a FormatSpec")
        if spec.id != point.name:
            raise FormatError(f"format plugin {point.name!r} calls itself {spec.id!r}")
        found[spec.id] = spec
    return dict(sorted(found.items()))


def get_format(format_id: str) -> FormatSpec:
    formats = available()
    if format_id not in formats:
        known = ", ".join(formats) or "none are installed"
        raise FormatError(f"unknown format {format_id!r} (known: {known})")
    return formats[format_id]
