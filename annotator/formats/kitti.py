r"""KITTI object labels: one ``label_2/<stem>.txt`` per point-cloud tile.

Each line is one object in the 15 columns of the KITTI object devkit::

    type truncated occluded alpha  x1 y1 x2 y2  h w l  x y z  rotation_y

``type`` is the class name with every run of white space replaced by ``_``
(``traffic sign`` -> ``traffic_sign``); ``h w l`` are the cuboid's height,
width and length; ``x y z`` is the centre of the box's *bottom* face in the
label frame; ``rotation_y`` is the heading about the label frame's vertical
axis, in [-pi, pi].  Numbers are written unrounded (the shortest text that
reads back to the same float64), where the devkit writes two decimals.
A file is named after the tile's stem (``media/000123.bin`` ->
``label_2/000123.txt``), so two tiles with one stem cannot share an export;
tiles without cuboids get an empty file ("looked at, nothing there").

The label frame: calibration
----------------------------
Our cuboids live in the tile's own frame (the LiDAR frame of a sensor scan:
x forward, y left, z up).  KITTI labels live in the rectified camera frame
(x right, y down, z forward).  The ``calib`` option is a KITTI calibration
file; ``Tr_velo_to_cam`` (3x4, alias ``Tr_velo_cam``) and ``R0_rect`` (3x3,
alias ``R_rect``; identity when absent) give the 4x4 map
``M = R0_rect * Tr_velo_to_cam`` from the LiDAR frame to the camera frame,
with rotation part ``A`` and translation ``t``.  For a cuboid with centre
``c``, size ``(l, w, h)`` and yaw ``psi`` about +z:

- ``location = A (c - (0, 0, h/2)) + t``: the bottom-face centre, mapped;
- ``d = A (cos psi, sin psi, 0)`` is the heading in the camera frame and
  ``rotation_y = atan2(-d_z, d_x)`` (KITTI's heading is
  ``(cos ry, 0, -sin ry)``).  With the standard velodyne->camera axes
  (``x_cam = -y``, ``y_cam = -z``, ``z_cam = x``) that is
  ``rotation_y = -psi - pi/2``;
- ``alpha = rotation_y - atan2(x, z)`` of the location, in [-pi, pi];
- with a ``P2`` line the 8 corners are projected and ``x1 y1 x2 y2`` is
  their bounding rectangle in pixels (not clipped: the image size is not
  known here); a box partly behind the camera, or no ``P2``, gives 0 0 0 0.

The calibration must map LiDAR up (+z) to camera up (-y, within 25 degrees)
and ``A`` must be a rotation; otherwise it is refused.  An export with a
calibration also writes it as ``calib/<stem>.txt`` for every tile, as the
KITTI layout has it; an import takes the ``calib`` option, else
``calib/<stem>.txt`` beside ``label_2``, else identity.

Identity (no calibration, the default) means the label frame *is* the
LiDAR frame, axes unchanged: ``location = c - (0, 0, h/2)`` (the bottom face,
z still up), ``rotation_y = psi`` (the same turn about the vertical axis,
brought into [-pi, pi]), ``alpha = -10`` (KITTI's "not known": there is no
camera) and ``bbox = 0 0 0 0``.

Reading inverts the same map: ``c = A^-1 (location - t) + (0, 0, h/2)`` and
``psi`` is the heading whose image in the camera, projected onto the x-z
plane, points along ``rotation_y`` (the exact inverse of the write, also for
a slightly tilted calibration), so a round trip agrees to float precision.

Attributes: ``truncated`` and ``occluded`` come from attributes of those
names when the class has them (bool -> 1/0; a number clamped into KITTI's
range: truncated 0..1, occluded 0..3 rounded), else 0.  On import they go
back into the class's attributes of those names (bool: non-zero is true).
Other attributes are not held.  ``DontCare`` lines are skipped and reported;
a 16th column (a detector's score) is ignored.  A type finds its class by
exact name, else as the written form of a class name (``traffic_sign``),
else by a unique case-insensitive match (``Car`` -> ``car``).

>>> _line("traffic sign", (0, 0, -10.0), (0.0, 0.0, 0.0, 0.0), (1.5, 0.5, 0.25),
...       (1.0, 2.0, 3.0), 0.5)
'traffic_sign 0 0 -10 0 0 0 0 1.5 0.5 0.25 1 2 3 0.5'
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import numpy.typing as npt

from annotator.errors import FormatError
from annotator.formats.base import (
    ExportItem,
    FormatSpec,
    ImportContext,
    ImportedImage,
    ImportedShape,
    ImportResult,
    ProjectView,
    Report,
    check_input_size,
    check_labels,
    finite,
    safe_name,
)
from annotator.formats.clouds import cuboid_from, cuboid_or_skip, normal_angle, resolve_stem
from annotator.model import Annotation, LabelClass, LabelSchema
from annotator.shapes import Cuboid

__all__ = ["FORMAT", "Calibration", "detect", "kitti_type", "read", "read_calibration", "write"]

LABELS = "label_2"
CALIB = "calib"
DONT_CARE = "DontCare"
#: alpha when there is no camera to observe from: KITTI's "not known"
NO_ALPHA = -10.0
#: a calibration file is a few hundred bytes; anything far bigger is not one
MAX_CALIB_BYTES = 64 * 1024
_UP_TOLERANCE = math.cos(math.radians(25))
_SPACE = re.compile(r"\s+")
FloatArray = npt.NDArray[np.float64]


def kitti_type(name: str) -> str:
    """A class name as a KITTI type: white space runs become ``_``.

    >>> kitti_type("traffic  sign")
    'traffic_sign'
    """
    return _SPACE.sub("_", name.strip())


def _number(value: float) -> str:
    number = float(value)
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    return repr(number)


# -- calibration -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Calibration:
    """LiDAR frame -> rectified camera frame (``M``), and the camera's ``P2`` when known.

    ``Calibration()`` is identity: the label frame is the LiDAR frame.
    """

    matrix: FloatArray | None = None
    projection: FloatArray | None = None
    source: Path | None = None

    @property
    def identity(self) -> bool:
        return self.matrix is None

    def to_label(self, cuboid: Cuboid) -> tuple[FloatArray, float]:
        """``location`` (bottom-face centre) and ``rotation_y`` of a cuboid."""
        center = cuboid.center[0]
        height = float(cuboid.size[0][2])
        bottom = center - np.array([0.0, 0.0, height / 2])
        if self.matrix is None:
            return bottom, normal_angle(cuboid.yaw)
        rotation, shift = self.matrix[:3, :3], self.matrix[:3, 3]
        heading = rotation @ np.array([math.cos(cuboid.yaw), math.sin(cuboid.yaw), 0.0])
        return rotation @ bottom + shift, math.atan2(-heading[2], heading[0])

    def from_label(self, location: FloatArray, rotation_y: float,
                   height: float) -> tuple[FloatArray, float]:
        """Centre and yaw in the LiDAR frame: the inverse of :meth:`to_label`."""
        lift = np.array([0.0, 0.0, height / 2])
        if self.matrix is None:
            return location + lift, rotation_y
        rotation, shift = self.matrix[:3, :3], self.matrix[:3, 3]
        bottom = np.linalg.solve(rotation, location - shift)
        cos_ry, sin_ry = math.cos(rotation_y), math.sin(rotation_y)
        # The heading h = (cos psi, sin psi, 0) whose image d = A h has
        # -d_z cos(ry) - d_x sin(ry) = 0 (it lies along ry in the x-z plane) ...
        normal = rotation[2, :2] * cos_ry + rotation[0, :2] * sin_ry
        heading = np.array([-normal[1], normal[0]])
        # ... and points the same way, not the opposite one.
        if (rotation[0, :2] @ heading) * cos_ry - (rotation[2, :2] @ heading) * sin_ry < 0:
            heading = -heading
        return bottom + lift, math.atan2(heading[1], heading[0])

    def alpha(self, location: FloatArray, rotation_y: float) -> float:
        if self.matrix is None:
            return NO_ALPHA
        return normal_angle(rotation_y - math.atan2(location[0], location[2]))

    def bbox(self, cuboid: Cuboid) -> tuple[float, float, float, float]:
        """The projected corners' rectangle in pixels, or zeros without a camera in front."""
        if self.matrix is None or self.projection is None:
            return (0.0, 0.0, 0.0, 0.0)
        length, width, height = cuboid.size[0]
        signs = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)])
        local = signs * np.array([length, width, height]) / 2
        cos_yaw, sin_yaw = math.cos(cuboid.yaw), math.sin(cuboid.yaw)
        turn = np.array([[cos_yaw, -sin_yaw, 0.0], [sin_yaw, cos_yaw, 0.0], [0.0, 0.0, 1.0]])
        corners = local @ turn.T + cuboid.center[0]
        camera = corners @ self.matrix[:3, :3].T + self.matrix[:3, 3]
        pixels = np.c_[camera, np.ones(8)] @ self.projection.T
        if (pixels[:, 2] <= 1e-6).any():
            return (0.0, 0.0, 0.0, 0.0)
        u, v = pixels[:, 0] / pixels[:, 2], pixels[:, 1] / pixels[:, 2]
        return (float(u.min()), float(v.min()), float(u.max()), float(v.max()))


_KEYS = {"Tr_velo_to_cam": 12, "Tr_velo_cam": 12, "R0_rect": 9, "R_rect": 9, "P2": 12}


def _calibration_values(path: Path) -> dict[str, list[float]]:
    size = check_input_size(path)
    if size > MAX_CALIB_BYTES:
        raise FormatError(f"{path}: {size:,} bytes is not a KITTI calibration file "
                          f"(those are under {MAX_CALIB_BYTES:,} bytes)")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise FormatError(f"{path}: cannot read ({exc.strerror or exc})") from None
    values: dict[str, list[float]] = {}
    for number, line in enumerate(text.splitlines(), 1):
        key, _, rest = line.strip().partition(" ")
        key = key.rstrip(":")
        if key not in _KEYS:
            continue  # calib_time, P0, Tr_imu_to_velo ...: not needed here
        where = f"{path}:{number}: {key}"
        fields = rest.replace(":", " ").split()
        if len(fields) != _KEYS[key]:
            raise FormatError(f"{where}: {len(fields)} numbers, expected {_KEYS[key]}")
        if key in values:
            raise FormatError(f"{where}: given twice")
        values[key] = [finite(f, where, 1e7) for f in fields]
    return values


def read_calibration(path: str | Path) -> Calibration:
    """Read a KITTI calibration file (object-detection layout: ``KEY: numbers`` lines)."""
    source = Path(path)
    values = _calibration_values(source)
    velo = values.get("Tr_velo_to_cam", values.get("Tr_velo_cam"))
    if velo is None:
        raise FormatError(f"{source}: no Tr_velo_to_cam line; a KITTI calibration file maps "
                          "the LiDAR frame to the camera with it")
    rect = values.get("R0_rect", values.get("R_rect"))
    to_camera = np.eye(4)
    to_camera[:3, :] = np.reshape(velo, (3, 4))
    rectify = np.eye(4)
    if rect is not None:
        rectify[:3, :3] = np.reshape(rect, (3, 3))
    matrix = rectify @ to_camera
    rotation = matrix[:3, :3]
    if np.abs(rotation.T @ rotation - np.eye(3)).max() > 1e-3 or np.linalg.det(rotation) <= 0:
        raise FormatError(f"{source}: R0_rect * Tr_velo_to_cam is not a rotation and "
                          "translation; check the matrices")
    up = rotation @ np.array([0.0, 0.0, 1.0])
    if -up[1] < _UP_TOLERANCE:
        raise FormatError(f"{source}: the LiDAR's up axis (+z) maps to camera "
                          f"({up[0]:.3f}, {up[1]:.3f}, {up[2]:.3f}); KITTI labels need it "
                          "along -y (camera y points down)")
    projection = np.reshape(values["P2"], (3, 4)) if "P2" in values else None
    return Calibration(matrix, projection, source)


def _calibration(option: Any) -> Calibration | None:
    if option is None:
        return None
    if isinstance(option, Calibration):
        return option
    return read_calibration(option)


# -- write -----------------------------------------------------------------------------------


def _line(label: str, flags: tuple[float, int, float], bbox: tuple[float, ...],
          dimensions: tuple[float, ...], location: tuple[float, ...], rotation_y: float) -> str:
    truncated, occluded, alpha = flags
    numbers = [truncated, occluded, alpha, *bbox, *dimensions, *location, rotation_y]
    return " ".join([kitti_type(label), *(_number(n) for n in numbers)])


def _flag(label_class: LabelClass | None, annotation: Annotation, name: str) -> float:
    spec = label_class.attribute(name) if label_class else None
    value = annotation.attributes.get(name)
    if spec is None or value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    try:
        number = float(value)
    except (TypeError, ValueError):
        return 0.0
    if not math.isfinite(number):
        return 0.0
    if name == "occluded":
        return float(min(max(round(number), 0), 3))
    return min(max(number, 0.0), 1.0)


def _object_line(annotation: Annotation, cuboid: Cuboid, schema: LabelSchema,
                 calibration: Calibration) -> str:
    label_class = schema.get(annotation.label) if annotation.label in schema else None
    location, rotation_y = calibration.to_label(cuboid)
    length, width, height = (float(v) for v in cuboid.size[0])
    flags = (_flag(label_class, annotation, "truncated"),
             int(_flag(label_class, annotation, "occluded")),
             calibration.alpha(location, rotation_y))
    return _line(annotation.label, flags, calibration.bbox(cuboid), (height, width, length),
                 tuple(float(v) for v in location), rotation_y)


def _check_types(schema: LabelSchema) -> None:
    seen: dict[str, str] = {}
    for name in schema.names:
        written = kitti_type(name)
        if written in seen:
            raise FormatError(f"kitti export: classes {seen[written]!r} and {name!r} would both "
                              f"be written as type {written!r}; rename one in the schema")
        seen[written] = name


def _stem(export_item: ExportItem) -> str:
    name = safe_name(export_item.file_name, "kitti export")
    return PurePosixPath(name).stem


def write(view: ProjectView, out: Path) -> Report:
    """Write ``label_2/<stem>.txt`` per tile (and ``calib/<stem>.txt`` with a calibration)."""
    report = Report(FORMAT.id)
    calibration = _calibration(view.options.get("calib")) or Calibration()
    _check_types(view.schema)
    labels = out / LABELS
    labels.mkdir(parents=True, exist_ok=True)
    calib_text = None
    if calibration.source is not None:
        (out / CALIB).mkdir(exist_ok=True)
        calib_text = calibration.source.read_bytes()
    owners: dict[str, str] = {}
    for export_item in view.items():
        stem = _stem(export_item)
        if stem in owners:
            raise FormatError(f"kitti export: {owners[stem]!r} and {export_item.file_name!r} "
                              f"would both be written to {LABELS}/{stem}.txt (KITTI names "
                              "label files by the tile's stem); export them separately")
        owners[stem] = export_item.file_name
        lines = []
        for annotation in export_item.annotations:
            cuboid = cuboid_or_skip(export_item, annotation, report, "KITTI")
            if cuboid is None:
                continue
            if kitti_type(annotation.label) == DONT_CARE:
                report.skip(export_item, annotation,
                            "KITTI reserves the type DontCare for regions to ignore")
                continue
            lines.append(_object_line(annotation, cuboid, view.schema, calibration))
            report.wrote(annotation)
        (labels / f"{stem}.txt").write_text("".join(f"{line}\n" for line in lines),
                                            encoding="utf-8")
        report.files.append(f"{LABELS}/{stem}.txt")
        if calib_text is not None:
            (out / CALIB / f"{stem}.txt").write_bytes(calib_text)
            report.files.append(f"{CALIB}/{stem}.txt")
        report.images += 1
    return report


# -- read ------------------------------------------------------------------------------------


@dataclass
class _Notes:
    dont_care: int = 0
    scores: int = 0
    identity: int = 0


def _class_finder(schema: LabelSchema) -> dict[str, str]:
    """Written type -> class: exact names win, then written forms, then case-folded ones."""
    found: dict[str, str] = {}
    folded: dict[str, list[str]] = {}
    for name in schema.names:
        found.setdefault(kitti_type(name), name)
        folded.setdefault(kitti_type(name).casefold(), []).append(name)
    for key, names in folded.items():
        if len(names) == 1:
            found.setdefault(key, names[0])
    for name in schema.names:
        found[name] = name
    return found


def _label(kind: str, finder: dict[str, str]) -> str:
    return finder.get(kind) or finder.get(kind.casefold()) or kind


def _attributes(schema: LabelSchema, label: str, truncated: float,
                occluded: float) -> dict[str, Any]:
    if label not in schema:
        return {}
    label_class = schema.get(label)
    values: dict[str, Any] = {}
    for name, number in (("truncated", truncated), ("occluded", occluded)):
        spec = label_class.attribute(name)
        if spec is None:
            continue
        if spec.type == "bool":
            values[name] = number != 0
        elif spec.type == "int":
            values[name] = round(number)
        elif spec.type == "float":
            values[name] = number
        elif spec.type in ("enum", "text"):
            text = _number(number)
            if spec.type == "text" or text in spec.values:
                values[name] = text
    return values


def _parse_line(line: str, where: str, schema: LabelSchema, finder: dict[str, str],
                calibration: Calibration, notes: _Notes) -> ImportedShape | None:
    fields = line.split()
    if fields[0] == DONT_CARE:
        notes.dont_care += 1
        return None
    if len(fields) not in (15, 16):
        raise FormatError(f"{where}: {len(fields)} columns; a KITTI label line has 15 "
                          "(type, truncated, occluded, alpha, bbox 4, h w l, x y z, "
                          "rotation_y) or 16 with a score")
    if len(fields) == 16:
        finite(fields[15], f"{where}: score")
        notes.scores += 1
    numbers = [finite(f, f"{where}: column {index}") for index, f in enumerate(fields[1:15], 2)]
    truncated, occluded = numbers[0], numbers[1]
    height, width, length = numbers[7:10]
    location = np.array(numbers[10:13])
    rotation_y = numbers[13]
    center, yaw = calibration.from_label(location, rotation_y, height)
    cuboid = cuboid_from(center.tolist(), [length, width, height], yaw, where)
    label = _label(fields[0], finder)
    return ImportedShape(label, cuboid, _attributes(schema, label, truncated, occluded))


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    check_input_size(path)
    try:
        with path.open("r", encoding="utf-8", newline=None) as handle:
            for number, line in enumerate(handle, 1):
                if line.strip():
                    yield number, line
    except UnicodeDecodeError as exc:
        raise FormatError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise FormatError(f"{path}: cannot read ({exc.strerror or exc})") from None


def _label_files(path: Path) -> tuple[list[Path], Path]:
    """The label files to read and the folder where ``calib/`` would sit beside them."""
    if path.is_file():
        return [path], path.parent.parent
    if not path.is_dir():
        raise FormatError(f"{path}: no such file or folder")
    named = (path / LABELS).is_dir()
    folder = path / LABELS if named else path
    files = sorted(folder.glob("*.txt"))
    if not files and not named:
        raise FormatError(f"{path}: no {LABELS} folder and no .txt label files; "
                          "not a KITTI label folder")
    return files, folder.parent


def read(path: Path, context: ImportContext) -> ImportResult:
    """Read a KITTI folder (``label_2/*.txt``), a folder of label files, or one file."""
    result = ImportResult(FORMAT.id)
    given = _calibration(context.options.get("calib"))
    finder = _class_finder(context.schema)
    notes = _Notes()
    files, base = _label_files(path)
    for file in files:
        calibration = given
        if calibration is None:
            beside = base / CALIB / file.name
            calibration = read_calibration(beside) if beside.is_file() else None
        if calibration is None:
            notes.identity += 1
            calibration = Calibration()
        name, _ = resolve_stem(context, safe_name(file.stem, str(file)), str(file))
        image = ImportedImage(name)
        for number, line in _lines(file):
            shape = _parse_line(line, f"{file}:{number}", context.schema, finder, calibration,
                                notes)
            if shape is not None:
                image.shapes.append(shape)
        result.images.append(image)
    if notes.dont_care:
        result.problems.append(f"{path}: {notes.dont_care} DontCare region(s) skipped "
                               "(regions to ignore, not objects)")
    if notes.scores:
        result.problems.append(f"{path}: {notes.scores} line(s) carry a score (16th column); "
                               "scores are not kept")
    if notes.identity and files:
        result.problems.append(f"{path}: {notes.identity} label file(s) without a calibration "
                               "(no --calib, no calib/<stem>.txt): read as LiDAR-frame "
                               "values (identity)")
    check_labels(result, context.schema, path)
    return result


# -- detect ----------------------------------------------------------------------------------


def _looks_like_kitti(path: Path) -> bool | None:
    """Whether the first line is a KITTI object line; None for an empty file."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    lines = [raw for raw in head.splitlines() if raw.strip()]
    if not lines:
        return None if len(head) < 4096 else False
    fields = lines[0].decode("utf-8", "replace").split()
    if len(fields) not in (15, 16):
        return False
    try:
        [float(f) for f in fields[1:]]
    except ValueError:
        return False
    return True


def detect(path: Path) -> bool:
    """A KITTI label file, or a folder whose ``label_2`` (or itself) holds some."""
    if path.is_file():
        return path.suffix.lower() == ".txt" and _looks_like_kitti(path) is True
    if not path.is_dir():
        return False
    named = (path / LABELS).is_dir()
    folder = path / LABELS if named else path
    answers = [_looks_like_kitti(f) for f in islice(sorted(folder.glob("*.txt")), 5)]
    if not answers or False in answers:
        return False
    return named or True in answers


FORMAT = FormatSpec(
    id="kitti",
    title="KITTI object labels (3D boxes, label_2/*.txt)",
    read=read,
    write=write,
    detect=detect,
    kinds=frozenset({"cuboid"}),
    extensions=(".txt",),
    media="pointcloud",
    options=("calib",),
)
