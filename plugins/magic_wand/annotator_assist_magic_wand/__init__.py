"""Magic wand: a click to the polygon of similar colour around it (flood fill).

The entry point ``magic_wand`` in the ``annotator.assists`` group names
:class:`Assist`; the fill and its tracing are in
:mod:`annotator_assist_magic_wand.wand`.
"""

from __future__ import annotations

from collections.abc import Mapping

from annotator.plugins import AssistError, AssistRequest, Proposal, SettingSpec, resolve_settings
from annotator_assist_magic_wand.wand import fill_mask, wand_polygons

__all__ = ["Assist", "fill_mask", "wand_polygons"]


class Assist:
    """Click prompt → polygons (with holes) of the current class."""

    id = "magic_wand"
    title = "Magic wand (flood fill)"
    media = "image"
    prompt = "click"
    settings: Mapping[str, SettingSpec] = {
        "tolerance": SettingSpec("int", 24, 0, 255,
                                 "Largest difference from the clicked colour, per channel"),
        "max_vertices": SettingSpec("int", 64, 4, 1000,
                                    "Most vertices per polygon, holes included"),
    }

    def propose(self, request: AssistRequest) -> list[Proposal]:
        if request.image is None:
            raise AssistError("needs the image's pixels")
        points, labels = request.prompt.points, request.prompt.labels
        if points is None or not len(points):
            raise AssistError("needs a click on the region")
        values = resolve_settings(self, request.settings)
        polygons = wand_polygons(request.image, points.tolist(),
                                 None if labels is None else labels.tolist(),
                                 tolerance=values["tolerance"],
                                 max_vertices=values["max_vertices"])
        request.progress(1.0)
        return [Proposal(request.label, polygon) for polygon in polygons]
