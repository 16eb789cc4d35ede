"""Is it right? Validation rules over annotations, and the repairs they offer.

:mod:`annotator.geometry.validate` checks a whole project in one vectorised
pass (shapely 2 and numpy); :mod:`annotator.geometry.repair` turns a finding
into an undoable command.  Nothing here imports Qt or touches the store.
"""

from annotator.geometry.repair import (
    REPAIRS,
    clip_to_image,
    connect_end,
    drop_duplicate_vertices,
    make_valid,
    repair,
    repairs_for,
    reverse_lanelet,
    swap_lanelet_sides,
)
from annotator.geometry.validate import (
    RULES,
    SEVERITIES,
    Finding,
    error_count,
    validate_annotations,
    validate_items,
    warning_count,
)

__all__ = [
    "REPAIRS",
    "RULES",
    "SEVERITIES",
    "Finding",
    "clip_to_image",
    "connect_end",
    "drop_duplicate_vertices",
    "error_count",
    "make_valid",
    "repair",
    "repairs_for",
    "reverse_lanelet",
    "swap_lanelet_sides",
    "validate_annotations",
    "validate_items",
    "warning_count",
]
