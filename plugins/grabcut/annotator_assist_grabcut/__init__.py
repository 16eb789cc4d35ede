"""Box to polygon: the object a drawn box frames, outlined by OpenCV's GrabCut.

The entry point ``grabcut`` in the ``annotator.assists`` group names
:class:`Assist`.  The work happens in :mod:`annotator_assist_grabcut.segment`
(GrabCut in a window around the box) and
:mod:`annotator_assist_grabcut.outline` (masks to polygons with holes, within
a vertex budget), which the magic wand shares.
"""

from __future__ import annotations

from collections.abc import Mapping

from annotator.plugins import AssistError, AssistRequest, Proposal, SettingSpec, resolve_settings
from annotator_assist_grabcut.outline import mask_polygons, simplify_rings
from annotator_assist_grabcut.segment import grabcut_polygons

__all__ = ["Assist", "grabcut_polygons", "mask_polygons", "simplify_rings"]


class Assist:
    """Box prompt → polygons (with holes) of the current class.

    Clicks that come with the box (the prompt's ``points``, ``labels`` 1 for
    object, 0 for background) pin what they touch.
    """

    id = "grabcut"
    title = "Box to polygon (GrabCut)"
    media = "image"
    prompt = "box"
    settings: Mapping[str, SettingSpec] = {
        "max_vertices": SettingSpec("int", 64, 4, 1000,
                                    "Most vertices per polygon, holes included"),
        "iterations": SettingSpec("int", 4, 1, 10,
                                  "GrabCut rounds: more follow faint borders better, slower"),
    }

    def propose(self, request: AssistRequest) -> list[Proposal]:
        if request.image is None:
            raise AssistError("needs the image's pixels")
        if request.prompt.box is None:
            raise AssistError("needs a box around the object")
        values = resolve_settings(self, request.settings)
        points, labels = request.prompt.points, request.prompt.labels
        clicks = [] if points is None or labels is None else [
            (float(x), float(y), int(label)) for (x, y), label in zip(points, labels, strict=True)]
        polygons = grabcut_polygons(request.image, request.prompt.box,
                                    max_vertices=values["max_vertices"],
                                    iterations=values["iterations"], clicks=clicks,
                                    progress=request.progress)
        return [Proposal(request.label, polygon) for polygon in polygons]
