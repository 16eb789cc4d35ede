"""GUI fixtures: the real main window on a real project on disk, offscreen.

Qt reads ``QT_QPA_PLATFORM`` when the QApplication is made and the settings
location when the first QSettings is made, so both are set here, before this
module (or any test module) touches Qt.  Every test then points QSettings at
its own fresh folder, so the item and selection one test leaves open are
never restored in the next.
"""

from __future__ import annotations

import os
import tempfile

os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="annotator-ui-config-")
# English unless a test asks for a language: with no saved choice the app
# follows the system locale (annotator.ui.i18n.preferred_language).
os.environ["LC_ALL"] = "C.UTF-8"

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMainWindow

from annotator.app import open_window
from tests.ui.helpers import Setup, build_project, close_window, show


@pytest.fixture
def settings_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh, empty QSettings location for this test and the processes it starts."""
    config = tmp_path / "config"
    config.mkdir()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(config))
    assert QSettings("Annotator", "Annotator").allKeys() == []
    return config


@pytest.fixture
def setup(tmp_path: Path, settings_dir: Path) -> Setup:
    return build_project(tmp_path)


@pytest.fixture
def open_ui(qtbot, settings_dir: Path) -> Iterator[Callable[..., QMainWindow]]:
    """``open_ui(folder, **kwargs)``: ``open_window(folder, user="ann", **kwargs)``,
    shown, 1200 x 800 and fitted; closed (and its project) after the test."""
    opened: list[QMainWindow] = []

    def make(folder: Path, **kwargs: object) -> QMainWindow:
        kwargs.setdefault("user", "ann")
        window = show(qtbot, open_window(folder, **kwargs))
        opened.append(window)
        return window

    yield make
    for window in opened:
        close_window(window)


@pytest.fixture
def window(open_ui: Callable[..., QMainWindow], setup: Setup) -> QMainWindow:
    """The main window as 'ann' on the first item of her batch."""
    return open_ui(setup.folder)
