"""A 40,000 x 40,000 image opens in the window and pans with bounded memory."""

from __future__ import annotations

import resource
from pathlib import Path

from PySide6.QtWidgets import QApplication

from annotator.app import open_window
from annotator.project import Project
from annotator.schema import load_schema
from tests.media.test_pyramid import write_huge

REPO = Path(__file__).resolve().parents[2]


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _settle(window) -> None:
    app = QApplication.instance()
    for _ in range(100):
        app.processEvents()
        window.canvas.viewport().repaint()
        if window.loader.idle() and not window.canvas.canvas_scene.image_missing():
            return
        window.loader.wait(50)
    raise AssertionError("tiles never arrived")


def test_huge_image_opens_and_pans_in_little_memory(qtbot, tmp_path: Path,
                                                    settings_dir: Path) -> None:
    folder = tmp_path / "big"
    image = folder / "media" / "huge.tif"
    image.parent.mkdir(parents=True)
    write_huge(image, markers={(39, 39): (250, 0, 0), (50, 39): (0, 250, 0)})
    with Project.create(folder, load_schema(REPO / "sample_data" / "schema.yaml"), "lead") as p:
        p.import_media([image])
    before = _peak_rss()
    window = open_window(folder, user="lead")
    qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show()
    qtbot.waitExposed(window)
    window.open_item(1)
    _settle(window)
    layer = window.canvas.canvas_scene.image
    assert (layer.source.width, layer.source.height) == (40_000, 40_000)
    assert window.canvas.scale_factor == 1.0  # no overviews: opened at 1:1 on the centre
    # The centre of the view shows the marker tile at (39, 39) in its real colour.
    shot = window.canvas.viewport().grab().toImage()
    centre = shot.pixelColor(shot.width() // 2 + 100, shot.height() // 2 + 100)
    assert (centre.red(), centre.green(), centre.blue()) == (250, 0, 0)
    # Pan right by 11 tiles with the scroll bar, as a drag would: the next marker shows.
    bar = window.canvas.horizontalScrollBar()
    bar.setValue(bar.value() + 11 * 512)
    _settle(window)
    shot = window.canvas.viewport().grab().toImage()
    centre = shot.pixelColor(shot.width() // 2 + 100, shot.height() // 2 + 100)
    assert (centre.red(), centre.green(), centre.blue()) == (0, 250, 0)
    growth = _peak_rss() - before
    decoded = 40_000 * 40_000 * 4
    assert growth < decoded / 4
    assert growth < 400 * 2**20, growth
    assert window.loader.cache.used < 64 * 2**20
    window.close()
    window.project.close()
