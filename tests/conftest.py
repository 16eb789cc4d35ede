"""Fixtures shared by every test layer: small real projects on disk."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from PIL import Image

from annotator.model import AttributeSpec, LabelClass, LabelSchema
from annotator.project import Project

# Tests never wait five seconds for a lock held by another test's process.
os.environ.setdefault("ANNOTATOR_LOCK_TIMEOUT_MS", "300")
# Team-mode media fetched by tests lands in a throwaway cache, not ~/.cache.
if "ANNOTATOR_CACHE_DIR" not in os.environ:
    os.environ["ANNOTATOR_CACHE_DIR"] = tempfile.mkdtemp(prefix="annotator-test-cache-")
    atexit.register(shutil.rmtree, os.environ["ANNOTATOR_CACHE_DIR"], True)
# and the offline working copies of team projects opened in the app, not ~/.local/share
if "ANNOTATOR_DATA_DIR" not in os.environ:
    os.environ["ANNOTATOR_DATA_DIR"] = tempfile.mkdtemp(prefix="annotator-test-data-")
    atexit.register(shutil.rmtree, os.environ["ANNOTATOR_DATA_DIR"], True)

REPO = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def schema() -> LabelSchema:
    return LabelSchema(
        "test",
        (
            LabelClass("car", "#e69f00", ("box", "polygon", "rotated_box", "cuboid"),
                       (AttributeSpec("occluded", "bool", default=False),)),
            LabelClass("truck", "#56b4e9", ("box", "polygon")),
            LabelClass("lane_line", "#d55e00", ("polyline", "polyline3d")),
            LabelClass("sign", "#f0e442", ("point",)),
        ),
    )


def make_images(folder: Path, count: int, size: tuple[int, int] = (64, 48)) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        path = folder / f"img_{index:04d}.png"
        Image.new("RGB", size, (index * 37 % 256, 90, 160)).save(path)
        paths.append(path)
    return paths


@pytest.fixture
def project(tmp_path: Path, schema: LabelSchema) -> Project:
    """A project led by 'lead' with 3 images inside its folder, none batched."""
    folder = tmp_path / "proj"
    created = Project.create(folder, schema, user="lead")
    created.import_media(make_images(folder / "media", 3))
    yield created
    created.close()
