"""Point-cloud proposals: cuboids for the objects on a tile, polylines for its lane markings.

The assist ``cloud_proposals`` works on a whole tile (prompt "none"), or on
the region of a box prompt (world metres, x0 y0 x1 y1).  It removes the
ground (a RANSAC plane per cell, :mod:`.ground`), clusters what stands on it
(voxels joined by a vectorised union-find, :mod:`.objects`), boxes each
cluster of plausible size as a :class:`~annotator.shapes.Cuboid` named by its
size, and fits the bright ground points (road paint) to
:class:`~annotator.shapes.Polyline3D` lane lines and stop lines and a
:class:`~annotator.shapes.Polygon3D` per zebra crossing (:mod:`.markings`).

Names come from the project's schema: a size class (car, truck, pedestrian,
bicycle, pole) maps to the first schema class in its list that allows a
cuboid; an object of plausible size that fits no entry, or whose entry has
no class in the schema, gets the current class (when it allows cuboids).
Markings go to ``lane_line`` / ``stop_line`` / ``crosswalk`` (or the current
class for lane lines, when it allows polyline3d).  All proposals are WORLD
coordinates: the cloud's float64 origin plus its float32 local points.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from annotator.model import LabelSchema
from annotator.plugins import AssistRequest, Proposal, SettingSpec, resolve_settings
from annotator.shapes import Cuboid, Polygon3D, Polyline3D
from annotator_assist_cloud_proposals.markings import Marking
from annotator_assist_cloud_proposals.objects import SIZES, Blob
from annotator_assist_cloud_proposals.pipeline import Detections, Params, detect

__all__ = ["Assist", "CloudProposals"]

#: Schema classes tried for each kind of marking, in order.
MARKING_CLASSES: Final = {
    "lane_line": ("lane_line", "lane_marking", "lane_boundary"),
    "stop_line": ("stop_line",),
    "crosswalk": ("crosswalk",),
}
#: An object that fits no size class is still proposed inside this envelope (m) ...
UNKNOWN_MAX: Final = (18.0, 3.0, 4.6)
#: ... and at least this tall.
UNKNOWN_MIN_HEIGHT: Final = 0.5


class CloudProposals:
    """The ``cloud_proposals`` assist (see the module docstring)."""

    id = "cloud_proposals"
    title = "Propose cuboids and lane lines"
    media = "pointcloud"
    prompt = "none"
    settings: Mapping[str, SettingSpec] = {
        "cell_size": SettingSpec("float", 10.0, 2.0, 100.0,
                                 "Side (m) of the square cells with one ground plane each"),
        "min_points": SettingSpec("int", 30, 3, 100_000,
                                  "Fewest points of an object that is proposed"),
        "intensity_percentile": SettingSpec(
            "float", 95.0, 50.0, 99.9,
            "Ground points brighter than this percentile are road paint"),
        "max_gap": SettingSpec("float", 7.0, 0.0, 50.0,
                               "Longest gap (m) between the dashes of one lane line"),
        "min_height": SettingSpec("float", 0.25, 0.05, 2.0,
                                  "Points higher than this (m) above the ground are objects"),
        "voxel": SettingSpec("float", 0.2, 0.05, 1.0,
                             "Objects closer than about this (m) are one"),
        "objects": SettingSpec("bool", True, help="Propose cuboids"),
        "markings": SettingSpec("bool", True, help="Propose lane lines and other markings"),
    }

    def propose(self, request: AssistRequest) -> list[Proposal]:
        cloud = request.cloud
        if cloud is None:
            raise ValueError("no point cloud given")
        values = resolve_settings(self, request.settings)
        params = Params(cell_size=values["cell_size"], min_height=values["min_height"],
                        voxel=values["voxel"], min_points=values["min_points"],
                        intensity_percentile=values["intensity_percentile"],
                        max_gap=values["max_gap"],
                        objects=values["objects"], markings=values["markings"])
        index = _region(request)
        xyz = cloud.xyz if index is None else cloud.xyz[index]
        intensity = cloud.fields.get("intensity")
        if intensity is not None:
            intensity = np.asarray(intensity)
            if index is not None:
                intensity = intensity[index]
            if intensity.ndim != 1:
                intensity = None
        found = detect(np.ascontiguousarray(xyz, dtype=np.float32), intensity, params,
                       request.progress)
        return proposals(found, cloud.origin, request.schema, request.label)


#: The entry point's name for the class.
Assist = CloudProposals


def _region(request: AssistRequest) -> npt.NDArray[np.int64] | None:
    """Indices of the points under a box prompt (world x, y), None for the whole tile."""
    prompt = request.prompt
    cloud = request.cloud
    if prompt.kind != "box" or prompt.box is None or cloud is None:
        return None
    x0, y0, x1, y1 = prompt.box
    ox, oy = float(cloud.origin[0]), float(cloud.origin[1])
    x, y = cloud.xyz[:, 0], cloud.xyz[:, 1]
    inside = (x >= np.float32(x0 - ox)) & (x <= np.float32(x1 - ox)) \
        & (y >= np.float32(y0 - oy)) & (y <= np.float32(y1 - oy))
    found: npt.NDArray[np.int64] = np.flatnonzero(inside)
    return found


def proposals(found: Detections, origin: npt.NDArray[np.float64], schema: LabelSchema,
              label: str) -> list[Proposal]:
    """The detections as proposals in WORLD coordinates, named from ``schema``."""
    out: list[Proposal] = []
    for blob in found.blobs:
        made = _cuboid(blob, origin, schema, label)
        if made is not None:
            out.append(made)
    for marking in found.markings:
        made = _marking(marking, origin, schema, label)
        if made is not None:
            out.append(made)
    return out


def _allowing(schema: LabelSchema, names: tuple[str, ...], kind: str) -> str | None:
    return next((n for n in names if n in schema and schema.get(n).allows(kind)), None)


def _cuboid(blob: Blob, origin: npt.NDArray[np.float64], schema: LabelSchema,
            label: str) -> Proposal | None:
    length, width, height = blob.size
    name: str | None = None
    if blob.kind is not None:
        size = next(s for s in SIZES if s.name == blob.kind)
        name = _allowing(schema, size.classes, "cuboid")
    elif not (length <= UNKNOWN_MAX[0] and width <= UNKNOWN_MAX[1]
              and UNKNOWN_MIN_HEIGHT <= height <= UNKNOWN_MAX[2]) \
            or (width < 0.3 and length > 2.5):          # walls and fences
        return None
    if name is None:
        name = _allowing(schema, (label,), "cuboid")
    if name is None:
        return None
    centre = np.asarray(blob.center, dtype=np.float64) + origin
    geometry = Cuboid(centre[None, :], np.array([[length, width, height]]), blob.yaw)
    attributes: dict[str, Any] = {}
    spec = schema.get(name).attribute("height_m")
    if spec is not None and spec.type == "float":
        attributes["height_m"] = round(height, 2)
    return Proposal(name, geometry, attributes)


def _marking(marking: Marking, origin: npt.NDArray[np.float64], schema: LabelSchema,
             label: str) -> Proposal | None:
    points = marking.points + origin
    if marking.kind == "crosswalk":
        name = _allowing(schema, MARKING_CLASSES["crosswalk"], "polygon3d")
        return None if name is None else Proposal(name, Polygon3D(points))
    name = _allowing(schema, MARKING_CLASSES[marking.kind], "polyline3d")
    if name is None and marking.kind == "lane_line":
        name = _allowing(schema, (label,), "polyline3d")
    if name is None or len(points) < 2 or not math.isfinite(float(points.sum())):
        return None
    attributes: dict[str, Any] = {}
    spec = schema.get(name).attribute("line_type")
    if marking.line_type is not None and spec is not None and spec.type == "enum" \
            and marking.line_type in spec.values:
        attributes["line_type"] = marking.line_type
    return Proposal(name, Polyline3D(points), attributes)
