"""A project view with every 2D kind, attributes, an EXIF-rotated and an empty image.

Format tests write ``sample_view`` and read it back; ``sample_context``
answers item look-ups as a project would.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from annotator.formats import ExportItem, ImportContext, ProjectView
from annotator.model import Annotation, AttributeSpec, Item, LabelClass, LabelSchema
from annotator.shapes import Box, Point, Polygon, Polyline, RotatedBox


@pytest.fixture
def format_schema() -> LabelSchema:
    """Classes in a deliberate order: category ids come from it, not from what appears."""
    return LabelSchema(
        "formats",
        (
            LabelClass("unused_first", "#000000", ("box",)),
            LabelClass("car", "#e69f00", ("box", "polygon", "rotated_box"),
                       (AttributeSpec("occluded", "bool", default=False),
                        AttributeSpec("color", "enum", ("white", "red"))),),
            LabelClass("pedestrian", "#56b4e9", ("box", "polygon", "point")),
            LabelClass("lane_line", "#d55e00", ("polyline",)),
            LabelClass("sign", "#f0e442", ("point", "box")),
        ),
    )


def _item(item_id: int, name: str, width: int, height: int) -> Item:
    return Item(item_id, name, "image", "jpeg", "0" * 64, 1000, width=width, height=height)


def make_view(schema: LabelSchema) -> ProjectView:
    """Three images: one full of shapes, one rotated by EXIF (480x640), one empty."""

    def ann(annotation_id: int, item_id: int, label: str, geometry: object,
            **attributes: object) -> Annotation:
        return Annotation(annotation_id, item_id, label, geometry,  # type: ignore[arg-type]
                          attributes=attributes)

    full = _item(1, "media/street 01.jpg", 640, 480)
    rotated = _item(2, "media/sub/rotated.jpg", 480, 640)
    empty = _item(3, "media/empty.jpg", 320, 240)
    holed = Polygon([[300, 300], [400, 300], [400, 400], [300, 400]],
                    ([[330, 330], [370, 330], [370, 370], [330, 370]],))
    items = [
        ExportItem(full, full.path, (
            ann(11, 1, "car", Box.from_corners(10.25, 20.5, 110.75, 80.125),
                occluded=True, color="red"),
            ann(12, 1, "pedestrian", Polygon([[200, 100], [260.5, 100], [250, 180.25],
                                              [205, 175]])),
            ann(13, 1, "car", RotatedBox(500, 300, 80, 40, 0.5)),
            ann(14, 1, "lane_line", Polyline([[0, 470], [320, 300], [639, 250]])),
            ann(15, 1, "sign", Point.at(600.5, 50.25)),
            ann(16, 1, "car", holed, occluded=False),
        )),
        ExportItem(rotated, rotated.path, (
            ann(21, 2, "pedestrian", Box.from_corners(100, 500, 140, 620)),
            ann(22, 2, "car", Polygon([[10, 10], [470, 10], [470, 630], [10, 630]]),
                color="white"),
        )),
        ExportItem(empty, empty.path, ()),
    ]
    return ProjectView.from_items(schema, items)


@pytest.fixture
def sample_view(format_schema: LabelSchema) -> ProjectView:
    return make_view(format_schema)


def context_for(view: ProjectView) -> ImportContext:
    by_name = {e.file_name: e.item for e in view.items()}
    by_base: dict[str, list[Item]] = {}
    for name, item in by_name.items():
        by_base.setdefault(Path(name).name, []).append(item)

    def lookup(name: str) -> Item | None:
        if name in by_name:
            return by_name[name]
        found = by_base.get(Path(name).name, [])
        return found[0] if len(found) == 1 else None

    return ImportContext(view.schema, lookup)


@pytest.fixture
def sample_context(sample_view: ProjectView) -> ImportContext:
    return context_for(sample_view)


@pytest.fixture
def make_context() -> Callable[[ProjectView], ImportContext]:
    return context_for
