"""Edge snapping: a polygon vertex moves onto the strongest image edge near it.

The entry point ``edge_snap`` in the ``annotator.assists`` group names
:class:`Assist`.  The editor calls it once per vertex (through
:func:`annotator.plugins.snap_point`) while snapping is on, so it works on a
small window around the click only; see :mod:`annotator_assist_edge_snap.snap`.
"""

from __future__ import annotations

from collections.abc import Mapping

from annotator.plugins import AssistError, AssistRequest, Proposal, SettingSpec, resolve_settings
from annotator.shapes import Point
from annotator_assist_edge_snap.snap import snap_to_edge

__all__ = ["Assist", "snap_to_edge"]


class Assist:
    """Click prompt → one Point on the nearest strong edge, or nothing."""

    id = "edge_snap"
    title = "Snap vertices to edges"
    media = "image"
    prompt = "click"
    settings: Mapping[str, SettingSpec] = {
        "radius": SettingSpec("float", 8.0, 1.0, 64.0,
                              "How far (pixels) a vertex may move to reach an edge"),
        "min_strength": SettingSpec("float", 24.0, 1.0, 255.0,
                                    "Weakest edge to snap to: contrast across it (0-255)"),
    }

    def propose(self, request: AssistRequest) -> list[Proposal]:
        if request.image is None:
            raise AssistError("needs the image's pixels")
        points = request.prompt.points
        if points is None or not len(points):
            raise AssistError("needs the vertex to snap")
        values = resolve_settings(self, request.settings)
        found = snap_to_edge(request.image, points[0], radius=values["radius"],
                             min_strength=values["min_strength"])
        if found is None:
            return []
        x, y, strength = found
        return [Proposal(request.label, Point.at(x, y), score=min(strength / 255.0, 1.0))]
