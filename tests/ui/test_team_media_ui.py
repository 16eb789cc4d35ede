"""Team mode in the window: an item whose file is only in the database opens
without the GUI thread waiting for the download, and the next items of the
list are fetched in the background meanwhile."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from annotator.app import open_window
from annotator.model import Item
from annotator.project import Project
from annotator.schema import load_schema
from tests.conftest import make_images
from tests.core.conftest import PgServer, pg_server  # noqa: F401 (the server fixture)
from tests.ui.helpers import SCHEMA, close_window, settle, show


@pytest.fixture
def team_url(pg_server: PgServer, tmp_path: Path,  # noqa: F811 (the imported fixture)
             monkeypatch: pytest.MonkeyPatch) -> tuple[str, list[int]]:
    """8 images uploaded by the lead; the media root on this machine then lacks them."""
    root = tmp_path / "root"
    monkeypatch.setenv("ANNOTATOR_MEDIA_ROOT", str(root))
    monkeypatch.setenv("ANNOTATOR_CACHE_DIR", str(tmp_path / "cache"))
    root.mkdir()
    url = pg_server.url(pg_server.new_database())
    with Project.create(url, load_schema(SCHEMA), user="lead") as lead:
        ids = lead.import_media(make_images(root / "media", 8, (320, 240))).added
    shutil.move(str(root / "media"), tmp_path / "elsewhere")
    return url, ids


def _item(window: object, item_id: int) -> Item:
    return window.project.store.get_item(item_id)  # type: ignore[attr-defined, no-any-return]


def test_an_item_downloads_off_the_gui_thread_then_opens(qtbot, settings_dir: Path,
                                                         team_url: tuple[str, list[int]]
                                                         ) -> None:
    url, ids = team_url
    window = show(qtbot, open_window(url, user="lead"))
    try:
        project = window.project
        last = _item(window, ids[-1])
        assert not project.media_ready(last)
        before = window.item
        window.open_item(ids[-1])
        # nothing waited: the old item is still open and the status bar says why
        assert window.item is before
        assert window.statusBar().currentMessage() == "Downloading img_0007.png…"
        qtbot.waitUntil(lambda: window.item is not None and window.item.id == ids[-1],
                        timeout=20_000)
        assert project.media_ready(last)
        assert window.editor.item.id == ids[-1]
        assert (window.editor.scene.sceneRect().width(),
                window.editor.scene.sceneRect().height()) == (320, 240)

        window.open_item(ids[0])
        qtbot.waitUntil(lambda: window.item.id == ids[0], timeout=20_000)
        media = project.team_media
        assert media is not None and media.wait_idle(20)
        settle()
        # the next five of the list came into the cache in the background
        assert all(project.media_ready(_item(window, i)) for i in ids[1:6])
        assert media.prefetch_errors == 0
    finally:
        close_window(window)
