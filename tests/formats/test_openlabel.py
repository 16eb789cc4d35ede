"""ASAM OpenLABEL: exports checked by the official JSON schema, both cuboid forms, hostile input."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from annotator.errors import FormatError
from annotator.formats import ExportItem, ImportContext, ProjectView, openlabel
from annotator.model import Annotation
from annotator.shapes import Cuboid
from tests.formats.cloud_view import box, cloud_item, cloud_schema, make_cloud_view
from tests.formats.conftest import context_for

SCHEMA_FILE = Path(__file__).parents[1] / "data" / "openlabel" / "openlabel_json_schema-v1.0.0.json"


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft7Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def test_every_export_file_validates_against_the_official_schema(
        tmp_path: Path, validator: jsonschema.Draft7Validator) -> None:
    view = make_cloud_view()
    report = openlabel.write(view, tmp_path)
    assert sorted(report.files) == ["openlabel/media/empty.json",
                                    "openlabel/media/sub/scan.json",
                                    "openlabel/media/tile 01.json"]
    for name in report.files:
        document = json.loads((tmp_path / name).read_text(encoding="utf-8"))
        errors = sorted(validator.iter_errors(document), key=str)
        assert not errors, (name, [e.message for e in errors[:3]])


def test_the_validator_is_not_a_rubber_stamp(validator: jsonschema.Draft7Validator) -> None:
    bad = {"openlabel": {"metadata": {"schema_version": "1.0.0"},
                         "objects": {"0": {"name": "x", "type": "car", "object_data": {
                             "cuboid": [{"name": "shape", "val": [1, 2, 3]}]}}}}}
    assert list(validator.iter_errors(bad))
    assert list(validator.iter_errors({"openlabel": {"metadata": {"schema_version": "0.3"}}}))


def test_the_document_says_where_the_boxes_are(tmp_path: Path) -> None:
    openlabel.write(make_cloud_view(), tmp_path)
    tile = json.loads((tmp_path / "openlabel/media/tile 01.json").read_text())["openlabel"]
    assert tile["metadata"]["schema_version"] == "1.0.0"
    assert tile["streams"]["lidar"] == {"type": "lidar", "uri": "media/tile 01.laz",
                                        "description": "point-cloud tile"}
    systems = tile["coordinate_systems"]
    assert systems["geo"]["crs"] == "EPSG:6677" and systems["lidar"]["parent"] == "geo"
    assert systems["tile"]["pose_wrt_parent"]["translation"] == [40000.0, -120000.0, 20.0]
    car = tile["objects"]["0"]
    assert car["type"] == "car" and car["name"] == "car 11"
    shape = car["object_data"]["cuboid"][0]
    assert shape["name"] == "shape" and shape["coordinate_system"] == "lidar"
    assert shape["val"] == [40012.25, -119987.5, 21.75, 0.0, 0.0, math.sin(0.25),
                            math.cos(0.25), 4.5, 1.8, 1.5]
    assert car["object_data"]["boolean"] == [{"name": "occluded", "val": True},
                                             {"name": "truncated", "val": False}]
    assert car["object_data"]["text"] == [{"name": "color", "val": "red"}]
    sign = tile["objects"]["1"]
    assert sign["type"] == "traffic sign"
    assert sign["object_data"]["num"] == [{"name": "speed_kmh", "val": 40}]
    scan = json.loads((tmp_path / "openlabel/media/sub/scan.json").read_text())["openlabel"]
    assert set(scan["coordinate_systems"]) == {"lidar"}
    assert scan["coordinate_systems"]["lidar"]["parent"] == ""


# -- reading ---------------------------------------------------------------------------------


def _document(objects: dict[str, Any], **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"metadata": {"schema_version": "1.0.0"},
                            "streams": {"VELO": {"type": "lidar", "uri": "media/sub/scan.pcd"}},
                            "objects": objects}
    body.update(extra)
    return {"openlabel": body}


def _car(val: Any, system: str | None = None, **data: Any) -> dict[str, Any]:
    cuboid: dict[str, Any] = {"name": "box3D", "val": val}
    if system is not None:
        cuboid["coordinate_system"] = system
    return {"name": "c", "type": "car", "object_data": {"cuboid": [cuboid], **data}}


def _read(tmp_path: Path, document: Any, name: str = "a.json") -> Any:
    file = tmp_path / name
    file.write_text(json.dumps(document) if not isinstance(document, str) else document)
    return openlabel.read(file, context_for(make_cloud_view()))


def test_the_euler_form_is_read(tmp_path: Path) -> None:
    result = _read(tmp_path, _document({"0": _car([1, 2, 3, 0, 0, 0.75, 4, 2, 1.5], "VELO")}))
    (shape,) = result.images[0].shapes
    assert result.images[0].file_name == "media/sub/scan.pcd"
    assert shape.geometry == Cuboid([[1, 2, 3]], [[4, 2, 1.5]], 0.75)
    assert result.problems == []


def test_a_level_box_written_upside_down_keeps_its_heading(tmp_path: Path) -> None:
    # Rz(0.5) Ry(pi) Rx(pi) is a turn of 0.5 + pi about +z
    result = _read(tmp_path, _document({"0": _car([1, 2, 3, math.pi, math.pi, 0.5, 4, 2, 1])}))
    geometry = result.images[0].shapes[0].geometry
    assert math.remainder(geometry.yaw - (0.5 + math.pi), math.tau) == pytest.approx(0, abs=1e-9)
    assert result.problems == []


def test_a_lean_of_float_noise_is_levelled_and_said(tmp_path: Path) -> None:
    result = _read(tmp_path, _document({"0": _car([1, 2, 3, 1e-5, 0, 0.5, 4, 2, 1])}))
    assert result.images[0].shapes[0].geometry.yaw == pytest.approx(0.5, abs=1e-9)
    assert result.problems == ["1 cuboid(s) leaned less than 0.001 rad and were levelled "
                               "(yaw kept)"]


@pytest.mark.parametrize("val", [
    [1, 2, 3, 0.2, 0, 0.5, 4, 2, 1],  # rolled
    [1, 2, 3, 0, -0.1, 0.5, 4, 2, 1],  # pitched
    [1, 2, 3, math.sin(0.05), 0, 0, math.cos(0.05), 4, 2, 1],  # quaternion about x
])
def test_rolled_or_pitched_boxes_are_left_out_and_named(tmp_path: Path, val: list[float]) -> None:
    result = _read(tmp_path, _document({"0": _car([1, 2, 3, 0, 0, 0.1, 4, 2, 1]),
                                        "7": _car(val)}))
    assert len(result.images[0].shapes) == 1
    (problem,) = result.problems
    assert "objects[7]" in problem and "yaw only" in problem and "degrees" in problem


def test_a_quaternion_that_is_not_unit_length_is_normalised(tmp_path: Path) -> None:
    half = 0.3
    val = [1, 2, 3, 0, 0, 2 * math.sin(half), 2 * math.cos(half), 4, 2, 1]
    geometry = _read(tmp_path, _document({"0": _car(val)})).images[0].shapes[0].geometry
    assert geometry.yaw == pytest.approx(2 * half)


def test_boxes_in_another_frame_are_left_out(tmp_path: Path) -> None:
    result = _read(tmp_path, _document({"0": _car([1, 2, 3, 0, 0, 0, 4, 2, 1], "CAM_LEFT"),
                                        "1": _car([1, 2, 3, 0, 0, 0, 4, 2, 1], "VELO")}))
    assert len(result.images[0].shapes) == 1
    assert result.problems == ["1 cuboid(s) in coordinate system 'CAM_LEFT', not the tile's "
                               "LiDAR frame, were not imported"]


def test_attributes_are_typed_by_the_schema(tmp_path: Path) -> None:
    document = _document({"0": _car([1, 2, 3, 0, 0, 0, 4, 2, 1],
                                    boolean=[{"name": "occluded", "val": True}],
                                    text=[{"name": "color", "val": "white"}],
                                    num=[{"name": "score", "val": 0.5}])})
    (shape,) = _read(tmp_path, document).images[0].shapes
    assert shape.attributes == {"occluded": True, "color": "white", "score": 0.5}


def test_a_single_frame_is_read_and_many_are_refused(tmp_path: Path) -> None:
    objects = {"3": {"name": "c", "type": "car"}}
    frame = {"objects": {"3": {"object_data": _car([1, 2, 3, 0, 0, 0, 4, 2, 1])["object_data"]}}}
    one = _read(tmp_path, _document(objects, frames={"0": frame}))
    assert len(one.images[0].shapes) == 1
    with pytest.raises(FormatError, match="2 frames hold objects"):
        _read(tmp_path, _document(objects, frames={"0": frame, "1": frame}))


def test_without_a_lidar_stream_the_file_stem_names_the_tile(tmp_path: Path) -> None:
    document = {"openlabel": {"metadata": {"schema_version": "1.0.0"},
                              "objects": {"0": _car([1, 2, 3, 0, 0, 0, 4, 2, 1])}}}
    result = _read(tmp_path, document, "scan.json")
    assert result.images[0].file_name == "media/sub/scan.pcd"


def test_a_folder_holding_other_json_leaves_it_out_with_a_note(tmp_path: Path) -> None:
    openlabel.write(make_cloud_view(), tmp_path)
    (tmp_path / "openlabel" / "notes.json").write_text('{"hello": 1}')
    result = openlabel.read(tmp_path, context_for(make_cloud_view()))
    assert result.shape_count == 5
    assert any("notes.json: not an OpenLABEL file" in p for p in result.problems)


# -- hostile input ---------------------------------------------------------------------------


def _shape_val(val: Any) -> dict[str, Any]:
    return _document({"0": _car(val)})


HOSTILE: list[tuple[Any, str]] = [
    ('{"openlabel": {"metadata": ', r"a\.json:1:\d+: not valid JSON"),
    ("[1, 2]", "not an OpenLABEL file"),
    ({"openlabel": {"metadata": {"schema_version": "0.3.0"}}}, "schema_version '0.3.0'"),
    ({"openlabel": {"objects": {}}}, "metadata: expected a JSON object"),
    (_document([]), "objects: expected a JSON object, got list"),  # type: ignore[arg-type]
    (_document({"0": {"name": "c", "type": 7}}), r"objects\[0\]: 'type'"),
    (_document({"0": {"name": "c", "type": "car", "object_data": {"cuboid": {}}}}),
     "cuboid: expected a list"),
    (_shape_val("1 2 3"), "val: expected a list"),
    (_shape_val([1, 2, 3, 0, 0, 0, 4, 2]), "8 numbers"),
    (_shape_val([1, "2", 3, 0, 0, 0, 4, 2, 1]), "'2' is not a number"),
    (_shape_val([1, True, 3, 0, 0, 0, 4, 2, 1]), "True is not a number"),
    (_shape_val([1, 1e300, 3, 0, 0, 0, 4, 2, 1]), "not a usable coordinate"),
    (_shape_val([1, 2, 3, 0, 0, 0, 4, -2, 1]), "size must not be negative"),
    (_shape_val([1, 2, 3, 0, 0, 0, 0, 4, 2, 1]), "quaternion is zero"),
    ('{"openlabel": {"metadata": {"schema_version": "1.0.0"}, "objects": {"0": {"name": "c", '
     '"type": "car", "object_data": {"cuboid": [{"name": "s", "val": [NaN, 2, 3, 0, 0, 0, 4, '
     '2, 1]}]}}}}}', "not valid JSON"),
    ('{"openlabel": {"metadata": {"schema_version": "1.0.0"}, "objects": {"0": {"name": "c", '
     '"type": "car", "object_data": {"cuboid": [{"name": "s", "val": [' + "9" * 400 +
     ', 2, 3, 0, 0, 0, 4, 2, 1]}]}}}}}', "not a usable coordinate"),
    ('{"openlabel": {"metadata": {"schema_version": "1.0.0"}, "objects": {"0": {"name": "c", '
     '"type": "car", "object_data": {"cuboid": [{"name": "s", "val": [1e400, 2, 3, 0, 0, 0, 4, '
     '2, 1]}]}}}}}', "not a usable coordinate"),
    (_document({"0": _car([1, 2, 3, 0, 0, 0, 4, 2, 1],
                          num=[{"name": "speed", "val": 10**400}])}), "not a usable number"),
    (_document({"0": _car([1, 2, 3, 0, 0, 0, 4, 2, 1],
                          boolean=[{"name": "occluded", "val": "yes"}])}), "is not boolean"),
    (_document({"0": _car([1, 2, 3, 0, 0, 0, 4, 2, 1], text=[{"val": "x"}])}),
     "'name' must be a non-empty string"),
    ({"openlabel": {"metadata": {"schema_version": "1.0.0"},
                    "streams": {"L": {"type": "lidar", "uri": "../../etc/passwd"}}}},
     "leaves the images folder"),
    ({"openlabel": {"metadata": {"schema_version": "1.0.0"},
                    "streams": {"L": {"type": "lidar", "uri": "/etc/passwd"}}}}, "is absolute"),
    ({"openlabel": {"metadata": {"schema_version": "1.0.0"},
                    "streams": {"L": {"type": "lidar", "uri": 5}}}}, "is not a name"),
    ({"openlabel": {"metadata": {"schema_version": "1.0.0"},
                    "streams": {"A": {"type": "lidar", "uri": "a.pcd"},
                                "B": {"type": "lidar", "uri": "b.pcd"}}}}, "2 lidar streams"),
    (_document({"0": _car([1, 2, 3, 0, 0, 0, 4, 2, 1])}, frames={"0": {"objects": {
        "9": {"object_data": {}}}}}), "frame object '9' is not among the objects"),
]


@pytest.mark.parametrize(("document", "pattern"), HOSTILE)
def test_hostile_files_are_refused_in_one_line(tmp_path: Path, document: Any,
                                               pattern: str) -> None:
    with pytest.raises(FormatError, match=pattern) as info:
        _read(tmp_path, document)
    message = str(info.value)
    assert "\n" not in message and str(tmp_path / "a.json") in message


def test_a_deeply_nested_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="not valid JSON"):
        _read(tmp_path, '{"openlabel": ' + "[" * 100_000 + "]" * 100_000 + "}")


def test_a_2_gb_file_is_refused_by_its_size(tmp_path: Path) -> None:
    file = tmp_path / "openlabel" / "a.json"
    file.parent.mkdir()
    with file.open("wb") as handle:
        handle.truncate(2 * 1024**3)
    assert not openlabel.detect(tmp_path)
    with pytest.raises(FormatError, match="2,147,483,648 bytes is more than"):
        openlabel.read(tmp_path, ImportContext(cloud_schema()))


@pytest.mark.parametrize("name", ["../escape.pcd", "/abs/escape.pcd"])
def test_exports_never_write_outside_their_folder(tmp_path: Path, name: str) -> None:
    item = cloud_item(1, name)
    view = ProjectView.from_items(cloud_schema(), [ExportItem(item, name, ())])
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(FormatError, match="openlabel export"):
        openlabel.write(view, out)
    assert not (tmp_path / "escape.json").exists()


def test_an_attribute_json_cannot_hold_is_refused_on_export(tmp_path: Path) -> None:
    item = cloud_item(1, "a.pcd")
    annotation = Annotation(1, 1, "car", box((1.0, 1.0, 1.0), (1.0, 1.0, 1.0), 0.0),
                            attributes={"score": math.nan})
    view = ProjectView.from_items(cloud_schema(), [ExportItem(item, "a.pcd", (annotation,))])
    with pytest.raises(FormatError, match="not plain JSON values"):
        openlabel.write(view, tmp_path)
