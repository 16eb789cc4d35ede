"""What the 3D box formats (KITTI, OpenLABEL, cuboids) share.

Their items are point-cloud tiles and their shapes are :class:`Cuboid`\\ s in
the tile's own coordinates: the frame the points are stored in, float64 (for
a sensor scan such as a KITTI ``.bin`` that is the LiDAR frame; for a
georeferenced survey tile it is the tile's CRS).  Other kinds are skipped and
reported.

>>> cuboid_from([1, 2, 3], [4, 2, 1.5], 0.25, "x.json").to_json()["coords"]
[1.0, 2.0, 3.0, 4.0, 2.0, 1.5, 0.25]
>>> cuboid_from([1, 2, 3], [4, -2, 1.5], 0.25, "x.json")
Traceback (most recent call last):
...
annotator.errors.FormatError: x.json: cuboid: size must not be negative
>>> normal_angle(3 * math.pi / 2) == -math.pi / 2
True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from annotator.errors import FormatError
from annotator.formats.base import ExportItem, ImportContext, Report, finite, shape_or_error
from annotator.media.probe import POINTCLOUD_SUFFIXES
from annotator.model import Annotation, Item
from annotator.shapes import Cuboid

__all__ = [
    "CLOUD_SUFFIXES",
    "cuboid_from",
    "cuboid_or_skip",
    "json_number",
    "normal_angle",
    "resolve_stem",
]

#: Point-cloud file suffixes, tried in this order when a format names a tile by its stem.
CLOUD_SUFFIXES = tuple(sorted(POINTCLOUD_SUFFIXES))


def normal_angle(angle: float) -> float:
    """An angle in radians brought into [-pi, pi]; angles already there come back unchanged."""
    return math.remainder(angle, math.tau)


def json_number(value: Any, where: str) -> float:
    """A number as JSON gives it: no text, no true/false, no 400-digit integers.

    >>> json_number(10**400, "x")
    Traceback (most recent call last):
    ...
    annotator.errors.FormatError: x: 100000000000000000000000000000... is not a usable coordinate
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FormatError(f"{where}: {value!r:.40} is not a number")
    if isinstance(value, int) and abs(value) > 10**15:
        raise FormatError(f"{where}: {str(value)[:30]}... is not a usable coordinate")
    return finite(value, where)


def cuboid_from(center: Sequence[Any], size: Sequence[Any], yaw: Any, where: str) -> Cuboid:
    """A cuboid from numbers read from a file: each a finite number of sane size."""
    numbers = np.array([finite(v, where) for v in (*center, *size)], dtype=np.float64)
    angle = finite(yaw, where)
    cuboid = shape_or_error(lambda: Cuboid(numbers[None, :3], numbers[None, 3:], angle), where)
    assert isinstance(cuboid, Cuboid)
    return cuboid


def cuboid_or_skip(export_item: ExportItem, annotation: Annotation, report: Report,
                   title: str) -> Cuboid | None:
    """The annotation's cuboid, or None after reporting it skipped (the format holds cuboids)."""
    geometry = annotation.geometry
    if isinstance(geometry, Cuboid):
        return geometry
    report.skip(export_item, annotation, f"{title} holds 3D boxes (cuboids) only")
    return None


def resolve_stem(context: ImportContext, stem: str, where: str) -> tuple[str, Item | None]:
    """The project item a file stem names (``000123`` -> ``velodyne/000123.bin``).

    Each point-cloud suffix is tried through the project's look-up (by path,
    then by a unique base name).  The answer is the name to import under (the
    item's stored path, which the project finds again) and the item, or the
    stem itself and None when no tile has that stem.  Two different tiles with
    the stem are refused: the shapes could land on either.
    """
    found: dict[int | None, Item] = {}
    for suffix in CLOUD_SUFFIXES:
        item = context.lookup(stem + suffix)
        if item is not None and item.kind == "pointcloud":
            found.setdefault(item.id, item)
    if len(found) > 1:
        names = ", ".join(sorted(i.path for i in found.values()))
        raise FormatError(f"{where}: {stem!r} names {len(found)} point clouds in the project "
                          f"({names}); rename one so each label file has one tile")
    if not found:
        return stem, None
    item = next(iter(found.values()))
    return item.path, item
