"""The demo project: sample_data turned into a ready-to-annotate project.

``annotator demo`` copies the sample media into a project folder in the
user's data folder, registers them, cuts one image batch assigned to the
current user (started, so they can draw at once) and one point-cloud batch,
and adds a few example shapes so the first screen is not empty.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import numpy as np

from annotator.commands import AddAnnotations
from annotator.errors import ProjectError
from annotator.model import Annotation, Box, Point, Polygon, Polyline, Role
from annotator.project import Project, current_user_name
from annotator.schema import load_schema
from annotator.store import DB_FILE

__all__ = ["build_demo", "demo_folder", "sample_data_folder"]


def sample_data_folder() -> Path:
    """``sample_data/`` of the source checkout this package runs from."""
    override = os.environ.get("ANNOTATOR_SAMPLE_DATA")
    folder = Path(override) if override else Path(__file__).resolve().parent.parent / "sample_data"
    if not (folder / "schema.yaml").is_file():
        raise ProjectError(f"{folder}: sample data not found; run from a source checkout "
                           "(pip install -e .) or set ANNOTATOR_SAMPLE_DATA")
    return folder


def demo_folder() -> Path:
    """Where the demo project lives: the platform's per-user data folder."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "annotator" / "demo"


def _examples(item_id: int, width: int, height: int, author: str) -> list[Annotation]:
    """Shapes on the objects of road_000.jpg, in fractions of its size (seed 2024)."""
    size = np.array([width, height], dtype=np.float64)

    def box(x0: float, y0: float, x1: float, y1: float) -> Box:
        return Box.from_corners(x0 * width, y0 * height, x1 * width, y1 * height)

    lane = Polyline(np.array([[0.123, 1.0], [0.327, 0.718]]) * size)
    crosswalk = Polygon(np.array([[0.333, 0.514], [0.72, 0.514], [0.72, 0.54],
                                  [0.333, 0.54]]) * size)
    return [
        Annotation(None, item_id, "car", box(0.479, 0.445, 0.538, 0.534),
                   {"occluded": False, "truncated": False, "body_color": "red"}, author),
        Annotation(None, item_id, "car", box(0.666, 0.445, 0.762, 0.534),
                   {"occluded": False, "truncated": False, "body_color": "black"}, author),
        Annotation(None, item_id, "pedestrian", box(0.564, 0.436, 0.597, 0.532),
                   {"occluded": True, "pose": "standing"}, author),
        Annotation(None, item_id, "lane_line", lane, {"line_type": "dashed"}, author),
        Annotation(None, item_id, "road_marking", crosswalk, {"marking": "crosswalk"}, author),
        Annotation(None, item_id, "traffic_sign", Point.at(0.288 * width, 0.342 * height),
                   {"sign_type": "other"}, author),
    ]


def build_demo(folder: Path, user: str | None = None, fresh: bool = False) -> tuple[Path, bool]:
    """Build the demo project in ``folder``; returns (folder, whether it was built now)."""
    if (folder / DB_FILE).exists() and not fresh:
        return folder, False
    source = sample_data_folder()
    if folder.exists():
        if not (folder / DB_FILE).exists() and any(folder.iterdir()):
            raise ProjectError(f"{folder}: exists and is not a demo project; not touching it")
        shutil.rmtree(folder)
    name = current_user_name(user)
    schema = load_schema(source / "schema.yaml")
    media = folder / "media"
    images = sorted((source / "images").glob("*.jpg"))
    clouds = sorted(p for p in (source / "pointclouds").glob("*") if p.suffix in (".las", ".laz"))
    try:
        media.mkdir(parents=True)
        for path in [*images, *clouds]:
            shutil.copy2(path, media / path.name)
        with Project.create(folder, schema, name) as project:
            # Two more people, so the review loop can be tried by three: the lead
            # (who built the demo) assigns a batch to aiko with ren reviewing, then
            # `annotator --user aiko FOLDER` and `annotator --user ren FOLDER`.
            for person, role in (("aiko", Role.ANNOTATOR), ("ren", Role.REVIEWER)):
                if person != name:
                    project.set_role(person, role)
            project.import_media([media / p.name for p in images])
            image_ids = project.unbatched_item_ids()
            project.import_media([media / p.name for p in clouds])
            cloud_ids = [i for i in project.unbatched_item_ids() if i not in image_ids]
            images_batch = project.create_batch("demo-images", image_ids, "demo")
            project.batch_action(images_batch.id or 0, "assign", assignee=name)
            project.batch_action(images_batch.id or 0, "start")
            if cloud_ids:
                clouds_batch = project.create_batch("demo-pointclouds", cloud_ids, "demo")
                project.batch_action(clouds_batch.id or 0, "assign", assignee=name)
            road = next((it for it in project.store.list_items(limit=len(image_ids))
                         if Path(it.path).name == "road_000.jpg"), None)
            if road is not None and road.width and road.height:
                project.stack.push(AddAnnotations(
                    _examples(road.id or 0, road.width, road.height, name), "Demo examples"))
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder, True
