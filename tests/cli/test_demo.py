"""``annotator demo`` builds a usable project from sample_data; screenshot renders it."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image


def test_demo_builds_a_project_ready_to_annotate(run, tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    result = run("demo", "--folder", str(folder), "--no-open", user="ann")
    assert result.returncode == 0, result.stderr
    stats = json.loads(run("stats", str(folder), "--json", user="ann").stdout)
    assert stats["items_by_kind"] == {"image": 8, "pointcloud": 1}
    assert stats["annotations"] >= 4
    batches = json.loads(run("batch", "list", str(folder), "--json", user="ann").stdout)
    images = next(b for b in batches if b["name"] == "demo-images")
    assert (images["assignee"], images["state"], images["items"]) == ("ann", "in_progress", 8)
    # media were copied in, so the project folder is self-contained and relative
    assert (folder / "media" / "road_000.jpg").is_file()
    # a second call keeps the existing project (the user's work) untouched
    again = run("demo", "--folder", str(folder), "--no-open", user="ann")
    assert "already there" in again.stdout
    tile = run("inspect", str(folder / "media" / "road_tile_000.laz"), "--json", user="ann")
    assert json.loads(tile.stdout)["crs"] == "EPSG:6677"


def test_screenshot_renders_the_window(run, tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "demo"
    assert run("demo", "--folder", str(folder), "--no-open", user="ann").returncode == 0
    out = tmp_path / "shot.png"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # fresh QSettings
    result = run("screenshot", str(folder), "--item", "5", "--out", str(out),
                 "--size", "900x600", user="ann")
    assert result.returncode == 0, result.stderr
    with Image.open(out) as shot:
        assert shot.size == (900, 600)
        # the canvas shows the photo: many distinct colours, not a blank window
        assert len(shot.convert("RGB").getcolors(maxcolors=1_000_000) or []) > 1000
