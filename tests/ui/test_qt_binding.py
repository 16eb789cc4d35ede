"""The installed Qt binding keeps Python's reference counts straight.

PySide6 6.12.0 drops a reference to None on every call of a method that
returns nothing; on Python 3.11 (None is not yet immortal) a few thousand
paints then abort the process ("deallocating None").  pyproject.toml keeps
that release out; this test fails if such a binding slips back in.
"""

from __future__ import annotations

import sys

from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QLabel


def test_void_calls_keep_none_alive(qapp) -> None:
    label = QLabel()
    image = QImage(8, 8, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    pen = QPen(QColor("red"))
    before = sys.getrefcount(None)
    for _ in range(200):
        label.setText("x")
        painter.setPen(pen)
    painter.end()
    assert sys.getrefcount(None) - before > -50
