from __future__ import annotations

from pathlib import Path

import pytest

from annotator.errors import SchemaError
from annotator.schema import load_schema, parse_schema_text

REPO = Path(__file__).resolve().parents[2]

GOOD = """\
name: roads
crs: EPSG:6676
classes:
  - name: car
    color: "#e6194b"
    kinds: [box, polygon, cuboid]
    attributes:
      - {name: occluded, type: bool, default: false}
      - {name: body_color, type: enum, values: [white, black], required: true}
  - name: lane_line
    color: "#ffe119"
    kinds: [polyline3d]
rules:
  min_box_size: 6
"""


def test_design_example_parses() -> None:
    schema = parse_schema_text(GOOD, "s.yaml")
    assert schema.names == ("car", "lane_line")
    assert schema.crs == "EPSG:6676"
    car = schema.get("car")
    assert car.kinds == ("box", "polygon", "cuboid")
    assert car.attribute("body_color").values == ("white", "black")
    assert car.attribute("body_color").required
    assert car.default_attributes() == {"occluded": False}
    assert schema.rules.min_box_size == 6
    assert schema.rules.max_same_class_iou == 0.95  # default kept


def test_sample_schema_loads_and_round_trips() -> None:
    schema = load_schema(REPO / "sample_data" / "schema.yaml")
    assert {"car", "pedestrian", "lane_line", "road_edge", "stop_line", "crosswalk", "pole"} <= set(
        schema.names
    )
    import json

    again = parse_schema_text(json.dumps(schema.to_json()), "again.json")
    assert again == schema


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        (GOOD.replace("polyline3d]", "cube]"), 12, "unknown geometry kind 'cube'"),
        (GOOD.replace("lane_line", "car"), 10, "duplicate class 'car'"),
        (GOOD.replace("values: [white, black], ", ""), 9, "enum needs a non-empty list"),
        (GOOD.replace('"#ffe119"', "yellow"), 11, "'yellow' is not a colour"),
        (GOOD.replace("min_box_size: 6", "min_box_size: -1"), 14, "non-negative number"),
        (GOOD.replace("min_box_size", "min_box_sise"), 14, "unknown key 'min_box_sise'"),
        (GOOD.replace("    kinds: [polyline3d]", "    kinds: [polyline3d]\n    colour: x"), 13,
         "unknown key 'colour'"),
        (GOOD.replace("default: false", "default: maybe"), 8, "not a valid bool"),
        (GOOD.replace("type: bool", "type: boolean"), 8, "'boolean' is not one of"),
        (GOOD.replace("EPSG:6676", "EPSG:999999"), 2, "not a coordinate reference system"),
        (GOOD.replace("  - name: lane_line", "  - name: lane_line\n  bad: [unclosed"), 11,
         "not valid YAML"),
    ],
)
def test_errors_name_the_line_and_key(text: str, line: int, fragment: str) -> None:
    with pytest.raises(SchemaError) as caught:
        parse_schema_text(text, "s.yaml")
    message = str(caught.value)
    assert message.startswith(f"s.yaml:{line}:"), message
    assert fragment in message
    assert "\n" not in message


def test_alias_bomb_is_refused() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
    bomb += "c: [*b, *b, *b, *b, *b, *b, *b, *b]\nname: x\n"
    with pytest.raises(SchemaError, match="aliases are not allowed"):
        parse_schema_text(bomb, "bomb.yaml")


def test_json_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text('{\n "name": "x",\n "classes": [\n}\n')
    with pytest.raises(SchemaError, match=r"s\.json:4: not valid JSON"):
        load_schema(path)


def test_unreadable_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match="cannot read schema"):
        load_schema(tmp_path / "missing.yaml")
    binary = tmp_path / "b.yaml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(SchemaError, match="not UTF-8"):
        load_schema(binary)
    with pytest.raises(SchemaError, match="expected a mapping"):
        parse_schema_text("- just\n- a list\n", "l.yaml")


def test_classes_without_colour_get_the_colour_blind_safe_palette() -> None:
    from annotator.model import DEFAULT_PALETTE

    text = "name: x\nclasses:\n" + "".join(
        f"  - {{name: c{i}, kinds: [box]}}\n" for i in range(3))
    schema = parse_schema_text(text, "p.yaml")
    assert [c.color for c in schema.classes] == list(DEFAULT_PALETTE[:3])
    assert len(set(DEFAULT_PALETTE)) == len(DEFAULT_PALETTE)
