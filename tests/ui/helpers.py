"""Shared pieces of the GUI tests: the project they open and the gestures they make.

Imported by ``conftest.py`` after it has set the offscreen platform, so this
module may import Qt at the top.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt, QThreadPool
from PySide6.QtWidgets import QApplication, QMainWindow

from annotator.model import Annotation
from annotator.project import Project
from annotator.schema import load_schema
from tests.conftest import make_images

REPO = Path(__file__).resolve().parents[2]
SCHEMA = REPO / "sample_data" / "schema.yaml"

#: Image sizes of the batch, in item order: neighbouring items differ in size.
SIZES = ((400, 300), (320, 240), (500, 250), (300, 400))
BATCH = "b1"
LEFT = Qt.MouseButton.LeftButton
NO_MOD = Qt.KeyboardModifier.NoModifier


@dataclass
class Setup:
    """What the fixture built: the project folder and the item ids."""

    folder: Path
    batch_items: list[int]
    other_items: list[int]


def build_project(root: Path) -> Setup:
    """A project led by 'lead' with the sample schema: 4 images of different sizes
    in batch 'b1', assigned to 'ann' and started by her, and one image in no batch."""
    folder = root / "proj"
    lead = Project.create(folder, load_schema(SCHEMA), user="lead")
    try:
        files = []
        for index, size in enumerate((*SIZES, (200, 200))):
            made = make_images(folder / "media" / f"s{index}", 1, size)[0]
            files.append(made.rename(made.with_name(f"img_{index}.png")))
        ids = lead.import_media(files).added
        lead.create_batch(BATCH, ids[:len(SIZES)])
        lead.batch_action(BATCH, "assign", assignee="ann")
    finally:
        lead.close()
    with Project.open(folder, "ann") as ann:
        ann.batch_action(BATCH, "start")
    return Setup(folder, ids[:len(SIZES)], ids[len(SIZES):])


def settle() -> None:
    """Deliver what is queued (posted events, zero-timeout timers)."""
    for _ in range(3):
        QApplication.processEvents()


def show(qtbot, window: QMainWindow) -> QMainWindow:
    """Show, size and fit ``window`` the way every test expects it."""
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.resize(1200, 800)
    window.activateWindow()
    settle()
    window.canvas.fit()
    settle()
    return window


def close_window(window: QMainWindow) -> None:
    """Close the window as a user would, let its worker threads finish, close the project.

    (The item list makes thumbnails on its own thread pool, which the window's
    close does not wait for; a thumbnail landing after the project is closed
    would query a closed store.)
    """
    window.close()
    for pool in window.findChildren(QThreadPool):
        pool.waitForDone(10_000)
    settle()
    window.project.close()


def at(window: QMainWindow, x: float, y: float) -> QPoint:
    """The viewport position showing image pixel (x, y)."""
    return window.canvas.mapFromScene(QPointF(x, y))


def shapes(window: QMainWindow, item_id: int | None = None) -> list[Annotation]:
    """The stored annotations of ``item_id`` (default: the open item), in z, id order."""
    target = int(window.item.id) if item_id is None else item_id
    return window.project.store.annotations_for_item(target)


def press_key(qtbot, window: QMainWindow, key: Qt.Key | str,
              modifier: Qt.KeyboardModifier = NO_MOD) -> None:
    """A key typed on the canvas (window shortcuts included)."""
    qtbot.keyClick(window.canvas, key, modifier)


def click(qtbot, window: QMainWindow, x: float, y: float,
          modifier: Qt.KeyboardModifier = NO_MOD) -> None:
    qtbot.mouseClick(window.canvas.viewport(), LEFT, modifier, at(window, x, y))


def double_click(qtbot, window: QMainWindow, x: float, y: float) -> None:
    """What a real double click delivers: press, release, double-click, release.

    (QTest's mouseDClick alone sends only the MouseButtonDblClick event.)
    """
    viewport, pos = window.canvas.viewport(), at(window, x, y)
    qtbot.mouseClick(viewport, LEFT, NO_MOD, pos)
    qtbot.mouseDClick(viewport, LEFT, NO_MOD, pos)
    qtbot.mouseRelease(viewport, LEFT, NO_MOD, pos)


def drag(qtbot, window: QMainWindow, start: tuple[float, float], end: tuple[float, float],
         steps: int = 4) -> None:
    """A left-button drag on the canvas from image point ``start`` to ``end``."""
    viewport = window.canvas.viewport()
    qtbot.mousePress(viewport, LEFT, NO_MOD, at(window, *start))
    for step in range(1, steps + 1):
        x = start[0] + (end[0] - start[0]) * step / steps
        y = start[1] + (end[1] - start[1]) * step / steps
        qtbot.mouseMove(viewport, at(window, x, y))
    qtbot.mouseRelease(viewport, LEFT, NO_MOD, at(window, *end))


def draw_box(qtbot, window: QMainWindow, x0: float, y0: float, x1: float, y1: float) -> None:
    """Box tool, then a drag: one box of the current class."""
    press_key(qtbot, window, "b")
    drag(qtbot, window, (x0, y0), (x1, y1))


def box_corners(annotation: Annotation) -> list[float]:
    return [float(v) for v in annotation.geometry.corners.ravel()]


def close_to(actual: object, expected: object, tolerance: float = 1.5) -> bool:
    """Coordinates equal within ``tolerance`` image pixels (mouse positions are whole
    viewport pixels, so a point maps back to within half a screen pixel)."""
    a, e = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    return a.shape == e.shape and bool(np.all(np.abs(a - e) <= tolerance))


# -- scenarios in a child process ----------------------------------------------------
#
# Gestures that have crashed the app (a segfault would take pytest down with it)
# and the test that kills the app run in a child process: the same window and
# the same helpers, with QTest in place of qtbot.  ``report(...)`` prints one
# JSON line.

CHILD_PRELUDE = """
import json, sys
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from annotator.app import ensure_application, open_window
from tests.ui.helpers import *

qtbot = QTest
app = ensure_application()
window = open_window(sys.argv[1], user="ann")
window.resize(1200, 800)
window.show()
QTest.qWaitForWindowExposed(window)
window.activateWindow()
settle()
window.canvas.fit()
settle()

def report(**values):
    print(json.dumps(values), flush=True)
"""


def child_env(settings: Path) -> dict[str, str]:
    """The environment of a child app: offscreen, the test's own settings folder."""
    import os

    env = dict(os.environ)
    path = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env.update(QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(settings),
               PYTHONPATH=path, PYTHONFAULTHANDLER="1",
               # glibc fills freed memory with a pattern, so a use after free
               # crashes more often than now and then.
               MALLOC_PERTURB_="165")
    return env


def child_command(folder: Path, body: str, close: bool = True) -> list[str]:
    """``python -c PRELUDE+body FOLDER``; with ``close`` the window is closed at the end."""
    import sys
    import textwrap

    script = CHILD_PRELUDE + textwrap.dedent(body)
    if close:
        script += "\nsettle()\nwindow.close()\nsettle()\n"
    return [sys.executable, "-c", script, str(folder)]


def run_child(folder: Path, settings: Path, body: str, timeout: float = 20
              ) -> tuple[int | None, list[dict], str]:
    """Run ``body`` in a child app and wait for it.

    Returns (returncode, reports, stderr); returncode is negative when a signal
    killed the child (-11: segmentation fault) and None when it hung.  A Python
    error in the script itself is a mistake in the test: RuntimeError.
    """
    import json
    import subprocess

    try:
        done = subprocess.run(child_command(folder, body), capture_output=True, text=True,
                              timeout=timeout, env=child_env(settings), cwd=REPO)
    except subprocess.TimeoutExpired:
        return None, [], "hung"
    if done.returncode == 1 and "Traceback (most recent call last)" in done.stderr:
        raise RuntimeError(f"the child script failed:\n{done.stderr[-3000:]}")
    reports = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return done.returncode, reports, done.stderr
