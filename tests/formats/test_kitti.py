"""KITTI object labels: the calibration formulas, the devkit's own box, hostile input."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from annotator.errors import FormatError
from annotator.formats import ExportItem, ImportContext, ProjectView, kitti
from annotator.formats.kitti import Calibration, read_calibration
from annotator.model import Annotation, AttributeSpec, LabelClass, LabelSchema
from annotator.shapes import Cuboid
from tests.formats.cloud_view import box, cloud_item, cloud_schema, make_cloud_view
from tests.formats.conftest import context_for

#: velodyne (x forward, y left, z up) -> camera (x right, y down, z forward)
AXES = np.array([[0.0, -1.0, 0.0], [0.0, 0.0, -1.0], [1.0, 0.0, 0.0]])
#: a camera like KITTI's left colour camera (focal 721.5 px, 44.9 px stereo offset)
P2 = [721.5377, 0.0, 609.5593, 44.85728, 0.0, 721.5377, 172.854, 0.2163791,
      0.0, 0.0, 1.0, 0.002745884]


def _turn(axis: int, angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    i, j = [(1, 2), (2, 0), (0, 1)][axis]
    turn = np.eye(3)
    turn[i, i], turn[i, j], turn[j, i], turn[j, j] = c, -s, s, c
    return turn


def _calib_text(rotation: np.ndarray, translation: list[float], rect: np.ndarray,
                digits: int | None = None, p2: list[float] | None = None) -> str:
    def numbers(values: np.ndarray | list[float]) -> str:
        flat = np.ravel(values).tolist()
        return " ".join(f"{v:.{digits}e}" if digits else repr(v) for v in flat)

    velo = np.c_[rotation, translation]
    lines = [f"P0: {numbers(P2)}", f"P2: {numbers(p2)}" if p2 else "",
             f"R0_rect: {numbers(rect)}", f"Tr_velo_to_cam: {numbers(velo)}",
             "Tr_imu_to_velo: 1 0 0 0 0 1 0 0 0 0 1 0"]
    return "\n".join(line for line in lines if line) + "\n"


def write_calib(path: Path, rotation: np.ndarray = AXES,
                translation: list[float] | None = None, rect: np.ndarray | None = None,
                digits: int | None = None, p2: list[float] | None = None) -> Path:
    path.write_text(_calib_text(rotation, translation or [0.0, 0.0, 0.0],
                                np.eye(3) if rect is None else rect, digits, p2))
    return path


def tilted(path: Path, digits: int | None = None) -> Path:
    """A calibration like a real one: the standard axes, a little off, and a rectification."""
    rotation = AXES @ _turn(2, 0.0075) @ _turn(1, -0.0148) @ _turn(0, 0.0006)
    rect = _turn(0, 0.0099) @ _turn(1, -0.0043) @ _turn(2, 0.0074)
    return write_calib(path, rotation, [-0.00407, -0.07632, -0.2718], rect, digits)


def one_box_view(cuboid: Cuboid, label: str = "car", schema: LabelSchema | None = None,
                 **attributes: object) -> ProjectView:
    item = cloud_item(1, "velodyne/000007.bin")
    annotation = Annotation(1, 1, label, cuboid, attributes=attributes)
    return ProjectView.from_items(schema or cloud_schema(),
                                  [ExportItem(item, item.path, (annotation,))])


def label_line(tmp_path: Path, cuboid: Cuboid, calib: Path | None = None,
               **attributes: object) -> list[str]:
    out = tmp_path / "out"
    out.mkdir(parents=True)
    options = {"calib": calib} if calib else {}
    view = one_box_view(cuboid, **attributes)
    kitti.write(ProjectView(view.schema, view.source, view.count, options), out)
    return (out / "label_2" / "000007.txt").read_text().split()


# -- the formulas ----------------------------------------------------------------------------


def test_standard_axes_give_rotation_y_minus_yaw_minus_half_pi(tmp_path: Path) -> None:
    calib = write_calib(tmp_path / "calib.txt", translation=[0.5, -1.0, 2.0])
    for yaw in (0.0, 0.3, 1.5, -2.9, 3.1):
        cuboid = box((10.0, 2.0, -1.0), (4.0, 1.8, 1.5), yaw)
        fields = label_line(tmp_path / str(yaw), cuboid, calib)
        assert fields[0] == "car"
        h, w, length = map(float, fields[8:11])
        assert (h, w, length) == (1.5, 1.8, 4.0)
        x, y, z = map(float, fields[11:14])
        # the bottom face centre (10, 2, -1.75) in camera axes, then shifted
        assert (x, y, z) == pytest.approx((-2.0 + 0.5, 1.75 - 1.0, 10.0 + 2.0), abs=1e-12)
        rotation_y = float(fields[14])
        assert math.cos(rotation_y) == pytest.approx(math.cos(-yaw - math.pi / 2), abs=1e-12)
        assert math.sin(rotation_y) == pytest.approx(math.sin(-yaw - math.pi / 2), abs=1e-12)
        assert -math.pi <= rotation_y <= math.pi
        alpha = float(fields[3])
        expected = math.remainder(rotation_y - math.atan2(x, z), math.tau)
        assert alpha == pytest.approx(expected, abs=1e-12)
        assert fields[4:8] == ["0", "0", "0", "0"]  # no P2: no projection


def test_identity_writes_lidar_values_and_reads_them_back_exactly(tmp_path: Path) -> None:
    cuboid = box((40012.25, -119987.5, 21.75), (4.5, 1.8, 1.5), 0.5)
    fields = label_line(tmp_path, cuboid, occluded=True)
    assert fields == ["car", "0", "1", "-10", "0", "0", "0", "0", "1.5", "1.8", "4.5",
                      "40012.25", "-119987.5", "21", "0.5"]
    result = kitti.read(tmp_path / "out", context_for(one_box_view(cuboid)))
    shape = result.images[0].shapes[0]
    assert shape.geometry == cuboid
    assert shape.attributes == {"occluded": True, "truncated": False}
    assert result.images[0].file_name == "velodyne/000007.bin"
    assert any("identity" in p for p in result.problems)


def test_identity_brings_rotation_y_into_minus_pi_to_pi(tmp_path: Path) -> None:
    fields = label_line(tmp_path, box((1.0, 2.0, 3.0), (4.0, 2.0, 1.0), 4.0))
    assert float(fields[14]) == pytest.approx(4.0 - math.tau, abs=1e-15)


@pytest.mark.parametrize("digits", [None, 6])
def test_a_tilted_calibration_round_trips_to_float_precision(tmp_path: Path,
                                                             digits: int | None) -> None:
    """A real calibration is neither exact axes nor exactly orthonormal when printed."""
    calib = read_calibration(tilted(tmp_path / "calib.txt", digits))
    rng = np.random.default_rng(7)
    for _ in range(200):
        cuboid = box(tuple(rng.uniform(-60, 60, 3)), tuple(rng.uniform(0.2, 12, 3)),
                     float(rng.uniform(-math.pi, math.pi)))
        location, rotation_y = calib.to_label(cuboid)
        center, yaw = calib.from_label(location, rotation_y, float(cuboid.size[0][2]))
        assert center == pytest.approx(cuboid.center[0], abs=1e-9)
        assert math.remainder(yaw - cuboid.yaw, math.tau) == pytest.approx(0, abs=1e-12)


def test_the_devkit_box_projects_to_the_written_bbox(tmp_path: Path) -> None:
    """Build the box from the written columns as the KITTI devkit does; project it with P2."""
    calib = write_calib(tmp_path / "calib.txt", translation=[-0.004, -0.076, -0.272], p2=P2)
    cuboid = box((14.0, -3.0, -0.9), (4.2, 1.7, 1.45), 0.7)
    fields = label_line(tmp_path, cuboid, calib)
    h, w, length = map(float, fields[8:11])
    location = np.array(list(map(float, fields[11:14])))
    ry = float(fields[14])
    x_corners = [length / 2, length / 2, -length / 2, -length / 2] * 2
    y_corners = [0.0] * 4 + [-h] * 4
    z_corners = [w / 2, -w / 2, -w / 2, w / 2] * 2
    turn = np.array([[math.cos(ry), 0, math.sin(ry)], [0, 1, 0],
                     [-math.sin(ry), 0, math.cos(ry)]])
    corners = turn @ np.array([x_corners, y_corners, z_corners]) + location[:, None]
    pixels = np.reshape(P2, (3, 4)) @ np.vstack([corners, np.ones(8)])
    u, v = pixels[0] / pixels[2], pixels[1] / pixels[2]
    expected = [u.min(), v.min(), u.max(), v.max()]
    assert list(map(float, fields[4:8])) == pytest.approx(expected, abs=1e-9)
    assert 0 < expected[0] < expected[2] < 1300  # in front, in a KITTI-sized image


def test_a_box_behind_the_camera_gets_no_bbox(tmp_path: Path) -> None:
    calib = write_calib(tmp_path / "calib.txt", p2=P2)
    fields = label_line(tmp_path, box((-8.0, 0.0, 0.0), (4.0, 2.0, 1.5), 0.0), calib)
    assert fields[4:8] == ["0", "0", "0", "0"]


def test_truncated_and_occluded_come_from_attributes_of_those_names(tmp_path: Path) -> None:
    schema = LabelSchema("k", (
        LabelClass("car", "#000000", ("cuboid",),
                   (AttributeSpec("truncated", "float"), AttributeSpec("occluded", "int"))),
        LabelClass("van", "#000000", ("cuboid",), (AttributeSpec("occluded", "bool"),)),
        LabelClass("tram", "#000000", ("cuboid",))))
    item = cloud_item(1, "000001.bin")
    cuboid = box((5.0, 0.0, 0.0), (4.0, 2.0, 1.5), 0.0)
    annotations = (
        Annotation(1, 1, "car", cuboid, attributes={"truncated": 0.25, "occluded": 2}),
        Annotation(2, 1, "car", cuboid, attributes={"truncated": 7.0, "occluded": 9}),
        Annotation(3, 1, "van", cuboid, attributes={"occluded": True}),
        Annotation(4, 1, "tram", cuboid, attributes={"occluded": True}),  # no such attribute
    )
    view = ProjectView.from_items(schema, [ExportItem(item, item.path, annotations)])
    out = tmp_path / "out"
    out.mkdir()
    kitti.write(view, out)
    lines = [line.split()[:3] for line in (out / "label_2" / "000001.txt").read_text()
             .splitlines()]
    assert lines == [["car", "0.25", "2"], ["car", "1", "3"], ["van", "0", "1"],
                     ["tram", "0", "0"]]
    back = kitti.read(out, context_for(view)).images[0].shapes
    assert [dict(s.attributes) for s in back] == [
        {"truncated": 0.25, "occluded": 2}, {"truncated": 1.0, "occluded": 3},
        {"occluded": True}, {}]


# -- calibration in and out ------------------------------------------------------------------


def test_an_export_with_calibration_carries_it_and_an_import_uses_it(tmp_path: Path) -> None:
    calib = tilted(tmp_path / "calib.txt")
    view = make_cloud_view()
    out = tmp_path / "out"
    out.mkdir()
    report = kitti.write(ProjectView(view.schema, view.source, view.count, {"calib": calib}),
                         out)
    assert "calib/tile 01.txt" in report.files
    assert (out / "calib" / "scan.txt").read_bytes() == calib.read_bytes()
    result = kitti.read(out, context_for(view))
    assert not any("identity" in p for p in result.problems)
    written = {a.id: a.geometry for e in view.items() for a in e.annotations
               if a.kind == "cuboid"}
    got = [s.geometry for i in result.images for s in i.shapes]
    assert len(got) == len(written)
    for geometry in got:
        assert isinstance(geometry, Cuboid)
        assert any(np.allclose(geometry.center, g.center, atol=1e-8)
                   and np.allclose(geometry.size, g.size)
                   and abs(math.remainder(geometry.yaw - g.yaw, math.tau)) < 1e-12
                   for g in written.values() if isinstance(g, Cuboid))
    # Without the calibration files the same lines mean something else: identity.
    for file in (out / "calib").iterdir():
        file.unlink()
    moved = [s.geometry for i in kitti.read(out, context_for(view)).images for s in i.shapes]
    assert not np.allclose(moved[0].vertices, got[0].vertices)


def test_the_calib_option_wins_over_calib_files(tmp_path: Path) -> None:
    view = one_box_view(box((10.0, 1.0, -1.0), (4.0, 2.0, 1.5), 0.2))
    out = tmp_path / "out"
    out.mkdir()
    calib = write_calib(tmp_path / "axes.txt")
    kitti.write(ProjectView(view.schema, view.source, view.count, {"calib": calib}), out)
    tilted(out / "calib" / "000007.txt")  # a wrong file beside the labels
    context = ImportContext(view.schema, context_for(view).lookup, {"calib": calib})
    shape = kitti.read(out, context).images[0].shapes[0]
    assert np.allclose(shape.geometry.vertices, [[10.0, 1.0, -1.0]], atol=1e-12)


@pytest.mark.parametrize(("text", "pattern"), [
    ("P2: 1 0 0 0 0 1 0 0 0 0 1 0\n", "no Tr_velo_to_cam"),
    ("Tr_velo_to_cam: 0 -1 0 0 0 0 -1 0 1 0 0\n", "11 numbers, expected 12"),
    ("Tr_velo_to_cam: 0 -1 0 0 0 0 -1 0 1 0 nan 0\n", "not a usable"),
    ("Tr_velo_to_cam: 0 -1 0 0 0 0 -1 0 1 0 0 1e300\n", "not a usable"),
    ("Tr_velo_to_cam: 0 -1 0 0 0 0 -1 0 1 0 0 " + "9" * 400 + "\n", "not a usable"),
    ("Tr_velo_to_cam: 0 -1 0 0 0 0 -1 0 1 0 0 zero\n", "not a number"),
    ("Tr_velo_to_cam: 0 -2 0 0 0 0 -1 0 1 0 0 0\n", "not a rotation"),
    ("Tr_velo_to_cam: 1 0 0 0 0 1 0 0 0 0 1 0\n", "up axis"),
    ("Tr_velo_to_cam: 0 -1 0 0 0 0 -1 0 1 0 0 0\nTr_velo_to_cam: 0 -1 0 0 0 0 -1 0 1 0 0 0\n",
     "given twice"),
])
def test_bad_calibrations_are_refused_in_one_line(tmp_path: Path, text: str,
                                                  pattern: str) -> None:
    path = tmp_path / "calib.txt"
    path.write_text(text)
    with pytest.raises(FormatError, match=pattern) as info:
        read_calibration(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_a_huge_calibration_file_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "calib.txt"
    with path.open("wb") as handle:
        handle.truncate(50 * 1024**2)
    with pytest.raises(FormatError, match="not a KITTI calibration file"):
        read_calibration(path)


def test_tracking_style_keys_are_read(tmp_path: Path) -> None:
    path = tmp_path / "0000.txt"
    path.write_text("R_rect 1 0 0 0 1 0 0 0 1\nTr_velo_cam 0 -1 0 0 0 0 -1 0 1 0 0 0\n")
    calibration = read_calibration(path)
    assert calibration.matrix is not None
    assert np.array_equal(calibration.matrix[:3, :3], AXES)


# -- reading other people's files ------------------------------------------------------------


KITTI_LINES = """\
Car 0.00 0 -1.58 587.01 173.33 614.12 200.12 1.65 1.67 3.64 -0.65 1.71 46.70 -1.59
Pedestrian 0.00 2 0.21 423.17 173.67 433.17 224.03 1.60 0.38 0.30 -5.87 1.63 23.11 -0.03
DontCare -1 -1 -10 503.89 169.71 590.61 190.13 -1 -1 -1 -1000 -1000 -1000 -10
DontCare -1 -1 -10 511.35 174.96 527.81 187.45 -1 -1 -1 -1000 -1000 -1000 -10
"""


def test_kitti_lines_with_devkit_rounding_dontcare_and_scores(tmp_path: Path) -> None:
    schema = LabelSchema("k", (
        LabelClass("car", "#000000", ("cuboid",), (AttributeSpec("occluded", "bool"),)),
        LabelClass("pedestrian", "#000000", ("cuboid",), (AttributeSpec("occluded", "int"),))))
    labels = tmp_path / "training" / "label_2"
    labels.mkdir(parents=True)
    (labels / "000000.txt").write_text(KITTI_LINES)
    (labels / "000001.txt").write_text(
        "Car 0.00 0 -1.58 587.01 173.33 614.12 200.12 1.65 1.67 3.64 -0.65 1.71 46.70 -1.59"
        " 0.93\n")
    (tmp_path / "training" / "calib").mkdir()
    for stem in ("000000", "000001"):
        write_calib(tmp_path / "training" / "calib" / f"{stem}.txt")
    items = {f"velodyne/00000{i}.bin": cloud_item(i + 1, f"velodyne/00000{i}.bin")
             for i in range(2)}
    context = ImportContext(schema, lambda name: items.get(f"velodyne/{name}"))
    assert kitti.detect(tmp_path / "training")
    result = kitti.read(tmp_path / "training", context)
    names = [image.file_name for image in result.images]
    assert names == ["velodyne/000000.bin", "velodyne/000001.bin"]
    car, pedestrian = result.images[0].shapes
    assert (car.label, pedestrian.label) == ("car", "pedestrian")  # Car -> car
    assert car.attributes == {"occluded": False} and pedestrian.attributes == {"occluded": 2}
    # camera (-0.65, 1.71, 46.70) is LiDAR (46.70, 0.65, -1.71); the centre is h/2 higher
    assert np.allclose(car.geometry.vertices, [[46.70, 0.65, -1.71 + 1.65 / 2]])
    assert isinstance(car.geometry, Cuboid)
    assert car.geometry.yaw == pytest.approx(1.59 - math.pi / 2)
    assert np.allclose(car.geometry.size, [[3.64, 1.67, 1.65]])
    assert any("2 DontCare" in p for p in result.problems)
    assert any("score" in p for p in result.problems)


def test_an_unknown_type_is_refused_by_name(tmp_path: Path) -> None:
    (tmp_path / "000000.txt").write_text(KITTI_LINES)
    with pytest.raises(FormatError, match=r"classes not in the schema: 'Car'.*'Pedestrian'"):
        kitti.read(tmp_path, ImportContext(LabelSchema("k", (
            LabelClass("truck", "#000000", ("cuboid",)),))))


# -- what an export refuses ------------------------------------------------------------------


def test_classes_that_write_the_same_type_are_refused(tmp_path: Path) -> None:
    schema = LabelSchema("k", (LabelClass("traffic sign", "#000000", ("cuboid",)),
                               LabelClass("traffic_sign", "#000000", ("cuboid",))))
    view = one_box_view(box((1.0, 1.0, 1.0), (1.0, 1.0, 1.0), 0.0), "traffic sign", schema)
    with pytest.raises(FormatError, match="'traffic sign' and 'traffic_sign'"):
        kitti.write(view, tmp_path)


def test_two_tiles_with_one_stem_are_refused(tmp_path: Path) -> None:
    items = [cloud_item(1, "a/000001.bin"), cloud_item(2, "b/000001.pcd")]
    view = ProjectView.from_items(cloud_schema(), [ExportItem(i, i.path, ()) for i in items])
    with pytest.raises(FormatError, match=r"label_2/000001\.txt"):
        kitti.write(view, tmp_path)


def test_a_dontcare_class_is_skipped_not_lost_silently(tmp_path: Path) -> None:
    schema = LabelSchema("k", (LabelClass("DontCare", "#000000", ("cuboid",)),))
    view = one_box_view(box((1.0, 1.0, 1.0), (1.0, 1.0, 1.0), 0.0), "DontCare", schema)
    report = kitti.write(view, tmp_path)
    report.check(view)
    assert [s.reason for s in report.skipped] == [
        "KITTI reserves the type DontCare for regions to ignore"]


def test_a_bad_calibration_fails_the_export_before_any_label(tmp_path: Path) -> None:
    bad = tmp_path / "calib.txt"
    bad.write_text("Tr_velo_to_cam: 1 0 0 0 0 1 0 0 0 0 1 0\n")
    view = make_cloud_view()
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(FormatError, match="up axis"):
        kitti.write(ProjectView(view.schema, view.source, view.count, {"calib": bad}), out)
    assert list(out.iterdir()) == []


# -- hostile input ---------------------------------------------------------------------------


GOOD = "car 0 0 -10 0 0 0 0 1.5 1.8 4.5 1 2 3 0.5"


@pytest.mark.parametrize(("line", "pattern"), [
    ("car 0 0 -10 0 0 0 0 1.5 1.8 4.5 1 2 3", r":2: 14 columns"),
    ("car 0 0 -10 0 0 0 0 1.5 1.8 4.5 1 2 3 0.5 0.9 7", r":2: 17 columns"),
    ("car 0 0 -10 0 0 0 0 1.5 1.8 4.5 nan 2 3 0.5", r":2: column 12: 'nan' is not a usable"),
    ("car 0 0 -10 0 0 0 0 1.5 1.8 4.5 1e300 2 3 0.5", "not a usable coordinate"),
    ("car 0 0 -10 0 0 0 0 1.5 1.8 4.5 " + "1" * 400 + " 2 3 0.5", "not a usable coordinate"),
    ("car 0 0 -10 0 0 0 0 1.5 1.8 4.5 one 2 3 0.5", r"'one' is not a number"),
    ("car 0 0 -10 0 0 0 0 1.5 -1.8 4.5 1 2 3 0.5", "size must not be negative"),
    ("car 0 0 -10 0 0 0 0 1.5 1.8 4.5 1 2 3 inf", "not a usable coordinate"),
])
def test_broken_lines_are_refused_with_file_and_line(tmp_path: Path, line: str,
                                                     pattern: str) -> None:
    file = tmp_path / "label_2" / "000007.txt"
    file.parent.mkdir()
    file.write_text(f"{GOOD}\n{line}\n")
    view = one_box_view(box((1.0, 1.0, 1.0), (1.0, 1.0, 1.0), 0.0))
    with pytest.raises(FormatError, match=pattern) as info:
        kitti.read(tmp_path, context_for(view))
    assert str(file) in str(info.value) and "\n" not in str(info.value)


def test_text_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "000007.txt"
    file.write_bytes(b"car \xff\xfe 0\n")
    with pytest.raises(FormatError, match="not UTF-8"):
        kitti.read(file, ImportContext(cloud_schema()))


def test_a_2_gb_label_file_is_refused_by_its_size(tmp_path: Path) -> None:
    file = tmp_path / "label_2" / "000007.txt"
    file.parent.mkdir()
    with file.open("wb") as handle:
        handle.truncate(2 * 1024**3)
    assert not kitti.detect(tmp_path)
    with pytest.raises(FormatError, match="2,147,483,648 bytes is more than"):
        kitti.read(tmp_path, ImportContext(cloud_schema()))


def test_a_folder_without_labels_is_not_kitti(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello world\n")
    assert not kitti.detect(tmp_path)
    assert not kitti.detect(tmp_path / "notes.txt")
    with pytest.raises(FormatError, match=r"columns"):
        kitti.read(tmp_path, ImportContext(cloud_schema()))
    (tmp_path / "empty").mkdir()
    with pytest.raises(FormatError, match="no label_2 folder"):
        kitti.read(tmp_path / "empty", ImportContext(cloud_schema()))
    with pytest.raises(FormatError, match="no such file"):
        kitti.read(tmp_path / "missing", ImportContext(cloud_schema()))


@pytest.mark.parametrize("name", ["../escape.bin", "/abs/escape.bin"])
def test_exports_never_write_outside_their_folder(tmp_path: Path, name: str) -> None:
    item = cloud_item(1, name)
    view = ProjectView.from_items(cloud_schema(), [ExportItem(item, name, ())])
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(FormatError, match="kitti export"):
        kitti.write(view, out)
    assert not (tmp_path / "escape.txt").exists()


def test_identity_calibration_object_is_identity() -> None:
    assert Calibration().identity
    assert Calibration().bbox(box((1.0, 1.0, 1.0), (1.0, 1.0, 1.0), 0.0)) == (0, 0, 0, 0)
