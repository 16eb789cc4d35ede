"""Run a client's own ONNX object detector on an image, through OpenCV's ``cv2.dnn``.

Nothing is downloaded: the model is a file the client installs and names in
the ``model`` setting.  The assist letterboxes the image to a square of
``input_size`` pixels (bilinear, aspect kept, grey 114 padding split evenly,
RGB scaled to 0..1, NCHW float32; ``input_size`` must be the size the model
was exported for), runs the network, keeps the detections whose best
class score reaches ``score_threshold``, removes overlaps per class with
``cv2.dnn.NMSBoxesBatched`` (non-maximum suppression at ``nms_threshold``)
and proposes boxes in image pixels.

Output layout (the one supported): the YOLOv8 / YOLO11 detection head as
Ultralytics exports it to ONNX - one output of shape ``(1, 4 + C, N)``: for
each of N candidates ``cx, cy, w, h`` in pixels of the letterboxed input,
then C class scores in 0..1 (no separate objectness).  The transposed
``(1, N, 4 + C)`` is read too: the shorter of the two axes holds the values.

``class_map`` says which model class is which schema class, as
``"0:car,1:pedestrian"``; detections of classes it does not name are
dropped.  An empty map gives every detection the current class.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import cv2
import numpy as np
import numpy.typing as npt

from annotator.errors import Cancelled
from annotator.model import LabelSchema
from annotator.plugins import AssistError, AssistRequest, Proposal, SettingSpec, resolve_settings
from annotator.shapes import Box

__all__ = ["Assist", "Detection", "OnnxDetector", "decode", "letterbox", "parse_class_map"]

F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]

#: Grey of the letterbox padding (as Ultralytics pads).
PAD_GREY: Final = 114


@dataclass(frozen=True)
class Letterbox:
    """How an image sits in the square network input: ``input = image * scale + pad``."""

    scale_x: float
    scale_y: float
    pad_x: float
    pad_y: float
    size: int


@dataclass(frozen=True)
class Detection:
    """One kept detection in IMAGE pixels."""

    box: tuple[float, float, float, float]     # x0, y0, x1, y1
    class_id: int
    score: float


def parse_class_map(text: str) -> dict[int, str]:
    """``"0:car, 1:pedestrian"`` as ``{0: "car", 1: "pedestrian"}`` (empty text: ``{}``).

    >>> parse_class_map("0:car, 1:pedestrian")
    {0: 'car', 1: 'pedestrian'}
    """
    out: dict[int, str] = {}
    for part in (p.strip() for p in text.replace(";", ",").split(",")):
        if not part:
            continue
        number, sep, name = part.partition(":")
        if not sep or not number.strip().isdigit() or not name.strip():
            raise AssistError(f"class_map: {part!r} is not 'number:class' "
                              "(e.g. '0:car,1:pedestrian')")
        if int(number) in out:
            raise AssistError(f"class_map: class {int(number)} is named twice")
        out[int(number)] = name.strip()
    return out


def letterbox(image: npt.NDArray[np.uint8], size: int) -> tuple[F32, Letterbox]:
    """The NCHW float32 input (RGB in 0..1) and where the image lies in it."""
    height, width = image.shape[:2]
    scale = min(size / width, size / height)
    new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
    # bilinear, as Ultralytics letterboxes its training images (and 20x faster than
    # INTER_AREA on a 12-megapixel photo)
    resized = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    left, top = (size - new_w) // 2, (size - new_h) // 2
    canvas = np.full((size, size, 3), PAD_GREY, dtype=np.uint8)
    canvas[top:top + new_h, left:left + new_w] = resized
    blob = np.asarray(cv2.dnn.blobFromImage(canvas, 1.0 / 255.0), dtype=np.float32)
    return blob, Letterbox(new_w / width, new_h / height, float(left), float(top), size)


def decode(output: npt.NDArray[Any], box: Letterbox, image_size: tuple[int, int], *,
           score_threshold: float, nms_threshold: float) -> list[Detection]:
    """Kept detections of a ``(1, 4 + C, N)`` (or ``(1, N, 4 + C)``) output, in image pixels."""
    values = np.asarray(output, dtype=np.float32)
    if values.ndim == 3 and values.shape[0] == 1:
        values = values[0]
    if values.ndim != 2 or min(values.shape) < 5:
        raise AssistError(f"model output has shape {tuple(np.shape(output))}, not "
                          "(1, 4 + classes, candidates) as a YOLOv8 detection head gives")
    if values.shape[0] > values.shape[1]:
        values = values.T                               # (1, N, 4 + C) layout
    centre_x, centre_y, w, h = values[:4]
    scores = values[4:]
    class_id = np.argmax(scores, axis=0)
    score = scores[class_id, np.arange(scores.shape[1])]
    keep = np.isfinite(score) & (score >= score_threshold) & (w > 0) & (h > 0)
    if not keep.any():
        return []
    width, height = image_size
    x0 = np.clip((centre_x[keep] - w[keep] / 2 - box.pad_x) / box.scale_x, 0, width)
    y0 = np.clip((centre_y[keep] - h[keep] / 2 - box.pad_y) / box.scale_y, 0, height)
    x1 = np.clip((centre_x[keep] + w[keep] / 2 - box.pad_x) / box.scale_x, 0, width)
    y1 = np.clip((centre_y[keep] + h[keep] / 2 - box.pad_y) / box.scale_y, 0, height)
    classes, scores_kept = class_id[keep].astype(np.int32), score[keep]
    rects = np.column_stack((x0, y0, x1 - x0, y1 - y0)).astype(np.float64).tolist()
    kept = cv2.dnn.NMSBoxesBatched(rects, scores_kept.astype(float).tolist(), classes.tolist(),
                                   score_threshold, nms_threshold)
    out = []
    for i in np.asarray(kept, dtype=np.int64).reshape(-1):
        if x1[i] - x0[i] >= 1.0 and y1[i] - y0[i] >= 1.0:   # not squeezed off the image
            out.append(Detection((float(x0[i]), float(y0[i]), float(x1[i]), float(y1[i])),
                                 int(classes[i]), float(scores_kept[i])))
    out.sort(key=lambda d: -d.score)
    return out


def _opencv_reason(exc: cv2.error) -> str:
    """The useful part of an OpenCV error ('... error: (-2:Unspecified error) WHY in function')."""
    text = " ".join(str(exc).split())
    if ") " in text and "error: (" in text:
        text = text.split("error: (", 1)[1].split(") ", 1)[-1]
    return text.split(" in function ")[0].strip() or "OpenCV could not read it"


class OnnxDetector:
    """The ``onnx_detector`` assist (see the module docstring)."""

    id = "onnx_detector"
    title = "Detect objects (your ONNX model)"
    media = "image"
    prompt = "none"
    settings: Mapping[str, SettingSpec] = {
        "model": SettingSpec("path", "", help="The ONNX detection model (YOLOv8-style output)"),
        "class_map": SettingSpec("text", "",
                                 help="Model class number to project class: 0:car,1:pedestrian"),
        "input_size": SettingSpec("int", 640, 32, 4096,
                                  help="Side (pixels) of the model's square input"),
        "score_threshold": SettingSpec("float", 0.25, 0.0, 1.0, "Lowest class score kept"),
        "nms_threshold": SettingSpec("float", 0.45, 0.0, 1.0,
                                     "Boxes of a class overlapping more than this (IoU) merge"),
    }

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._net: Any = None
        self._key: tuple[str, int, int] | None = None

    def _load(self, path: str) -> Any:
        if not path.strip():
            raise AssistError("no model set (choose an .onnx file in the assist's settings)")
        try:
            stat = os.stat(path)
        except OSError as exc:
            raise AssistError(f"cannot read model {path}: {exc.strerror or exc}") from None
        key = (os.path.abspath(path), stat.st_mtime_ns, stat.st_size)
        if self._key != key:
            try:
                net = cv2.dnn.readNetFromONNX(path)
            except cv2.error as exc:
                raise AssistError(f"cannot load model {path}: {_opencv_reason(exc)}") from None
            if net.empty():
                raise AssistError(f"cannot load model {path}: OpenCV read no network")
            self._net, self._key = net, key
        return self._net

    def detect(self, image: npt.NDArray[np.uint8], settings: Mapping[str, Any]) -> list[Detection]:
        """Run the model on an RGB ``H x W x 3`` image; detections in image pixels."""
        values = resolve_settings(self, settings)
        size = int(values["input_size"])
        blob, box = letterbox(image, size)
        with self._lock:                        # one cv2.dnn.Net runs one forward at a time
            net = self._load(str(values["model"]))
            try:
                net.setInput(blob)
                output = net.forward()
            except cv2.error as exc:
                raise AssistError(f"model {values['model']} failed on a {size}x{size} input: "
                                  f"{_opencv_reason(exc)}") from None
        return decode(output, box, (image.shape[1], image.shape[0]),
                      score_threshold=float(values["score_threshold"]),
                      nms_threshold=float(values["nms_threshold"]))

    def propose(self, request: AssistRequest) -> list[Proposal]:
        image = request.image
        if image is None or image.ndim != 3 or image.shape[2] != 3 or not image.size:
            raise AssistError("needs an RGB image")
        names = parse_class_map(str(request.settings.get("class_map", "")))
        _check_classes(names, request.schema)
        if not request.progress(0.0):
            raise Cancelled("onnx_detector: cancelled")
        found = self.detect(image, request.settings)
        out = []
        for detection in found:
            name = names.get(detection.class_id) if names else request.label
            if name is None:
                continue
            x0, y0, x1, y1 = detection.box
            out.append(Proposal(name, Box.from_corners(x0, y0, x1, y1),
                                score=round(detection.score, 4)))
        request.progress(1.0)
        return out


def _check_classes(names: Mapping[int, str], schema: LabelSchema) -> None:
    for number, name in names.items():
        if name not in schema:
            raise AssistError(f"class_map: {number}:{name} - the project has no class {name!r}")
        if not schema.get(name).allows("box"):
            raise AssistError(f"class_map: {number}:{name} - class {name!r} allows no boxes")


#: The entry point's name for the class.
Assist = OnnxDetector
