"""Track: the selected shapes copied to the next item, moved with the pixels under them.

The entry point ``track`` in the ``annotator.assists`` group names
:class:`Assist`.  Each shape moves by the median optical flow of the corners
inside its box, or by template matching where too few corners track; see
:mod:`annotator_assist_track.follow`.  Proposals keep each shape's class and
attributes and go to the next item.
"""

from __future__ import annotations

from collections.abc import Mapping

from annotator.plugins import AssistError, AssistRequest, Proposal, SettingSpec, resolve_settings
from annotator.shapes import KINDS_2D
from annotator_assist_track.follow import Motion, follow, follow_shapes, moved

__all__ = ["Assist", "Motion", "follow", "follow_shapes", "moved"]


class Assist:
    """Selection prompt → the selected shapes on the next item.

    With nothing selected, every shape that is not hidden is tracked.
    """

    id = "track"
    title = "Track to next item"
    media = "image"
    prompt = "selection"
    settings: Mapping[str, SettingSpec] = {
        "min_features": SettingSpec("int", 8, 1, 500,
                                    "Corners that must track before template matching is "
                                    "used instead"),
    }

    def propose(self, request: AssistRequest) -> list[Proposal]:
        if request.image is None:
            raise AssistError("needs the image's pixels")
        if request.next_item is None or request.next_image is None:
            raise AssistError("there is no next item to track to")
        chosen = set(request.selected)
        shapes = [a for a in request.annotations
                  if (a.id in chosen if chosen else not a.hidden)
                  and a.geometry.kind in KINDS_2D]
        if not shapes:
            raise AssistError("select the shapes to track")
        values = resolve_settings(self, request.settings)
        tracked = follow_shapes(request.image, request.next_image, [a.geometry for a in shapes],
                                min_features=values["min_features"], progress=request.progress)
        proposals = []
        for annotation, result in zip(shapes, tracked, strict=True):
            if result is None:
                continue  # lost, or moved out of the next image
            placed, motion = result
            proposals.append(Proposal(annotation.label, placed, dict(annotation.attributes),
                                      motion.score, request.next_item.id))
        return proposals
