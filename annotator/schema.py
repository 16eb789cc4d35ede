"""Reading label schema files (YAML or JSON) into :class:`LabelSchema`.

Leads write these files by hand, so every refusal names the file, the line
and the key:

>>> parse_schema_text("name: x\\nclasses:\\n  - {name: car, color: red, kinds: [box]}\\n", "s.yaml")
Traceback (most recent call last):
...
annotator.errors.SchemaError: s.yaml:3: classes[0].color: 'red' is not a colour like '#e6194b'
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from annotator.errors import SchemaError
from annotator.model import (
    ATTRIBUTE_TYPES,
    DEFAULT_PALETTE,
    AttributeSpec,
    LabelClass,
    LabelSchema,
    Rules,
)
from annotator.shapes import GEOMETRY_KINDS

__all__ = ["load_schema", "parse_schema", "parse_schema_text"]

_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{6}|[0-9a-fA-F]{3})$")
_MAX_SCHEMA_BYTES = 4 * 1024 * 1024
_CLASS_KEYS = {"name", "color", "kinds", "attributes"}
_ATTRIBUTE_KEYS = {"name", "type", "values", "required", "default"}
_TOP_KEYS = {"name", "crs", "heights", "geoid_grid", "classes", "rules"}
_GRID_SUFFIXES = (".gtx", ".tif", ".tiff")


class _Located(Exception):
    """A problem found while composing YAML, at a line; becomes a SchemaError."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(problem)
        self.line, self.problem = line, problem


class _Lines(dict[Any, Any]):
    """A mapping that remembers the line of each key (1-based)."""

    line: int = 0
    key_lines: dict[Any, int]


class _LineList(list[Any]):
    line: int = 0
    item_lines: list[int]


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that keeps line numbers for error messages and refuses aliases.

    A schema never needs anchors; refusing aliases closes the door on
    "billion laughs" documents.
    """

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            line = self.peek_event().start_mark.line + 1  # type: ignore[no-untyped-call]
            raise _Located(line, "YAML aliases are not allowed in a schema")
        return super().compose_node(parent, index)


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> _Lines:
    result = _Lines()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise _Located(key_node.start_mark.line + 1, f"duplicate key {key!r}")
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> _LineList:
    result = _LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


class _Reader:
    """Walks the parsed document and raises with ``source:line: key: problem``."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, line: int, problem: str) -> SchemaError:
        location = f"{self.source}:{line}" if line else self.source
        return SchemaError(f"{location}: {where}: {problem}" if where else f"{location}: {problem}")

    def mapping(self, value: Any, where: str, line: int) -> Mapping[Any, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, line, f"expected a mapping, got {type(value).__name__}")
        return value

    def line_of(self, container: Any, key: Any, fallback: int) -> int:
        if isinstance(container, _Lines):
            return container.key_lines.get(key, container.line)
        if isinstance(container, _LineList) and isinstance(key, int):
            return container.item_lines[key] if key < len(container.item_lines) else container.line
        return fallback

    def check_keys(self, data: Mapping[Any, Any], allowed: set[str], where: str, line: int) -> None:
        for key in data:
            if key not in allowed:
                known = ", ".join(sorted(allowed))
                here = self.line_of(data, key, line)
                raise self.fail(where, here, f"unknown key {key!r} (known: {known})")

    def text(self, data: Mapping[Any, Any], key: str, where: str, line: int) -> str:
        value = data.get(key)
        here = self.line_of(data, key, line)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(f"{where}.{key}".lstrip("."), here, "must be a non-empty text")
        return value.strip()


def _attribute(reader: _Reader, raw: Any, where: str, line: int) -> AttributeSpec:
    data = reader.mapping(raw, where, line)
    reader.check_keys(data, _ATTRIBUTE_KEYS, where, line)
    name = reader.text(data, "name", where, line)
    kind = data.get("type")
    if kind not in ATTRIBUTE_TYPES:
        raise reader.fail(f"{where}.type", reader.line_of(data, "type", line),
                          f"{kind!r} is not one of {', '.join(ATTRIBUTE_TYPES)}")
    values: tuple[str, ...] = ()
    raw_values = data.get("values")
    if kind == "enum":
        if not isinstance(raw_values, list) or not raw_values:
            raise reader.fail(f"{where}.values", reader.line_of(data, "values", line),
                              "an enum needs a non-empty list of values")
        values = tuple(str(v) for v in raw_values)
        if len(set(values)) != len(values):
            raise reader.fail(f"{where}.values", reader.line_of(data, "values", line),
                              "enum values must be unique")
    elif raw_values is not None:
        raise reader.fail(f"{where}.values", reader.line_of(data, "values", line),
                          f"only enum attributes take values, not {kind}")
    required = data.get("required", False)
    if not isinstance(required, bool):
        raise reader.fail(f"{where}.required", reader.line_of(data, "required", line),
                          "must be true or false")
    default = data.get("default")
    if default is not None and not _fits(kind, default, values):
        raise reader.fail(f"{where}.default", reader.line_of(data, "default", line),
                          f"{default!r} is not a valid {kind} value")
    return AttributeSpec(name, kind, values, required, default)


def _fits(kind: str, value: Any, values: tuple[str, ...]) -> bool:
    if kind == "enum":
        return isinstance(value, str) and value in values
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "float":
        return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(
            value
        )
    return isinstance(value, str)


def _label_class(reader: _Reader, raw: Any, where: str, line: int, index: int) -> LabelClass:
    data = reader.mapping(raw, where, line)
    reader.check_keys(data, _CLASS_KEYS, where, line)
    name = reader.text(data, "name", where, line)
    color = data.get("color", DEFAULT_PALETTE[index % len(DEFAULT_PALETTE)])
    if not isinstance(color, str) or not _COLOR.match(color):
        raise reader.fail(f"{where}.color", reader.line_of(data, "color", line),
                          f"{color!r} is not a colour like '#e6194b'")
    kinds = data.get("kinds")
    kinds_line = reader.line_of(data, "kinds", line)
    if not isinstance(kinds, list) or not kinds:
        raise reader.fail(f"{where}.kinds", kinds_line, "needs a non-empty list of geometry kinds")
    for kind in kinds:
        if kind not in GEOMETRY_KINDS:
            known = ", ".join(GEOMETRY_KINDS)
            raise reader.fail(f"{where}.kinds", kinds_line,
                              f"unknown geometry kind {kind!r} (known: {known})")
    raw_attributes = data.get("attributes", [])
    if not isinstance(raw_attributes, list):
        raise reader.fail(f"{where}.attributes", reader.line_of(data, "attributes", line),
                          "must be a list")
    attributes = []
    for index, raw_attribute in enumerate(raw_attributes):
        here = reader.line_of(raw_attributes, index, line)
        attributes.append(_attribute(reader, raw_attribute, f"{where}.attributes[{index}]", here))
    names = [a.name for a in attributes]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    if duplicate:
        raise reader.fail(f"{where}.attributes", reader.line_of(data, "attributes", line),
                          f"duplicate attribute {duplicate!r}")
    return LabelClass(name.strip(), color.lower(), tuple(dict.fromkeys(kinds)), tuple(attributes))


def _rules(reader: _Reader, raw: Any, line: int) -> Rules:
    if raw is None:
        return Rules()
    data = reader.mapping(raw, "rules", line)
    defaults = Rules().to_json()
    reader.check_keys(data, set(defaults), "rules", line)
    values: dict[str, float] = {}
    for key, value in data.items():
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not ok or not math.isfinite(value) or value < 0:
            raise reader.fail(f"rules.{key}", reader.line_of(data, key, line),
                              f"must be a non-negative number, got {value!r}")
        values[key] = float(value)
    return Rules(**values)


def _crs(reader: _Reader, data: Mapping[Any, Any]) -> str | None:
    crs = data.get("crs")
    if crs is None:
        return None
    line = reader.line_of(data, "crs", 0)
    if not isinstance(crs, str):
        raise reader.fail("crs", line, f"must be a text like 'EPSG:6676', got {crs!r}")
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        CRS.from_user_input(crs)
    except CRSError:
        raise reader.fail("crs", line, f"{crs!r} is not a coordinate reference system") from None
    return crs


def _heights(reader: _Reader, data: Mapping[Any, Any], crs: str | None) -> str:
    """``ellipsoidal`` (the default) or a vertical CRS pyproj knows, e.g. EPSG:6695."""
    heights = data.get("heights", "ellipsoidal")
    line = reader.line_of(data, "heights", 0)
    if not isinstance(heights, str) or not heights.strip():
        raise reader.fail("heights", line, "must be 'ellipsoidal' or a vertical CRS like "
                          f"'EPSG:6695', got {heights!r}")
    heights = heights.strip()
    if heights.lower() == "ellipsoidal":
        return "ellipsoidal"
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        vertical = CRS.from_user_input(heights)
    except CRSError:
        raise reader.fail("heights", line, f"{heights!r} is not a coordinate reference "
                          "system") from None
    if not vertical.is_vertical or vertical.is_compound:
        raise reader.fail("heights", line, f"{heights!r} is a {vertical.type_name}, not a "
                          "vertical CRS (e.g. EPSG:6695, JGD2011 vertical height)")
    if crs is None:
        raise reader.fail("heights", line, "needs 'crs' (the horizontal CRS the heights "
                          "are placed in)")
    if CRS.from_user_input(crs).is_vertical:
        raise reader.fail("heights", line, f"'crs' {crs!r} already holds heights; give a "
                          "horizontal CRS there")
    return heights


def _geoid_grid(reader: _Reader, data: Mapping[Any, Any], heights: str,
                base: Path | None) -> str | None:
    grid = data.get("geoid_grid")
    if grid is None:
        return None
    line = reader.line_of(data, "geoid_grid", 0)
    if not isinstance(grid, str) or not grid.strip():
        raise reader.fail("geoid_grid", line, f"must be the path of a PROJ grid file, got "
                          f"{grid!r}")
    if heights == "ellipsoidal":
        raise reader.fail("geoid_grid", line, "a geoid grid needs 'heights' set to the "
                          "vertical CRS it gives (e.g. EPSG:6695); ellipsoidal heights "
                          "need none")
    path = Path(grid.strip()).expanduser()
    if path.suffix.lower() not in _GRID_SUFFIXES:
        raise reader.fail("geoid_grid", line, f"{grid!r} is not a PROJ vertical grid "
                          "(.gtx or GeoTIFF .tif)")
    if base is not None:
        path = (base / path).resolve()
        if not path.is_file():
            raise reader.fail("geoid_grid", line, f"{path} is not a file")
    return str(path)


def parse_schema(data: Any, source: str = "<schema>", base: Path | None = None) -> LabelSchema:
    """Check a parsed schema document and build the :class:`LabelSchema`.

    ``base`` is the folder of the schema file: a relative ``geoid_grid`` is
    taken from there, made absolute, and must exist.
    """
    reader = _Reader(source)
    top = reader.mapping(data, "", 1)
    reader.check_keys(top, _TOP_KEYS, "", 1)
    name = reader.text(top, "name", "", 1)
    raw_classes = top.get("classes")
    classes_line = reader.line_of(top, "classes", 1)
    if not isinstance(raw_classes, list) or not raw_classes:
        raise reader.fail("classes", classes_line, "needs a non-empty list of classes")
    classes = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_classes):
        line = reader.line_of(raw_classes, index, classes_line)
        label_class = _label_class(reader, raw, f"classes[{index}]", line, index)
        if label_class.name in seen:
            raise reader.fail(f"classes[{index}].name", line,
                              f"duplicate class {label_class.name!r}")
        seen.add(label_class.name)
        classes.append(label_class)
    rules = _rules(reader, top.get("rules"), reader.line_of(top, "rules", 1))
    crs = _crs(reader, top)
    heights = _heights(reader, top, crs)
    return LabelSchema(name, tuple(classes), crs, rules, heights,
                       _geoid_grid(reader, top, heights, base))


def parse_schema_text(text: str, source: str = "<schema>",
                      base: Path | None = None) -> LabelSchema:
    """Parse YAML or JSON text (JSON is read as YAML so errors carry line numbers)."""
    try:
        document = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - SafeLoader subclass
    except _Located as exc:
        raise SchemaError(f"{source}:{exc.line}: {exc.problem}") from None
    except RecursionError:
        raise SchemaError(f"{source}: nested too deeply to be a label schema") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        problem = getattr(exc, "problem", None) or str(exc)
        raise SchemaError(f"{where}: not valid YAML/JSON ({problem})") from None
    return parse_schema(document, source, base)


def load_schema(path: str | Path) -> LabelSchema:
    """Read a schema file; any problem is a one-line :class:`SchemaError`."""
    path = Path(path)
    try:
        if path.stat().st_size > _MAX_SCHEMA_BYTES:
            raise SchemaError(f"{path}: schema file is larger than 4 MiB")
        raw = path.read_bytes()
    except OSError as exc:
        raise SchemaError(f"{path}: cannot read schema ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SchemaError(f"{path}: schema file is not UTF-8 text") from None
    if path.suffix.lower() == ".json":
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            raise SchemaError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
        except RecursionError:
            raise SchemaError(f"{path}: nested too deeply to be a label schema") from None
    return parse_schema_text(text, str(path), path.parent)
