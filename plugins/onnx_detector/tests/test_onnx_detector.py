"""onnx_detector with tiny ONNX models the tests write themselves (no download, no onnx package)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from annotator_assist_onnx_detector import Assist, letterbox, parse_class_map

from annotator.errors import Cancelled
from annotator.model import Item, LabelClass, LabelSchema
from annotator.plugins import AssistError, AssistRequest, Prompt, discover, run
from annotator.shapes import Box

sys.path.insert(0, str(Path(__file__).parent))
from tiny_onnx import model, node

SIZE = 64
SCHEMA = LabelSchema("road", (LabelClass("car", "#ff0000", ("box", "polygon")),
                              LabelClass("pedestrian", "#00ff00", ("box",)),
                              LabelClass("lane_line", "#0000ff", ("polyline",))))
#: candidates (cx, cy, w, h in the 64 x 64 letterboxed input) and their class scores
CANDIDATES = np.array([
    # cx,   cy,   w,    h,   class 0, class 1, class 2
    [20.0, 30.0, 10.0, 8.0, 0.10, 0.90, 0.00],    # pedestrian, kept
    [21.0, 30.0, 10.0, 8.0, 0.05, 0.80, 0.00],    # overlaps the first, same class: suppressed
    [21.0, 31.0, 10.0, 8.0, 0.70, 0.00, 0.00],    # overlaps too, but a car: kept
    [48.0, 40.0, 12.0, 6.0, 0.60, 0.00, 0.00],    # car, kept
    [40.0, 24.0, 6.0, 6.0, 0.20, 0.00, 0.00],     # below the score threshold
    [10.0, 40.0, 4.0, 4.0, 0.00, 0.00, 0.95],     # class 2: not in the class map
    [0.0, 0.0, 0.0, 0.0, 0.00, 0.00, 0.00],       # padding rows of the head
    [0.0, 0.0, 0.0, 0.0, 0.00, 0.00, 0.00],
    [0.0, 0.0, 0.0, 0.0, 0.00, 0.00, 0.00],
    [0.0, 0.0, 0.0, 0.0, 0.00, 0.00, 0.00],
], dtype=np.float32)


def write_model(path: Path, transposed: bool = False) -> Path:
    """A YOLOv8-style head: fixed boxes, class scores times the brightest input value."""
    classes = CANDIDATES.shape[1] - 4
    n = len(CANDIDATES)
    boxes = CANDIDATES[:, :4].T[None].copy()             # (1, 4, N)
    scores = CANDIDATES[:, 4:].T[None].copy()            # (1, C, N)
    nodes = [node("ReduceMax", ["images"], ["peak"], {"keepdims": 1}),
             node("Reshape", ["peak", "shape3"], ["peak3"]),
             node("Mul", ["peak3", "scores"], ["scaled"]),
             node("Concat", ["boxes", "scaled"], ["head"], {"axis": 1})]
    shape = [1, 4 + classes, n]
    if transposed:
        nodes.append(node("Transpose", ["head"], ["output0"], {"perm": [0, 2, 1]}))
        shape = [1, n, 4 + classes]
    else:
        nodes[-1] = node("Concat", ["boxes", "scaled"], ["output0"], {"axis": 1})
    data = model(nodes, {"shape3": np.array([1, 1, 1], np.int64), "scores": scores,
                         "boxes": boxes}, {"images": [1, 3, SIZE, SIZE]}, {"output0": shape})
    path.write_bytes(data)
    return path


def request(image: np.ndarray | None, **settings: object) -> AssistRequest:
    item = Item(3, "road.png", "image", "png", sha256="", size_bytes=0,
                width=None if image is None else image.shape[1],
                height=None if image is None else image.shape[0])
    return AssistRequest(item, "car", SCHEMA, Prompt("none"), image=image,
                         settings={"input_size": SIZE, **settings})


def to_image(box: tuple[float, float, float, float], scale: float, pad_x: float,
             pad_y: float) -> tuple[float, float, float, float]:
    cx, cy, w, h = box
    return ((cx - w / 2 - pad_x) / scale, (cy - h / 2 - pad_y) / scale,
            (cx + w / 2 - pad_x) / scale, (cy + h / 2 - pad_y) / scale)


@pytest.mark.parametrize("transposed", [False, True], ids=["1x(4+C)xN", "1xNx(4+C)"])
def test_boxes_classes_and_scores_come_back_in_image_pixels(tmp_path: Path,
                                                            transposed: bool) -> None:
    path = write_model(tmp_path / "tiny.onnx", transposed)
    image = np.zeros((100, 200, 3), np.uint8)           # landscape: padded above and below
    image[40:60, 90:110] = 255                          # the model's scores follow the peak
    proposals = run(Assist(), request(image, model=str(path),
                                      class_map="0:car, 1:pedestrian"))
    # 200 x 100 in 64 x 64: scale 0.32, the image is 32 high, 16 grey rows above it
    scale, pad_x, pad_y = 0.32, 0.0, 16.0
    expected = [("pedestrian", 0, 0.9), ("car", 2, 0.7), ("car", 3, 0.6)]
    assert [(p.label, p.score) for p in proposals] == [(n, s) for n, _, s in expected]
    for proposal, (_, row, _) in zip(proposals, expected, strict=True):
        assert isinstance(proposal.geometry, Box)
        want = to_image(tuple(CANDIDATES[row, :4]), scale, pad_x, pad_y)
        got = proposal.geometry.corners.ravel()
        assert np.allclose(got, np.clip(want, 0, [200, 100, 200, 100]), atol=1e-3)


def test_the_input_reaches_the_model_and_thresholds_apply(tmp_path: Path) -> None:
    path = write_model(tmp_path / "tiny.onnx")
    # square, so no grey padding: the model sees only the image
    dark = np.zeros((100, 100, 3), np.uint8)            # peak 0: every score 0
    assert run(Assist(), request(dark, model=str(path), class_map="0:car")) == []
    grey = np.full((100, 100, 3), 128, np.uint8)        # peak 128/255: scores halve
    found = run(Assist(), request(grey, model=str(path), class_map="0:car,1:pedestrian",
                                  score_threshold=0.32))
    assert [(p.label, p.score) for p in found] == [("pedestrian", round(0.9 * 128 / 255, 4)),
                                                    ("car", round(0.7 * 128 / 255, 4))]
    # portrait: padded left and right; no class map: every class becomes the current class
    bright = np.full((120, 90, 3), 255, np.uint8)
    found = run(Assist(), request(bright, model=str(path), nms_threshold=0.3))
    assert {p.label for p in found} == {"car"}
    scale = SIZE / 120
    pad_x = (SIZE - round(90 * scale)) // 2
    # best first: class 2's candidate (no map, so it counts), then the pedestrian's
    assert [p.score for p in found[:2]] == [0.95, 0.9]
    for proposal, row in zip(found[:2], (5, 0), strict=True):
        want = to_image(tuple(CANDIDATES[row, :4]), scale, pad_x, 0.0)
        assert np.allclose(proposal.geometry.corners.ravel(), np.clip(want, 0, None), atol=1e-3)


def test_a_missing_or_broken_model_is_one_line(tmp_path: Path) -> None:
    image = np.zeros((10, 10, 3), np.uint8)
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"\x08\x07 this is not a protobuf model \xff\xfe" * 10)
    cases = [("", "no model set"), (str(tmp_path / "missing.onnx"), "No such file"),
             (str(junk), "cannot load model"), (str(tmp_path), "cannot load model")]
    for path, words in cases:
        with pytest.raises(AssistError) as caught:
            run(Assist(), request(image, model=path))
        message = str(caught.value)
        assert message.startswith("onnx_detector: ") and words in message
        assert "\n" not in message and "Traceback" not in message


def test_a_model_with_another_output_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "flat.onnx"
    path.write_bytes(model([node("ReduceMax", ["images"], ["output0"], {"keepdims": 0})], {},
                           {"images": [1, 3, SIZE, SIZE]}, {"output0": []}))
    with pytest.raises(AssistError, match=r"^onnx_detector: model output has shape"):
        run(Assist(), request(np.zeros((8, 8, 3), np.uint8), model=str(path)))


def test_class_map_mistakes_are_one_line(tmp_path: Path) -> None:
    path = write_model(tmp_path / "tiny.onnx")
    image = np.zeros((8, 8, 3), np.uint8)
    for text, words in [("0=car", "is not 'number:class'"), ("0:car,0:pedestrian", "twice"),
                        ("0:truck", "no class 'truck'"), ("0:lane_line", "allows no boxes")]:
        with pytest.raises(AssistError, match=words):
            run(Assist(), request(image, model=str(path), class_map=text))
    assert parse_class_map(" 0:car ; 2 : pedestrian,") == {0: "car", 2: "pedestrian"}


def test_no_image_and_cancel(tmp_path: Path) -> None:
    path = write_model(tmp_path / "tiny.onnx")
    with pytest.raises(AssistError, match="needs an RGB image"):
        run(Assist(), request(None, model=str(path)))
    cancelling = request(np.zeros((8, 8, 3), np.uint8), model=str(path))
    cancelling.progress = lambda fraction: False
    with pytest.raises(Cancelled):
        run(Assist(), cancelling)


def test_letterbox_keeps_the_aspect_and_centres_the_image() -> None:
    image = np.full((30, 90, 3), 200, np.uint8)
    blob, box = letterbox(image, 60)
    assert blob.shape == (1, 3, 60, 60) and blob.dtype == np.float32
    assert (box.scale_x, box.scale_y, box.pad_x, box.pad_y) == (60 / 90, 20 / 30, 0.0, 20.0)
    assert np.allclose(blob[0, :, 20:40, :], 200 / 255)
    assert np.allclose(blob[0, :, :20, :], 114 / 255) and np.allclose(blob[0, :, 40:, :], 114 / 255)


def test_the_entry_point_is_installed() -> None:
    entry = next(e for e in discover(refresh=True) if e.id == "onnx_detector")
    assert entry.error is None and entry.assist is not None and entry.assist.media == "image"
