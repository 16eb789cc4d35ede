"""The point-cloud workspace: loading a tile in the background, and the views beside the canvas.

When a point-cloud item opens, the canvas becomes its bird's-eye view (see
:mod:`annotator.ui.cloud_frame`) and the panel on the right shows the tile
in 3D above the top, side and front views of the selected cuboid.  Reading
a tile of tens of millions of points takes seconds, so it happens on a
worker thread with its progress in the status bar; Esc cancels it, and
opening another item abandons it.  The last tiles read stay in memory, so
stepping back and forth between two tiles does not read them again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from annotator.errors import AnnotatorError
from annotator.geometry.mapnet import is_lanelet
from annotator.media.bev import BevRenderer
from annotator.media.pointcloud import Cancelled, PointCloud, read_pointcloud
from annotator.model import Annotation
from annotator.shapes import Cuboid, Point3D, Polygon3D, Polyline3D
from annotator.ui.cuboid_views import CuboidViews
from annotator.ui.pointcloud_view import PointCloudView
from annotator.ui.profile_view import ProfileView

__all__ = ["CloudLoader", "CloudPanel", "LoadedCloud"]

#: Tiles kept in memory after they were read (the open one and its neighbour).
KEEP = 2
COLOUR_MODES = ("height", "intensity", "rgb", "class")


@dataclass(frozen=True)
class LoadedCloud:
    """A tile read from disk, with its bird's-eye renderer."""

    path: str
    cloud: PointCloud
    bev: BevRenderer


class CloudLoader(QObject):
    """Reads point-cloud tiles on one worker thread and hands them to the GUI thread."""

    progress = Signal(str, int, int)           # path, done, total
    loaded = Signal(object)                    # LoadedCloud
    failed = Signal(str, str)                  # path, one-line message

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cloud")
        self._cache: OrderedDict[str, LoadedCloud] = OrderedDict()
        self._wanted: str | None = None
        self._cancel = threading.Event()
        self._future: Future[None] | None = None

    def request(self, path: str | Path) -> None:
        """Load ``path`` (at once from memory if it was read lately); drop any other load."""
        key = str(path)
        self._wanted = key
        self._cancel.set()                     # whatever runs now is no longer wanted
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            self.loaded.emit(cached)
            return
        cancel = threading.Event()
        self._cancel = cancel
        self._future = self._pool.submit(self._read, key, cancel)

    def cancel(self) -> None:
        self._wanted = None
        self._cancel.set()

    def busy(self) -> bool:
        return self._future is not None and not self._future.done()

    def _read(self, path: str, cancel: threading.Event) -> None:
        def progress(done: int, total: int) -> bool:
            self.progress.emit(path, done, total)
            return not cancel.is_set()

        try:
            cloud = read_pointcloud(path, progress)
            if cancel.is_set():
                return
            loaded = LoadedCloud(path, cloud, BevRenderer(cloud))
        except Cancelled:
            return
        except AnnotatorError as exc:
            self.failed.emit(path, str(exc))
            return
        except (OSError, MemoryError) as exc:
            self.failed.emit(path, f"{Path(path).name}: {exc}")
            return
        self._deliver(loaded)

    def _deliver(self, loaded: LoadedCloud) -> None:
        # Emitted from the worker thread: Qt queues it to the GUI thread.
        self._cache[loaded.path] = loaded
        self._cache.move_to_end(loaded.path)
        while len(self._cache) > KEEP:
            self._cache.popitem(last=False)
        if loaded.path == self._wanted:
            self.loaded.emit(loaded)

    def close(self) -> None:
        self.cancel()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._cache.clear()


class CloudPanel(QWidget):
    """Right of the bird's-eye view: the 3D view above the cuboid's three projections."""

    colourModeChanged = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("cloudPanel")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        controls = QHBoxLayout()
        self.mode = QComboBox()
        self.mode.setObjectName("cloudColourMode")
        for mode, text in zip(COLOUR_MODES, (self.tr("Height"), self.tr("Intensity"),
                                             self.tr("RGB"), self.tr("Class")), strict=True):
            self.mode.addItem(text, mode)
        self.mode.setAccessibleName(self.tr("Colour points by"))
        self.point_size = QSpinBox()
        self.point_size.setObjectName("cloudPointSize")
        self.point_size.setRange(1, 10)
        self.point_size.setValue(2)
        self.point_size.setSuffix(" px")
        self.point_size.setAccessibleName(self.tr("Point size"))
        controls.addWidget(QLabel(self.tr("Colour")))
        controls.addWidget(self.mode, 1)
        controls.addWidget(QLabel(self.tr("Size")))
        controls.addWidget(self.point_size)
        layout.addLayout(controls)
        split = QSplitter(Qt.Orientation.Vertical)
        self.view3d = PointCloudView()
        self.cuboids = CuboidViews()
        self.profile = ProfileView()
        self.profile.hide()
        split.addWidget(self.view3d)
        split.addWidget(self.cuboids)
        split.addWidget(self.profile)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout.addWidget(split, 1)
        self.mode.currentIndexChanged.connect(
            lambda _: self.colourModeChanged.emit(str(self.mode.currentData())))
        self.point_size.valueChanged.connect(self.view3d.set_point_size)
        self.colourModeChanged.connect(self.view3d.set_colour_mode)

    def set_cloud(self, cloud: PointCloud | None) -> None:
        self.view3d.set_cloud(cloud)
        self.cuboids.set_cloud(cloud)
        self.profile.set_cloud(cloud)
        self.view3d.set_point_size(self.point_size.value())
        self.view3d.set_colour_mode(str(self.mode.currentData()))

    def show_annotations(self, annotations: list[Annotation], selection: list[int],
                         color_of: Callable[[str], str]) -> None:
        """Cuboids into the 3D view; the first selected cuboid into the projections."""
        cuboids = [(int(a.id or 0), a.geometry, color_of(a.label)) for a in annotations
                   if isinstance(a.geometry, Cuboid)]
        self.view3d.set_cuboids(cuboids)
        self.view3d.set_features([
            (int(a.id or 0), a.geometry.shell if isinstance(a.geometry, Polygon3D)
             else a.geometry.vertices, color_of(a.label), isinstance(a.geometry, Polygon3D))
            for a in annotations if isinstance(a.geometry, Polyline3D | Polygon3D | Point3D)
            and not a.hidden and not is_lanelet(a)])
        self.view3d.set_selection(set(selection))
        line = next((a for a in annotations if a.id in selection and not is_lanelet(a)
                     and isinstance(a.geometry, Polyline3D | Polygon3D)
                     and not isinstance(a.geometry, Point3D)), None)
        if line is not None:
            # a map line selected: its height profile takes the projections' place
            geometry = line.geometry
            vertices = geometry.shell if isinstance(geometry, Polygon3D) else geometry.vertices
            self.profile.show_line(int(line.id or 0), vertices, color_of(line.label),
                                   isinstance(geometry, Polygon3D))
            self.cuboids.hide()
            self.profile.show()
            return
        self.profile.show_line(None, None)
        self.profile.hide()
        self.cuboids.show()
        chosen = next((c for c in cuboids if c[0] in selection), None)
        if chosen is None:
            self.cuboids.show_cuboid(None, None)
        else:
            annotation_id, cuboid, color = chosen
            assert isinstance(cuboid, Cuboid)
            self.cuboids.show_cuboid(annotation_id, cuboid, color)
