"""The cuboid validation rules, alone and through Project.validate on a real PCD file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from annotator.commands import AddAnnotations
from annotator.errors import MediaError
from annotator.geometry import RULES, validate_annotations, validate_items
from annotator.geometry.cuboid import fit_cuboid
from annotator.media.pcd import write_pcd
from annotator.media.pointcloud import PointCloud
from annotator.model import Annotation, Box, Item, LabelClass, LabelSchema
from annotator.project import Project
from annotator.shapes import Cuboid
from tests.geometry.test_cuboid import ORIGIN, Scene, drawn, scene

SCHEMA = LabelSchema("s", (LabelClass("car", "#e69f00", ("cuboid", "box")),))


def moved(box: Cuboid, dz: float = 0.0, dx: float = 0.0) -> Cuboid:
    return Cuboid(box.center + np.array([[dx, 0.0, dz]]), box.size, box.yaw)


@pytest.fixture(scope="module")
def case() -> Scene:
    return scene(33.0)


def shapes(case: Scene) -> list[Annotation]:
    fit = fit_cuboid(case.cloud, *drawn(case.truth))
    assert fit is not None
    flat = Cuboid(case.truth.center, np.array([[4.0, 2.0, 0.0]]), 0.2)
    return [
        Annotation(1, 1, "car", fit),                           # right
        Annotation(2, 1, "car", flat),                          # no height
        Annotation(3, 1, "car", moved(case.truth, dz=10.0)),    # in the air: empty
        Annotation(4, 1, "car", moved(case.truth, dz=-0.8)),    # sunk 0.8 m
        Annotation(5, 1, "car", moved(case.truth, dz=-2.0)),    # buried, and empty
        Annotation(6, 1, "car", moved(case.truth, dz=-0.2)),    # within the tolerance
    ]


def pointcloud_item(number: int = 1) -> Item:
    return Item(number, f"tile{number}.pcd", "pointcloud", "pcd", "", 0, points=1)


def rules_of(findings: list) -> set[tuple[int | None, str, str]]:
    return {(f.annotation_id, f.rule, f.severity) for f in findings}


def test_rules_are_in_the_table() -> None:
    assert RULES["cuboid_size"][0] == "error"
    assert RULES["cuboid_empty"][0] == "warning"
    assert RULES["cuboid_below_ground"][0] == "warning"


def test_without_clouds_only_the_size_is_checked(case: Scene) -> None:
    findings = validate_annotations(SCHEMA, pointcloud_item(), shapes(case))
    assert rules_of(findings) == {(2, "cuboid_size", "error")}
    (finding,) = findings
    assert finding.message == ("cuboid #2 (car): size must be positive "
                               "(length 4.0, width 2.0, height 0.0 m)")
    assert finding.location == pytest.approx(tuple(case.truth.center[0, :2]))


def test_with_the_cloud_empty_and_below_ground_are_found(case: Scene) -> None:
    asked: list[int | None] = []

    def clouds(item: Item) -> PointCloud:
        asked.append(item.id)
        return case.cloud

    findings = validate_annotations(SCHEMA, pointcloud_item(), shapes(case), clouds)
    assert rules_of(findings) == {
        (2, "cuboid_size", "error"),
        (3, "cuboid_empty", "warning"),
        (4, "cuboid_below_ground", "warning"),
        (5, "cuboid_below_ground", "warning"),
        (5, "cuboid_empty", "warning"),
    }
    assert asked == [1]                      # one read per item
    messages = {f.annotation_id: f.message for f in findings if f.rule == "cuboid_below_ground"}
    assert messages[4].startswith("cuboid #4 (car): bottom 0.8")
    assert "m below the ground" in messages[4]
    assert messages[5].startswith("cuboid #5 (car): wholly below the ground: top 0.5")


def test_items_without_cuboids_or_without_a_cloud_are_not_read(case: Scene) -> None:
    asked: list[int | None] = []

    def clouds(item: Item) -> PointCloud | None:
        asked.append(item.id)
        return None if item.id == 2 else case.cloud

    image = Item(3, "a.png", "image", "png", "", 0, width=64, height=48)
    entries = [
        (pointcloud_item(1), [Annotation(1, 1, "car", moved(case.truth, dz=10.0))]),
        (pointcloud_item(2), [Annotation(2, 2, "car", moved(case.truth, dz=10.0))]),
        (image, [Annotation(3, 3, "car", Box.from_corners(1, 1, 20, 20))]),
        (pointcloud_item(4), []),
    ]
    findings = validate_items(SCHEMA, entries, clouds)
    assert rules_of(findings) == {(1, "cuboid_empty", "warning")}
    assert asked == [1, 2]


def test_many_cuboids_on_one_cloud(case: Scene) -> None:
    """Enough cuboids to build the point grid: the same findings as one by one."""
    many = [Annotation(n + 1, 1, "car", moved(case.truth, dz=10.0 * (n % 2), dx=0.01 * n))
            for n in range(12)]
    together = validate_annotations(SCHEMA, pointcloud_item(), many, lambda item: case.cloud)
    alone = [f for a in many
             for f in validate_annotations(SCHEMA, pointcloud_item(), [a],
                                           lambda item: case.cloud)]
    assert rules_of(together) == rules_of(alone)
    assert {f.annotation_id for f in together} == {2, 4, 6, 8, 10, 12}


def test_project_validate_reads_the_tile(tmp_path: Path, case: Scene) -> None:
    folder = tmp_path / "proj"
    media = folder / "media"
    media.mkdir(parents=True)
    write_pcd(media / "tile.pcd", case.cloud, "binary")
    with Project.create(folder, SCHEMA, user="lead") as project:
        project.import_media([media / "tile.pcd"])
        (item,) = [i for i, _ in project.entries()]
        assert item.kind == "pointcloud"
        project.stack.push(AddAnnotations(
            [Annotation(None, int(item.id or 0), a.label, a.geometry) for a in shapes(case)]))
        findings = project.validate()
        assert sorted(f.rule for f in findings) == [
            "cuboid_below_ground", "cuboid_below_ground", "cuboid_empty", "cuboid_empty",
            "cuboid_size"]
        (media / "tile.pcd").unlink()
        with pytest.raises(MediaError, match=r"tile\.pcd"):
            project.validate()


def test_far_tiles_keep_their_precision(case: Scene) -> None:
    """The same scene with its origin 100 km farther: the same findings."""
    shift = np.array([[100_000.0, 100_000.0, 0.0]])
    far = PointCloud(ORIGIN + shift[0], case.cloud.xyz, {}, "pcd", "binary")
    shifted = [Annotation(a.id, 1, "car", Cuboid(a.geometry.center + shift, a.geometry.size,
                                                 a.geometry.yaw)) for a in shapes(case)]
    near_findings = validate_annotations(SCHEMA, pointcloud_item(), shapes(case),
                                         lambda item: case.cloud)
    far_findings = validate_annotations(SCHEMA, pointcloud_item(), shifted, lambda item: far)
    assert rules_of(far_findings) == rules_of(near_findings)
