"""The app under stress: killed mid-session, a broken image, another language."""

from __future__ import annotations

import hashlib
import io
import queue
import signal
import sqlite3
import subprocess
import threading
import time
import unicodedata
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QAction, QColor, QFont, QImage, QPainter

from annotator.errors import MediaError
from annotator.model import Item
from annotator.project import Project
from annotator.schema import load_schema
from annotator.store import DB_FILE
from annotator.ui.i18n import TRANSLATIONS
from tests.conftest import make_images
from tests.ui.helpers import (
    REPO,
    SCHEMA,
    box_corners,
    child_command,
    child_env,
    close_to,
    draw_box,
    press_key,
    shapes,
)

# -- killed with SIGKILL -----------------------------------------------------------------

DRAW_THREE = """
press_key(qtbot, window, "b")
for n in range(3):
    x = 20 + 120 * n
    drag(qtbot, window, (x, 40), (x + 80, 120))
    print(f"drawn {len(shapes(window))}", flush=True)
app.exec()  # running and idle, as a person would leave it
"""


def _lines(stream) -> queue.Queue:
    lines: queue.Queue = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line.strip())

    threading.Thread(target=pump, daemon=True).start()
    return lines


def test_sigkill_loses_nothing_that_was_drawn(setup, settings_dir):
    child = subprocess.Popen(child_command(setup.folder, DRAW_THREE, close=False),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=child_env(settings_dir), cwd=REPO)
    try:
        lines, seen, deadline = _lines(child.stdout), [], time.monotonic() + 60
        while "drawn 3" not in seen:
            try:
                seen.append(lines.get(timeout=max(0.1, deadline - time.monotonic())))
            except queue.Empty:
                pytest.fail(f"the app never drew 3 boxes: {seen} {child.poll()}")
        assert seen[-3:] == ["drawn 1", "drawn 2", "drawn 3"]
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL

    connection = sqlite3.connect(setup.folder / DB_FILE)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        connection.close()
    with Project.open(setup.folder, "ann") as reopened:
        boxes = reopened.store.annotations_for_item(setup.batch_items[0])
        assert [a.kind for a in boxes] == ["box", "box", "box"]
        for n, box in enumerate(boxes):
            assert close_to(box_corners(box), [20 + 120 * n, 40, 100 + 120 * n, 120])
        assert reopened.stack.undo_label() == "Add box"  # the undo history survived too


# -- an image that cannot be read ----------------------------------------------------------


def _truncated_jpeg(path: Path, size: tuple[int, int]) -> bytes:
    image = Image.effect_noise(size, 60).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    data = buffer.getvalue()[: len(buffer.getvalue()) // 2]  # no end-of-image marker
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data


@pytest.fixture
def broken_setup(tmp_path: Path, settings_dir: Path) -> tuple[Path, list[int]]:
    """A started batch of 4 items for 'ann': good, truncated JPEG, good, good."""
    folder = tmp_path / "proj"
    lead = Project.create(folder, load_schema(SCHEMA), user="lead")
    try:
        good = make_images(folder / "media", 3, (320, 240))
        ids = lead.import_media(good[:1]).added
        bad = folder / "media" / "broken.jpg"
        data = _truncated_jpeg(bad, (320, 240))
        with pytest.raises(MediaError, match="truncated"):
            lead.import_media([bad])
        # import_media reads every file and refuses a corrupt one, so the
        # broken item is registered directly, as the store would hold an image
        # that went bad after its import (a network drive, a disk error).
        ids += lead.store.add_items([Item(
            id=None, path="media/broken.jpg", kind="image", format="jpeg",
            sha256=hashlib.sha256(data).hexdigest(), size_bytes=len(data),
            width=320, height=240, encoding="RGB")])
        ids += lead.import_media(good[1:]).added
        lead.create_batch("b1", ids)
        lead.batch_action("b1", "assign", assignee="ann")
    finally:
        lead.close()
    with Project.open(folder, "ann") as ann:
        ann.batch_action("b1", "start")
    return folder, ids


def test_a_broken_image_shows_a_message_and_the_next_item_works(broken_setup, open_ui,
                                                                 qtbot):
    folder, ids = broken_setup
    window = open_ui(folder)
    assert window.item.id == ids[0]

    press_key(qtbot, window, "d")  # onto the broken image
    assert window.item.id == ids[1]
    message = window.statusBar().currentMessage()
    assert "broken.jpg" in message or "cannot" in message.lower()
    assert window.isVisible()

    press_key(qtbot, window, "d")  # and on to a good one, where drawing works
    assert window.item.id == ids[2]
    draw_box(qtbot, window, 30, 30, 130, 100)
    (box,) = shapes(window)
    assert close_to(box_corners(box), [30, 30, 130, 100])

    press_key(qtbot, window, "a")  # back again: still only a message
    assert window.item.id == ids[1]
    assert "broken.jpg" in window.statusBar().currentMessage()


# -- Japanese ------------------------------------------------------------------------------

JA_CATALOGUE = TRANSLATIONS / "annotator_ja.qm"
# A private-use code point no font here draws: Qt paints the "missing glyph" box.
# (Not U+E0FFF: that range is default-ignorable and is drawn as nothing at all.)
NO_GLYPH = "\U0010FFFD"


def _japanese(char: str) -> bool:
    name = unicodedata.name(char, "")
    return name.startswith(("CJK UNIFIED", "HIRAGANA", "KATAKANA"))


def _render(text: str, font: QFont) -> QImage:
    image = QImage(96, 48, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    painter.setFont(font)
    painter.setPen(QColor("black"))
    painter.drawText(QRect(0, 0, 96, 48), Qt.AlignmentFlag.AlignCenter, text)
    painter.end()
    return image


def _ink(image: QImage) -> int:
    white = QColor("white").rgb()
    return sum(image.pixel(x, y) != white
               for y in range(image.height()) for x in range(image.width()))


@pytest.mark.skipif(not JA_CATALOGUE.exists(), reason=f"{JA_CATALOGUE.name} not built yet")
def test_japanese_interface_renders_japanese_glyphs(setup, open_ui, tmp_path):
    window = open_ui(setup.folder, language="ja")
    text = window.findChild(QAction, "tool_box").text()
    assert text != "Box"
    japanese = sorted({c for c in text if _japanese(c)})
    assert japanese, f"{text!r} has no Japanese characters"

    font = window.font()
    missing = _render(NO_GLYPH, font)
    assert _ink(missing) > 0  # the missing-glyph box is visible, so "differs" means something
    for char in japanese:
        drawn = _render(char, font)
        assert _ink(drawn) > 20, f"{char!r} left no ink"
        assert drawn != missing, f"{char!r} is drawn as the missing glyph"

    shot = tmp_path / "japanese.png"
    assert window.grab().save(str(shot))
    assert shot.stat().st_size > 0
    grabbed = QImage(str(shot))
    assert not grabbed.isNull() and grabbed.width() >= 1000
