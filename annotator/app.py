"""Wiring: opens a project and builds the window around it.

``open_window`` is the stable entry point for tests and scripts; ``run_gui``
is what ``annotator gui`` and ``annotator demo`` call; ``screenshot`` renders
the window offscreen for the README and for checks by eye.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from annotator.errors import OfflineError
from annotator.project import Project
from annotator.store import is_team_url

__all__ = ["ensure_application", "open_window", "run_gui", "screenshot"]


def ensure_application() -> object:
    """The QApplication, created if needed (offscreen when there is no display)."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        if sys.platform.startswith("linux") and not (
                os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QApplication(sys.argv[:1])
        app.setApplicationName("Annotator")
        app.setOrganizationName("Annotator")
    return app


def open_window(project: Project | str | os.PathLike[str], user: str | None = None,
                language: str | None = None) -> object:
    """Build the main window for ``project`` (a Project or a folder); it is not shown yet."""
    ensure_application()
    from annotator.ui.i18n import install_language, preferred_language
    from annotator.ui.main_window import MainWindow

    install_language(language or preferred_language())
    opened = project if isinstance(project, Project) else _open(str(project), user)
    window = MainWindow(opened)
    window.languageRequested.connect(lambda lang: _switch_language(window, lang))
    return window


def _open(location: str, user: str | None) -> Project:
    """Open a project; a team project whose server is away opens from the offline copy."""
    try:
        return Project.open(location, user)
    except OfflineError:
        if not is_team_url(location):
            raise
        return Project.open_offline(location, user)


def _switch_language(window: object, language: str) -> None:
    """Rebuild the window in another language; the place and selection come back."""
    from PySide6.QtCore import QSettings

    from annotator.ui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    QSettings("Annotator", "Annotator").setValue("language", language)
    project = window.project
    window.hide()
    window.close()
    fresh = open_window(project, language=language)
    fresh.show()  # type: ignore[attr-defined]
    _windows.append(fresh)


_windows: list[object] = []


def run_gui(location: str | os.PathLike[str], user: str | None = None) -> int:
    """Open the app on a project and run until the window closes."""
    app = ensure_application()
    window = open_window(location, user)
    window.show()  # type: ignore[attr-defined]
    _windows.append(window)
    return int(app.exec())  # type: ignore[attr-defined]


def screenshot(location: str | os.PathLike[str], out: Path, item: int | None = None,
               size: tuple[int, int] = (1600, 1000), user: str | None = None,
               language: str | None = None, select: list[int] | None = None) -> Path:
    """Render the window offscreen on ``item`` and save a PNG."""
    app = ensure_application()
    window = open_window(location, user, language)
    window.resize(*size)  # type: ignore[attr-defined]
    window.show()  # type: ignore[attr-defined]
    if item is not None:
        window.open_item(item)  # type: ignore[attr-defined]
    for _ in range(3):
        app.processEvents()  # type: ignore[attr-defined]
    window.canvas.fit()  # type: ignore[attr-defined]
    if select:
        window.editor.select(select)  # type: ignore[attr-defined]
    for _ in range(50):
        app.processEvents()  # type: ignore[attr-defined]
        window.loader.wait(200)  # type: ignore[attr-defined]
        app.processEvents()  # type: ignore[attr-defined]
        if window.loader.idle() and not window.canvas.canvas_scene.image_missing():  # type: ignore[attr-defined]
            break
    image = window.grab()  # type: ignore[attr-defined]
    out.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(out)):
        from annotator.errors import AnnotatorError

        raise AnnotatorError(f"{out}: cannot write the screenshot")
    window.close()  # type: ignore[attr-defined]
    return out
