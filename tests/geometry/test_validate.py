from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from annotator.geometry import (
    RULES,
    SEVERITIES,
    Finding,
    error_count,
    validate_annotations,
    validate_items,
    warning_count,
)
from annotator.geometry._checks import _shell_shape
from annotator.geometry._maps import MAP_RULES
from annotator.geometry._ragged import Ragged
from annotator.geometry._simple import rings_simple
from annotator.model import (
    Annotation,
    AttributeSpec,
    Box,
    Cuboid,
    Item,
    LabelClass,
    LabelSchema,
    Point,
    Polygon,
    Polygon3D,
    Polyline,
    RotatedBox,
    Rules,
)
from tests.geometry.reference import reference

SCHEMA = LabelSchema("test", (
    LabelClass("car", "#e69f00", ("box", "polygon", "rotated_box", "cuboid"), (
        AttributeSpec("color", "enum", ("white", "black"), required=True),
        AttributeSpec("occluded", "bool"),
        AttributeSpec("doors", "int"),
        AttributeSpec("speed", "float"),
        AttributeSpec("plate", "text"),
    )),
    LabelClass("road", "#56b4e9", ("polygon", "polygon3d")),
    LabelClass("lane", "#d55e00", ("polyline",)),
    LabelClass("sign", "#f0e442", ("point",)),
))
IMAGE = Item(1, "a.png", "image", "png", "", 0, width=640, height=480)
CLOUD = Item(2, "a.pcd", "pointcloud", "pcd", "", 0, points=10)
UNSIZED = Item(3, "b.png", "image", "png", "", 0)
OK = {"color": "white"}


def poly(points: Sequence[Sequence[float]], *holes: Sequence[Sequence[float]]) -> Polygon:
    return Polygon(np.array(points, dtype=float), tuple(np.array(h, float) for h in holes))


def line(points: Sequence[Sequence[float]]) -> Polyline:
    return Polyline(np.array(points, dtype=float))


def ann(id_: int | None, label: str, geometry: Any, attributes: dict[str, Any] | None = None,
        item: Item = IMAGE) -> Annotation:
    attrs = OK if attributes is None and label == "car" else attributes or {}
    return Annotation(id_, int(item.id or 0), label, geometry, attrs)


def found(*annotations: Annotation, item: Item = IMAGE, schema: LabelSchema = SCHEMA
          ) -> list[Finding]:
    return validate_annotations(schema, item, list(annotations))


def rules(*annotations: Annotation, item: Item = IMAGE) -> list[tuple[int | None, str, str]]:
    return [(f.annotation_id, f.rule, f.severity) for f in found(*annotations, item=item)]


SQUARE = [[100, 100], [200, 100], [200, 200], [100, 200]]


def test_a_clean_item_has_no_findings() -> None:
    assert found(ann(1, "car", poly(SQUARE)), ann(2, "car", Box.from_corners(300, 300, 340, 330)),
                 ann(3, "lane", line([[0, 0], [50, 60], [90, 10]])),
                 ann(4, "sign", Point.at(640, 480)),
                 ann(5, "road", poly(SQUARE, [[120, 120], [150, 120], [150, 150]]))) == []


# -- polygon_invalid ---------------------------------------------------------------------


def test_bow_tie_is_flagged_at_its_crossing() -> None:
    (finding,) = found(ann(12, "car", poly([[0, 0], [20, 10], [20, 0], [0, 10]])))
    assert (finding.rule, finding.severity) == ("polygon_invalid", "error")
    assert finding.location == pytest.approx((10.0, 5.0))
    assert finding.message == "polygon #12 (car): self-intersection at (10.0, 5.0)"


def test_bow_tie_off_the_grid_has_the_true_crossing() -> None:
    (finding,) = found(ann(1, "car", poly([[103, 30], [150, 50], [150, 30], [103, 50]])))
    # Segments (103,30)-(150,50) and (150,30)-(103,50) cross at x = 126.5, y = 40.
    assert finding.location == pytest.approx((126.5, 40.0))
    assert "at (126.5, 40.0)" in finding.message


def test_hole_outside_its_shell() -> None:
    (finding,) = found(ann(1, "car", poly(SQUARE, [[300, 300], [350, 300], [350, 350]])))
    assert finding.rule == "polygon_invalid"
    assert "hole lies outside shell" in finding.message
    assert finding.location == (300.0, 300.0)


def test_ring_touching_itself() -> None:
    # The shell comes back to (150, 100) and leaves again: a self-touch, not a crossing.
    touching = poly([[100, 100], [150, 100], [200, 100], [200, 200], [150, 100], [100, 200]])
    assert [f.rule for f in found(ann(1, "car", touching))] == ["polygon_invalid"]


# -- too_few_vertices ----------------------------------------------------------------------


def test_polygon_with_two_distinct_vertices() -> None:
    flat = poly([[10, 10], [50, 50], [10, 10], [50, 50]])
    assert rules(ann(1, "car", flat)) == [(1, "too_few_vertices", "error")]
    with_dups = poly([[10, 10], [10, 10], [50, 50]])
    assert rules(ann(2, "car", with_dups)) == [(2, "duplicate_vertices", "warning"),
                                               (2, "too_few_vertices", "error")]


def test_three_collinear_vertices_are_enough_vertices_but_invalid() -> None:
    assert rules(ann(1, "car", poly([[10, 10], [20, 20], [30, 30]]))) == [
        (1, "polygon_invalid", "error")]


def test_polyline_with_one_distinct_vertex() -> None:
    assert rules(ann(1, "lane", line([[5, 5], [5, 5]]))) == [
        (1, "duplicate_vertices", "warning"), (1, "too_few_vertices", "error")]
    assert rules(ann(2, "lane", line([[5, 5], [6, 5]]))) == []


# -- too_small ------------------------------------------------------------------------------------


def test_tiny_box_and_rotated_box() -> None:
    assert rules(ann(1, "car", Box.from_corners(10, 10, 13, 40))) == [(1, "too_small", "warning")]
    assert rules(ann(2, "car", Box.from_corners(10, 10, 14, 14))) == []      # exactly the minimum
    assert rules(ann(3, "car", RotatedBox(50, 50, 30, 2, 0.5))) == [(3, "too_small", "warning")]
    assert rules(ann(4, "car", RotatedBox(50, 50, 30, 20, 0.5))) == []


def test_small_polygon_area() -> None:
    assert rules(ann(1, "car", poly([[10, 10], [13, 10], [13, 13]]))) == [
        (1, "too_small", "warning")]
    assert rules(ann(2, "car", poly([[10, 10], [14, 10], [14, 14], [10, 14]]))) == []
    strict = LabelSchema("s", SCHEMA.classes, rules=Rules(min_polygon_area=1e5))
    assert [f.rule for f in found(ann(3, "car", poly(SQUARE)), schema=strict)] == ["too_small"]


# -- duplicate_vertices ------------------------------------------------------------------------


def test_consecutive_duplicates_point_at_the_first() -> None:
    (finding,) = found(ann(1, "car", poly([[100, 100], [200, 100], [200, 100], [200, 200],
                                           [150, 250], [150, 250], [100, 200]])))
    assert finding.rule == "duplicate_vertices" and finding.severity == "warning"
    assert finding.location == (200.0, 100.0)
    assert "2 duplicate vertices" in finding.message


def test_a_closed_ring_repeats_its_first_vertex() -> None:
    (finding,) = found(ann(1, "car", poly([*SQUARE, SQUARE[0]])))
    assert finding.rule == "duplicate_vertices" and finding.location == (100.0, 100.0)


def test_duplicates_in_holes_and_polylines() -> None:
    holed = poly(SQUARE, [[120, 120], [150, 120], [150, 120], [150, 150]])
    assert rules(ann(1, "car", holed)) == [(1, "duplicate_vertices", "warning")]
    assert rules(ann(2, "lane", line([[0, 0], [5, 5], [5, 5], [9, 0]]))) == [
        (2, "duplicate_vertices", "warning")]


def test_a_vertex_visited_twice_is_not_a_consecutive_duplicate() -> None:
    assert "duplicate_vertices" not in {f.rule for f in found(ann(1, "lane", line(
        [[0, 0], [10, 0], [10, 10], [0, 0], [0, 10]])))}


# -- outside_image ---------------------------------------------------------------------------


def test_wholly_and_partly_outside() -> None:
    assert rules(ann(1, "car", Box.from_corners(-50, 10, -10, 40)),
                 ann(2, "car", Box.from_corners(-5, 10, 40, 40)),
                 ann(3, "car", poly([[600, 400], [700, 400], [700, 470]])),
                 ann(4, "sign", Point.at(641, 10)),
                 ann(5, "lane", line([[10, 10], [10, 500]]))) == [
        (1, "outside_image", "error"), (2, "outside_image", "warning"),
        (3, "outside_image", "warning"), (4, "outside_image", "error"),
        (5, "outside_image", "warning")]


def test_outside_finding_names_the_first_vertex_outside() -> None:
    (finding,) = found(ann(7, "car", poly([[600, 400], [700, 400], [700, 470]])))
    assert finding.location == (700.0, 400.0)
    assert finding.message == ("polygon #7 (car): partly outside the 640 x 480 image, "
                               "at (700.0, 400.0)")


def test_a_shape_round_the_corner_of_the_image_is_wholly_outside() -> None:
    # Its bounding box overlaps the image; the shape itself never enters it.
    ell = poly([[-10, -10], [50, -10], [50, -1], [-1, -1], [-1, 50], [-10, 50]])
    assert rules(ann(1, "road", ell)) == [(1, "outside_image", "error")]
    diagonal = line([[-10, 5], [5, -10]])
    assert rules(ann(2, "lane", diagonal)) == [(2, "outside_image", "error")]
    along_the_edge = line([[-10, 0], [50, 0]])      # touches the border only
    assert rules(ann(3, "lane", along_the_edge)) == [(3, "outside_image", "error")]


def test_shapes_on_the_border_are_inside() -> None:
    assert rules(ann(1, "car", Box.from_corners(0, 0, 640, 480)),
                 ann(2, "sign", Point.at(0, 480))) == []


def test_no_image_bounds_for_point_clouds_or_unknown_sizes() -> None:
    far = Box.from_corners(-500, -500, -400, -400)
    assert rules(ann(1, "car", far, item=CLOUD), item=CLOUD) == []
    assert rules(ann(1, "car", far, item=UNSIZED), item=UNSIZED) == []


# -- polyline_self_crossing ----------------------------------------------------------------


def test_self_crossing_polyline() -> None:
    (finding,) = found(ann(1, "lane", line([[0, 0], [20, 10], [20, 0], [0, 10]])))
    assert (finding.rule, finding.severity) == ("polyline_self_crossing", "warning")
    assert finding.location == pytest.approx((10.0, 5.0))


def test_polyline_doubling_back_crosses_itself() -> None:
    (finding,) = found(ann(1, "lane", line([[0, 0], [20, 0], [10, 0]])))
    assert finding.rule == "polyline_self_crossing"
    assert finding.location is not None


def test_closed_polyline_loop_is_simple() -> None:
    assert rules(ann(1, "lane", line([*SQUARE, SQUARE[0]]))) == []


# -- overlap_same_class ---------------------------------------------------------------------


def test_same_class_near_duplicates_are_flagged_on_the_later() -> None:
    a = ann(4, "car", Box.from_corners(100, 100, 200, 200))
    b = ann(9, "car", Box.from_corners(101.5, 100, 201.5, 200))    # IoU 0.9704
    (finding,) = found(b, a)
    assert (finding.annotation_id, finding.rule) == (9, "overlap_same_class")
    assert "box #9 (car)" in finding.message and "box #4 (car)" in finding.message
    assert "IoU 0.970" in finding.message
    assert finding.location == pytest.approx((150.75, 150.0))


def test_different_class_or_lower_iou_is_not_flagged() -> None:
    a = ann(1, "car", poly(SQUARE))
    assert rules(a, ann(2, "road", poly(SQUARE))) == []
    assert rules(a, ann(3, "car", Box.from_corners(105, 100, 205, 200))) == []      # IoU 0.905


def test_overlap_between_kinds_of_one_class() -> None:
    assert rules(ann(1, "car", poly(SQUARE)), ann(2, "car", Box.from_corners(100, 100, 200, 201))
                 ) == [(2, "overlap_same_class", "warning")]


def test_a_pile_of_pasted_copies_gives_one_warning_per_copy_naming_the_first() -> None:
    square = poly([[10, 10], [60, 10], [60, 60], [10, 60]])
    pile = [ann(i, "road", square) for i in range(1, 1501)]
    near = ann(2000, "road", poly([[10, 10], [60, 10], [60, 60.5], [10, 60.5]]))
    findings = found(*pile, near)
    assert [f.annotation_id for f in findings] == [*range(2, 1501), 2000]
    assert {f.rule for f in findings} == {"overlap_same_class"}
    assert all(f.message.startswith(f"polygon #{f.annotation_id} (road): overlaps polygon #1 ")
               for f in findings)  # copies are compared with the first copy only


def test_overlap_is_per_item() -> None:
    other = Item(5, "c.png", "image", "png", "", 0, width=640, height=480)
    findings = validate_items(SCHEMA, [(IMAGE, [ann(1, "car", poly(SQUARE))]),
                                       (other, [ann(2, "car", poly(SQUARE), item=other)])])
    assert findings == []


def test_a_huge_shape_meets_its_twin_among_many_small_ones() -> None:
    small = [ann(10 + i, "road", Box.from_corners(x, y, x + 5, y + 5))
             for i, (x, y) in enumerate((x, y) for x in range(0, 600, 20)
                                        for y in range(0, 400, 20))]
    big = [ann(1, "road", poly([[0, 0], [600, 0], [600, 450], [0, 450]])),
           ann(2, "road", poly([[0, 0], [600, 0], [600, 451], [0, 451]]))]
    schema = LabelSchema("s", (LabelClass("road", "#000000", ("box", "polygon")),))
    findings = found(*small, *big, schema=schema)
    assert [(f.annotation_id, f.rule) for f in findings] == [(2, "overlap_same_class")]


# -- class and attribute rules -------------------------------------------------------------------


def test_class_and_kind() -> None:
    assert rules(ann(1, "bus", Box.from_corners(0, 0, 10, 10)),
                 ann(2, "sign", Box.from_corners(0, 0, 10, 10))) == [
        (1, "unknown_class", "error"), (2, "class_kind_not_allowed", "error")]
    (finding,) = found(ann(2, "lane", Point.at(1, 1)), ann(3, "lane", line([[0, 0], [1, 1]])))
    assert finding.message == ("point #2 (lane): class lane does not allow point shapes "
                               "(allowed: polyline)")


@pytest.mark.parametrize(("attributes", "expected"), [
    ({"color": "white"}, []),
    ({"color": "pink"}, ["attribute_invalid"]),
    ({}, ["attribute_missing"]),
    ({"color": None}, ["attribute_missing"]),
    ({"color": ""}, ["attribute_missing"]),
    ({"color": 3}, ["attribute_invalid"]),
    ({"color": ["white"]}, ["attribute_invalid"]),
    ({"color": "black", "occluded": "yes"}, ["attribute_invalid"]),
    ({"color": "black", "occluded": False, "doors": 4, "speed": 2, "plate": "x"}, []),
    ({"color": "black", "doors": True}, ["attribute_invalid"]),
    ({"color": "black", "doors": 2.0}, ["attribute_invalid"]),
    ({"color": "black", "speed": math.nan}, ["attribute_invalid"]),
    ({"color": "black", "speed": "fast"}, ["attribute_invalid"]),
    ({"color": "black", "plate": 7}, ["attribute_invalid"]),
    ({"color": "black", "occluded": None, "plate": ""}, []),        # optional and empty
    ({"color": "pink", "occluded": 1}, ["attribute_invalid", "attribute_invalid"]),
])
def test_attributes(attributes: dict[str, Any], expected: list[str]) -> None:
    box = Box.from_corners(0, 0, 10, 10)
    assert [f.rule for f in found(ann(1, "car", box, attributes))] == expected


def test_attribute_messages() -> None:
    box = Box.from_corners(0, 0, 10, 10)
    messages = [f.message for f in found(ann(1, "car", box, {"color": "pink"}),
                                         ann(2, "car", box, {}))]
    assert messages[0] == "box #1 (car): attribute color: 'pink' is not one of white, black"
    assert messages[1].startswith("box #2 (car): required attribute color is missing")


def test_attributes_checked_among_many_valid_ones() -> None:
    # The fast path settles a column on its distinct values; the odd one still shows.
    boxes = [ann(i, "car", Box.from_corners(i, 0, i + 10, 10), {"color": "white",
                                                                  "occluded": i % 2 == 0})
             for i in range(1, 200)]
    boxes[57] = ann(58, "car", Box.from_corners(0, 0, 10, 10), {"color": "white",
                                                                "occluded": 1})
    flagged = [(f.annotation_id, f.rule) for f in found(*boxes)
               if f.rule.startswith("attribute")]
    assert flagged == [(58, "attribute_invalid")]


def test_attributes_of_a_rare_class_among_many_others() -> None:
    # Few cars among many roads: their attributes are read one by one.
    roads = [ann(i, "road", poly([[i * 5, 0], [i * 5 + 4, 0], [i * 5 + 4, 4]]))
             for i in range(1, 100)]
    cars = [ann(200, "car", Box.from_corners(0, 100, 10, 110), {"color": ["white"]}),
            ann(201, "car", Box.from_corners(50, 100, 60, 110), {"color": "black"})]
    flagged = [(f.annotation_id, f.rule) for f in found(*roads, *cars)
               if f.rule != "too_small"]
    assert flagged == [(200, "attribute_invalid")]


def test_3d_kinds_get_class_and_attribute_rules_only() -> None:
    crossing = Polygon3D(np.array([[0, 0, 0], [20, 10, 0], [20, 0, 0], [0, 10, 0]], float))
    cuboid = Cuboid(np.array([1e6, 1e6, 0.0]), np.array([4.0, 2.0, 1.5]))
    assert rules(ann(1, "road", crossing), ann(2, "car", cuboid, {})) == [
        (2, "attribute_missing", "error")]


# -- the findings themselves -----------------------------------------------------------------


def test_findings_are_sorted_and_serialise() -> None:
    findings = found(ann(9, "car", Box.from_corners(-50, 0, -10, 2)),
                     ann(3, "bus", poly([[0, 0], [20, 10], [20, 0], [0, 10]])))
    keys = [(f.item_id, f.annotation_id or 0, f.rule) for f in findings]
    assert keys == sorted(keys)
    assert findings[0].to_json() == {
        "item": 1, "annotation": 3, "rule": "polygon_invalid", "severity": "error",
        "message": "polygon #3 (bus): self-intersection at (10.0, 5.0)",
        "location": [10.0, 5.0]}
    assert error_count(findings) == 3 and warning_count(findings) == 1


def test_rules_are_documented_with_their_severity() -> None:
    assert set(RULES) == {
        "polygon_invalid", "too_few_vertices", "too_small", "duplicate_vertices",
        "outside_image", "polyline_self_crossing", "overlap_same_class",
        "class_kind_not_allowed", "unknown_class", "attribute_missing", "attribute_invalid",
        "cuboid_size", "cuboid_empty", "cuboid_below_ground", *MAP_RULES}
    assert all(severity in SEVERITIES and text for severity, text in RULES.values())


def test_a_shape_being_drawn_has_no_id_yet() -> None:
    (finding,) = found(ann(None, "car", Box.from_corners(0, 0, 2, 2)))
    assert finding.annotation_id is None
    assert finding.message.startswith("box (car): ")


def test_empty_input() -> None:
    assert validate_items(SCHEMA, []) == []
    assert validate_items(SCHEMA, [(IMAGE, [])]) == []


# -- the vectorised path against the per-shape reference ------------------------------------------


def _random_geometry(rng: np.random.Generator) -> Any:
    kind = rng.choice(["polygon", "polygon", "polygon", "box", "rotated_box", "polyline",
                       "point", "holed"])
    centre = rng.uniform(-80, 720, 2)
    if kind in ("polygon", "holed"):
        k = int(rng.integers(3, 12))
        if rng.random() < 0.5:       # star-shaped about its centre: mostly valid
            angle = np.sort(rng.uniform(0, 2 * np.pi, k))
            radius = rng.uniform(2, 60) * rng.uniform(0.3, 1.0, k)
            points = centre + np.stack([radius * np.cos(angle), radius * np.sin(angle)], 1)
        else:                        # random, often crossing, on a coarse grid: degenerate
            points = centre + rng.integers(-6, 7, (k, 2)) * rng.uniform(1, 10)
        if rng.random() < 0.15:
            at = int(rng.integers(0, k))
            points = np.insert(points, at, points[at], axis=0)
        holes = ()
        if kind == "holed":
            hole = centre + rng.uniform(-15, 15, (3, 2))
            holes = (hole,)
        return Polygon(points, holes)
    if kind == "box":
        size = rng.uniform(0, 60, 2)
        return Box.from_corners(*centre, *(centre + size))
    if kind == "rotated_box":
        return RotatedBox(*centre, *rng.uniform(0, 50, 2), rng.uniform(-3, 3))
    if kind == "polyline":
        k = int(rng.integers(2, 8))
        points = centre + rng.integers(-6, 7, (k, 2)) * rng.uniform(1, 12)
        return Polyline(points)
    return Point(centre[None, :])


def _random_entries(seed: int, items: int = 6, per_item: int = 120
                    ) -> list[tuple[Item, list[Annotation]]]:
    rng = np.random.default_rng(seed)
    labels = ["car", "car", "road", "lane", "sign", "bus"]
    entries = []
    next_id = 1
    for number in range(items):
        kind = "pointcloud" if number == 4 else "image"
        item = Item(number + 1, f"{number}.png", kind, "png", "", 0,
                    width=640 if kind == "image" else None, height=480)
        shapes: list[Annotation] = []
        for _ in range(per_item):
            geometry = _random_geometry(rng)
            if shapes and rng.random() < 0.1:    # a near twin of an earlier shape
                twin = shapes[int(rng.integers(0, len(shapes)))]
                geometry = twin.geometry.translated(rng.uniform(-0.5, 0.5, 2))
                label = twin.label
            else:
                label = str(rng.choice(labels))
            attributes: dict[str, Any] = {}
            if label == "car":
                attributes = {"color": str(rng.choice(["white", "black", "pink", ""])),
                              "occluded": bool(rng.random() < 0.5)}
                if rng.random() < 0.1:
                    attributes = {"occluded": "no"}
            shapes.append(Annotation(next_id, item.id or 0, label, geometry, attributes))
            next_id += 1
        entries.append((item, shapes))
    return entries


@pytest.mark.parametrize("seed", range(6))
def test_vectorised_matches_the_reference(seed: int) -> None:
    entries = _random_entries(seed)
    expected = reference(SCHEMA, entries)
    got: dict[tuple[int, int | None, str, str], list[Any]] = {}
    for finding in validate_items(SCHEMA, entries):
        got.setdefault((finding.item_id, finding.annotation_id, finding.rule,
                        finding.severity), []).append(finding.location)
    assert sorted(got, key=str) == sorted(expected, key=str)
    def spots(values: list[Any]) -> list[Any]:      # one shape may overlap several
        return sorted(values, key=lambda v: (v is None, v or (0.0, 0.0)))

    for key, locations in expected.items():
        for want, have in zip(spots(locations), spots(got[key]), strict=True):
            if want is None:
                continue
            assert have == pytest.approx(want, abs=1e-6), key


def test_the_reference_sees_every_rule() -> None:
    rules_seen = {key[2] for seed in range(6) for key in reference(SCHEMA, _random_entries(seed))}
    # the cuboid and map rules have their own tests (test_cuboid_rules.py, test_map_rules.py)
    assert rules_seen == {rule for rule in RULES
                          if not rule.startswith("cuboid_") and rule not in MAP_RULES}


def test_many_polygons_in_blocks_match_the_reference() -> None:
    # More polygons than one block of the vectorised pass, on several items.
    rng = np.random.default_rng(3)
    items = [Item(n, f"{n}.png", "image", "png", "", 0, width=640, height=480)
             for n in range(1, 11)]
    entries: list[tuple[Item, list[Annotation]]] = [(item, []) for item in items]
    for number in range(33_000):
        item, shapes = entries[number % len(entries)]
        points = rng.uniform(-20, 660, 2) + rng.integers(-3, 4, (5, 2)) * 4.0
        shapes.append(Annotation(number + 1, int(item.id or 0), "road", Polygon(points)))
    got = {(f.annotation_id, f.rule, f.severity) for f in validate_items(SCHEMA, entries)}
    expected = {key[1:] for key in reference(SCHEMA, entries)}
    assert got == expected


# -- the numpy validity proofs never call an invalid ring valid ------------------------------------

grid_ring = st.lists(st.tuples(st.integers(-4, 4), st.integers(-4, 4)), min_size=3, max_size=12)


@settings(max_examples=400, deadline=None)
@given(st.lists(grid_ring, min_size=1, max_size=8), st.floats(1e-3, 1e6), st.floats(-1e6, 1e6))
def test_numpy_proofs_agree_with_geos(rings: list[list[tuple[int, int]]], scale: float,
                                      shift: float) -> None:
    arrays = [np.array(r, dtype=float) * scale + shift for r in rings]
    ragged = Ragged.from_rings(arrays, np.arange(len(arrays) + 1), closed=True)
    valid = shapely.is_valid(ragged.to_shapely())
    star = _shell_shape(ragged).star
    lengths = np.diff(ragged.ring_offsets)
    simple = rings_simple(ragged.coords, ragged.ring_offsets[:-1], lengths)
    assert not (star & ~valid).any()
    assert not (simple & ~valid).any()
