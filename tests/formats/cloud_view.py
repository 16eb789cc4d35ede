"""A project view of point-cloud tiles with cuboids, for the 3D box formats.

Three tiles: a georeferenced survey tile 40 km out (CRS and float64 origin),
a sensor scan in its own frame, and one without boxes.  Besides cuboids it
holds a 3D polyline and a 3D point, which the box formats skip and report.
"""

from __future__ import annotations

from annotator.formats import ExportItem, ProjectView
from annotator.model import Annotation, AttributeSpec, Item, LabelClass, LabelSchema
from annotator.shapes import Cuboid, Geometry, Point3D, Polyline3D


def cloud_schema() -> LabelSchema:
    """Classes in a deliberate order; one name with a space (KITTI writes it with ``_``)."""
    return LabelSchema(
        "clouds",
        (
            LabelClass("unused_first", "#000000", ("cuboid",)),
            LabelClass("car", "#e69f00", ("cuboid",),
                       (AttributeSpec("occluded", "bool", default=False),
                        AttributeSpec("truncated", "bool", default=False),
                        AttributeSpec("color", "enum", ("white", "red")))),
            LabelClass("traffic sign", "#f0e442", ("cuboid",),
                       (AttributeSpec("speed_kmh", "int"),)),
            LabelClass("pedestrian", "#56b4e9", ("cuboid", "point3d"),
                       (AttributeSpec("height_m", "float"),)),
            LabelClass("lane_line", "#d55e00", ("polyline3d",)),
        ),
    )


def cloud_item(item_id: int, name: str, crs: str | None = None,
               origin: tuple[float, float, float] | None = None) -> Item:
    fmt = name.rsplit(".", 1)[-1]
    return Item(item_id, name, "pointcloud", fmt, "0" * 64, 1000, points=100, crs=crs,
                origin=origin)


def box(center: tuple[float, float, float], size: tuple[float, float, float],
        yaw: float) -> Cuboid:
    return Cuboid([center], [size], yaw)


def make_cloud_view(schema: LabelSchema | None = None) -> ProjectView:
    schema = schema or cloud_schema()

    def ann(annotation_id: int, item_id: int, label: str, geometry: Geometry,
            **attributes: object) -> Annotation:
        return Annotation(annotation_id, item_id, label, geometry, attributes=attributes)

    survey = cloud_item(1, "media/tile 01.laz", "EPSG:6677", (40000.0, -120000.0, 20.0))
    scan = cloud_item(2, "media/sub/scan.pcd")
    empty = cloud_item(3, "media/empty.bin")
    items = [
        ExportItem(survey, survey.path, (
            ann(11, 1, "car", box((40012.25, -119987.5, 21.75), (4.5, 1.8, 1.5), 0.5),
                occluded=True, truncated=False, color="red"),
            ann(12, 1, "traffic sign", box((40020.125, -119990.0, 22.5), (0.1, 0.8, 0.8),
                                          -2.5), speed_kmh=40),
            ann(13, 1, "pedestrian", box((40003.0, -119995.25, 20.875), (0.6, 0.7, 1.75), 3.0),
                height_m=1.75),
            ann(14, 1, "lane_line", Polyline3D([[40000, -120000, 20], [40010, -119990, 20.5]])),
            ann(15, 1, "pedestrian", Point3D([[40001.5, -119999.5, 20.25]])),
        )),
        ExportItem(scan, scan.path, (
            ann(21, 2, "car", box((5.5, -2.25, -0.75), (3.9, 1.6, 1.4), -1.25), occluded=False),
            ann(22, 2, "car", box((12.0, 3.5, -0.5), (4.2, 1.7, 1.5), 0.0)),
        )),
        ExportItem(empty, empty.path, ()),
    ]
    return ProjectView.from_items(schema, items)
