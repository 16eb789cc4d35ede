"""An export reports its progress and stops cleanly when the user cancels it."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.commands import AddAnnotations
from annotator.errors import Cancelled
from annotator.exchange import export
from annotator.model import Annotation
from annotator.project import Project
from annotator.schema import load_schema
from annotator.shapes import Box
from tests.conftest import make_images

SCHEMA = Path(__file__).resolve().parents[2] / "sample_data" / "schema.yaml"


@pytest.fixture
def project(tmp_path: Path):
    folder = tmp_path / "p"
    with Project.create(folder, load_schema(SCHEMA), user="lead") as lead:
        ids = lead.import_media(make_images(folder / "media", 6, (64, 48))).added
        lead.stack.push(AddAnnotations([Annotation(None, i, "car", Box.from_corners(5, 5, 30, 30))
                                        for i in ids]))
    with Project.open(folder, "lead") as opened:
        yield opened


def test_progress_runs_over_both_passes(project: Project, tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    delivery = export(project, "coco", tmp_path / "out",
                      progress=lambda done, total: seen.append((done, total)))
    assert (tmp_path / "out" / "manifest.json").is_file()
    done = [d for d, _ in seen]
    assert done == list(range(1, len(seen) + 1))            # one step per item read
    assert seen[-1][0] == seen[-1][1] and seen[-1][1] % 6 == 0  # ends full, whole passes
    assert all(d <= t for d, t in seen)
    assert sum(delivery.report.written.values()) == 6


def test_cancel_leaves_no_folder_and_no_partial(project: Project, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(Cancelled, match="cancelled"):
        export(project, "coco", out, progress=lambda done, total: done < 8)  # in the write pass
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []
    # and a later export works as usual
    export(project, "coco", out)
    assert (out / "manifest.json").is_file()
