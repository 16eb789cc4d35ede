"""Assists in the editor: the Assists menu, the assist key, drafts, accept and reject.

The flow: drag a box (box assists) or click (click assists) with the assist
tool, or select shapes (selection assists such as ``track``), then press
**I**.  The assist runs on a worker thread (the status bar shows its progress;
Esc cancels).  Its proposals appear as dashed, hatched drafts: a click on one
drops it (a second click takes it back), **Enter** accepts the rest as one
undoable edit, **Esc** rejects them all.  **Shift+I** picks the
next assist for the open item's media; **Shift+E** snaps polygon and polyline
vertices to image edges while they are clicked (the ``edge_snap`` assist).

A failing plugin costs a status-bar line, never the app: :func:`annotator.plugins.run`
turns its exception into one line, and this module catches everything else a
worker may raise.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QEvent, QObject, QPointF, QSettings, Qt, QThreadPool
from PySide6.QtGui import QAction, QKeySequence, QMouseEvent
from PySide6.QtWidgets import QMenu, QProgressBar

from annotator.commands import AddAnnotations
from annotator.errors import AnnotatorError, Cancelled
from annotator.model import Annotation, Item
from annotator.plugins import (
    Assist,
    AssistError,
    AssistRequest,
    Prompt,
    Proposal,
    Registry,
    discover,
    snap_point,
)
from annotator.ui.assist_drafts import AssistTool, DraftLayer, PromptItem
from annotator.ui.assist_jobs import AssistJob, ImageCache, Job, JobSignals, Sources, prefetch
from annotator.ui.assist_settings import AssistSettingsDialog, load_settings

if TYPE_CHECKING:
    from annotator.ui.main_window import MainWindow

__all__ = ["EDGE_SNAP", "AssistController"]

#: The assist that edge snapping calls per clicked vertex.
EDGE_SNAP = "edge_snap"
class AssistController(QObject):
    """The Assists menu and the run → drafts → accept/reject cycle of one main window."""

    def __init__(self, window: MainWindow, registry: Registry | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.editor = window.editor
        self.settings: QSettings = window.settings
        self.registry = registry if registry is not None else discover()
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(2)
        self.images = ImageCache()
        self.prompt_item = PromptItem()
        self.draft_layer = DraftLayer()
        self.tool = AssistTool(self.editor, self.prompt_item)
        self.editor.tools["assist"] = self.tool
        self.proposals: list[Proposal] = []
        #: indices of the proposals the user clicked away
        self.dropped: set[int] = set()
        self.proposed_by: Assist | None = None
        self.running: Assist | None = None
        self._token = 0
        self._cancel = threading.Event()
        self._snap_settings: dict[str, Any] | None = None
        self._signals = JobSignals()
        self._signals.progress.connect(self._on_job_progress)
        self._signals.finished.connect(self._on_job_finished)
        self._signals.failed.connect(self._on_job_failed)
        self._signals.cancelled.connect(self._on_job_cancelled)
        self.progress_bar = QProgressBar()
        self.progress_bar.setObjectName("assistProgress")
        self.progress_bar.setRange(0, 100)
        self.progress_bar.setMaximumWidth(160)
        self.progress_bar.setAccessibleName(self.tr("Assist progress"))
        self.progress_bar.hide()
        window.statusBar().addPermanentWidget(self.progress_bar)
        self._build_menu()
        self.editor.itemOpened.connect(self._on_editor_item_opened)
        self.editor.view.viewport().installEventFilter(self)
        self.editor.vertex_snapper = self.snap_vertex
        self._sync()

    # -- menu and actions -------------------------------------------------------------

    def _action(self, name: str, text: str, slot: Callable[[], object],
                keys: tuple[str, ...] = ()) -> QAction:
        action = QAction(text, self.window)
        action.setObjectName(name)
        if keys:
            action.setShortcuts([QKeySequence(k) for k in keys])
            action.setToolTip(f"{text} ({QKeySequence(keys[0]).toString()})")
        action.triggered.connect(lambda *_: slot())
        self.window.addAction(action)
        self.menu.addAction(action)
        return action

    def _build_menu(self) -> None:
        self.menu = QMenu(self.tr("&Assists"), self.window)
        self.menu.setObjectName("menuAssists")
        self.menu.setToolTipsVisible(True)
        self.window.menuBar().addMenu(self.menu)
        self.run_action = self._action("action_assist_run", self.tr("Run assist"),
                                       self.run_assist, ("I",))
        self.next_action = self._action("action_assist_next", self.tr("Next assist"),
                                        self.next_assist, ("Shift+I",))
        self.accept_action = self._action("action_assist_accept", self.tr("Accept proposals"),
                                          self.accept, ("Return", "Enter"))
        self.dismiss_action = self._action(
            "action_assist_dismiss", self.tr("Reject proposals / cancel the assist"),
            self.dismiss, ("Esc",))
        self._action("action_assist_settings", self.tr("Settings of the current assist…"),
                     self.edit_settings)
        self.snap_action = self._action("action_edge_snap",
                                        self.tr("Snap polygon vertices to image edges"),
                                        self._on_snap_toggled, ("Shift+E",))
        self.snap_action.setCheckable(True)
        snapper = next((e for e in self.registry if e.id == EDGE_SNAP), None)
        if snapper is None or snapper.assist is None:
            self.snap_action.setEnabled(False)
            self.snap_action.setToolTip(
                snapper.error if snapper is not None and snapper.error else
                self.tr("Install the edge_snap plugin to snap vertices to edges"))
        else:
            self.snap_action.setChecked(
                str(self.settings.value("assists/edge_snapping", "false")) == "true")
        self.menu.addSeparator()
        self.assist_actions: dict[str, QAction] = {}
        for entry in self.registry:
            if entry.id == EDGE_SNAP:
                continue
            action = QAction(entry.title, self.window)
            action.setObjectName(f"assist_{entry.id}")
            action.setCheckable(True)
            if entry.assist is None:
                action.setEnabled(False)
                action.setToolTip(self.tr("%s cannot be used: %s") % (entry.id, entry.error))
            else:
                media = (self.tr("images") if entry.assist.media == "image"
                         else self.tr("point-cloud tiles"))
                action.setToolTip(self.tr("%s (on %s)") % (entry.assist.title, media))
                action.triggered.connect(lambda *_, i=entry.id: self.choose(i))
            self.menu.addAction(action)
            self.assist_actions[entry.id] = action
        if not self.assist_actions:
            empty = self.menu.addAction(self.tr("No assists installed (see plugins/README.md)"))
            empty.setEnabled(False)

    def _sync(self) -> None:
        """Enable what applies now; tick the current assist of each media."""
        media = self._media()
        current = {m: self.current_assist(m) for m in ("image", "pointcloud")}
        for assist_id, action in self.assist_actions.items():
            assist = self.registry.find(assist_id)
            action.setChecked(assist is not None and current.get(assist.media) is assist)
        self.accept_action.setEnabled(bool(self.proposals))
        self.dismiss_action.setEnabled(bool(self.proposals) or self.running is not None)
        self.run_action.setEnabled(media is not None and current.get(media) is not None)

    def _media(self) -> str | None:
        item = self.editor.item
        return None if item is None else ("pointcloud" if item.kind == "pointcloud" else "image")

    def _usable(self, media: str) -> list[Assist]:
        return [a for a in self.registry.assists(media) if a.id != EDGE_SNAP]

    def current_assist(self, media: str) -> Assist | None:
        usable = self._usable(media)
        wanted = str(self.settings.value(f"assists/current_{media}", "") or "")
        return next((a for a in usable if a.id == wanted), usable[0] if usable else None)

    def choose(self, assist_id: str) -> None:
        assist = self.registry.get(assist_id)
        self.settings.setValue(f"assists/current_{assist.media}", assist.id)
        if self.editor.tool is self.tool:
            self.tool.set_mode(assist.prompt)
        self._sync()
        self.editor.status(self.tr("Assist: %s (I runs it)") % assist.title)

    def next_assist(self) -> None:
        media = self._media()
        usable = self._usable(media) if media else []
        if not usable:
            self.editor.status(self.tr("No assist for this item is installed"))
            return
        current = self.current_assist(str(media))
        index = usable.index(current) if current in usable else -1
        self.choose(usable[(index + 1) % len(usable)].id)

    def edit_settings(self) -> None:
        media = self._media() or "image"
        assist = self.current_assist(media)
        if assist is None:
            self.editor.status(self.tr("No assist for this item is installed"))
            return
        dialog = AssistSettingsDialog(assist, self.settings, self.window)
        dialog.finished.connect(lambda _: setattr(self, "_snap_settings", None))
        dialog.open()

    # -- running ---------------------------------------------------------------------------

    def busy(self) -> bool:
        return self.running is not None

    def run_assist(self) -> None:
        """The assist key: run the current assist on the prompt, or ask for one."""
        item = self.editor.item
        media = self._media()
        if item is None or media is None:
            return
        if self.busy():
            self.editor.status(self.tr("An assist is running (Esc cancels)"))
            return
        if not self.window.tool_actions["box"].isEnabled():
            # Read-only here (the drawing tools are off): say why instead of proposing.
            self.editor.status(self.window.canvas.toolTip())
            return
        if self.proposals:
            self.editor.status(self.tr("Enter accepts the proposals, Esc rejects them"))
            return
        assist = self.current_assist(media)
        if assist is None:
            self.editor.status(self.tr("No assist for this item is installed"))
            return
        prompt = self._prompt(assist)
        if prompt is None:
            return
        try:
            request, sources = self._request(assist, item, prompt)
        except AnnotatorError as exc:
            self.editor.status(str(exc))
            return
        self._start(assist, request, sources)

    def _prompt(self, assist: Assist) -> Prompt | None:
        if assist.prompt in ("box", "click"):
            tool = self.tool
            if self.editor.tool is not tool or tool.mode != assist.prompt or not tool.ready():
                tool.set_mode(assist.prompt)
                if self.editor.tool is not tool:
                    self.editor.set_tool("assist")
                self.editor.status(
                    self.tr("%s: drag a box round the object, then press I") % assist.title
                    if assist.prompt == "box" else
                    self.tr("%s: click the object (Shift+click: background), then press I")
                    % assist.title)
                return None
            frame = self.editor.frame
            if assist.prompt == "box":
                assert tool.box is not None
                corners = np.array([[tool.box.left(), tool.box.top()],
                                    [tool.box.right(), tool.box.bottom()]])
                if frame is not None:
                    corners = frame.world_points(corners)
                (x0, y0), (x1, y1) = corners.tolist()
                return Prompt("box", box=(x0, y0, x1, y1))
            xy, labels = tool.scene_points()
            if frame is not None:
                xy = frame.world_points(xy)
            return Prompt("click", points=xy, labels=labels)
        if assist.prompt == "selection":
            if not self.editor.selection:
                self.editor.status(self.tr("%s: select shapes, then press I") % assist.title)
                return None
            return Prompt("selection")
        return Prompt("none")

    def _request(self, assist: Assist, item: Item, prompt: Prompt
                 ) -> tuple[AssistRequest, Sources]:
        editor, project = self.editor, self.window.project
        if assist.media == "pointcloud" and editor.cloud is None:
            raise AssistError(self.tr("The tile is still loading; try again when it shows"))
        selected = editor.selected()
        chosen = {int(a.id or 0) for a in selected}
        annotations = selected + [a for a in editor.annotations() if int(a.id or 0) not in chosen]
        model = self.window.items.model
        next_item = model.item_at(model.row_of(int(item.id or 0)) + 1)
        source = next_source = None
        if item.kind == "image":
            source = self.window.loader.source(str(project.resolve(item)))
            if prompt.kind == "selection" and next_item is not None and \
                    next_item.kind == "image":
                if not project.media_ready(next_item):
                    # team mode: the GUI never waits for a download; it is on its way
                    project.prefetch([next_item])
                    raise AssistError(self.tr("The next image is still downloading; try "
                                              "again in a moment"))
                next_source = self.window.loader.source(str(project.resolve(next_item)))
        request = AssistRequest(
            item=item, label=editor.current_class, schema=project.schema, prompt=prompt,
            cloud=editor.cloud if item.kind == "pointcloud" else None,
            annotations=tuple(annotations), selected=tuple(editor.selection),
            next_item=next_item, settings=load_settings(self.settings, assist))
        return request, Sources(source, next_source)

    def _start(self, assist: Assist, request: AssistRequest, sources: Sources) -> None:
        self._token += 1
        self._cancel = threading.Event()
        self.running = assist
        job = AssistJob(self._token, assist, request, sources, self.images, self._signals,
                        self._cancel)
        self.progress_bar.setValue(0)
        self.progress_bar.setToolTip(assist.title)
        self.progress_bar.show()
        self.editor.status(self.tr("%s is running… (Esc cancels)") % assist.title)
        self._sync()
        self.pool.start(job)

    def cancel(self) -> None:
        """Stop waiting for the running assist (it is told to stop; its answer is dropped)."""
        if self.running is None:
            return
        self._cancel.set()
        self._token += 1
        title = self.running.title
        self._finish_run()
        self.editor.status(self.tr("%s was cancelled") % title)

    def _finish_run(self) -> None:
        self.running = None
        self.progress_bar.hide()
        self._sync()

    def _on_job_progress(self, token: int, fraction: float) -> None:
        if token == self._token and self.running is not None:
            self.progress_bar.setValue(round(100 * min(max(fraction, 0.0), 1.0)))

    def _on_job_finished(self, token: int, proposals: list[Proposal]) -> None:
        if token != self._token or self.running is None:
            return
        assist = self.running
        self._finish_run()
        self.tool.cancel()
        if not proposals:
            self.editor.status(self.tr("%s proposed nothing here") % assist.title)
            return
        self.proposals, self.proposed_by, self.dropped = list(proposals), assist, set()
        self._show_drafts()
        self._sync()
        elsewhere = sum(p.item_id not in (None, self.editor.item.id if self.editor.item else None)
                        for p in proposals)
        self.editor.status(
            self.tr("%d proposal(s) for the next item: Enter accepts, Esc rejects") % elsewhere
            if elsewhere == len(proposals) else
            self.tr("%d proposal(s): Enter accepts, Esc rejects") % len(proposals))

    def _on_job_failed(self, token: int, message: str) -> None:
        if token != self._token or self.running is None:
            return
        self._finish_run()
        self.window.statusBar().showMessage(self.tr("Assist failed: %s") % message, 15_000)

    def _on_job_cancelled(self, token: int) -> None:
        if token == self._token and self.running is not None:
            title = self.running.title
            self._finish_run()
            self.editor.status(self.tr("%s was cancelled") % title)

    # -- drafts -----------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """A left click on a draft drops it from the proposals (a second click takes it back)."""
        if (self.proposals and event.type() == QEvent.Type.MouseButtonPress
                and isinstance(event, QMouseEvent)
                and event.button() == Qt.MouseButton.LeftButton
                and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier):
            pos = self.editor.view.mapToScene(event.position().toPoint())
            index = self.draft_layer.index_at(pos)
            if index is not None:
                self.dropped ^= {index}
                self.draft_layer.set_dropped(self.dropped)
                kept = len(self.proposals) - len(self.dropped)
                self.editor.status(self.tr("%d of %d proposal(s) kept: Enter accepts them, "
                                           "Esc rejects all") % (kept, len(self.proposals)))
                return True
        return super().eventFilter(watched, event)

    def _annotations(self, kept_only: bool = False) -> list[Annotation]:
        item = self.editor.item
        assert item is not None
        schema, user = self.window.project.schema, self.window.project.user.name
        made = []
        for index, proposal in enumerate(self.proposals):
            if kept_only and index in self.dropped:
                continue
            label_class = schema.get(proposal.label)
            attributes = {**label_class.default_attributes(), **proposal.attributes}
            made.append(Annotation(None, int(proposal.item_id if proposal.item_id is not None
                                             else item.id or 0),
                                   proposal.label, proposal.geometry, attributes, user))
        return made

    def _show_drafts(self) -> None:
        frame = self.editor.frame
        shown = [frame.to_scene(a) if frame is not None else a for a in self._annotations()]
        colours = {c.name: c.color for c in self.window.project.schema.classes}
        if self.draft_layer.scene() is not self.editor.scene:
            self.editor.scene.addItem(self.draft_layer)
        self.draft_layer.set(shown, colours)

    def _clear_drafts(self) -> None:
        self.proposals, self.proposed_by, self.dropped = [], None, set()
        self.draft_layer.set([], {})
        self._sync()

    def accept(self) -> None:
        """Enter: the proposals become shapes, as one undoable edit."""
        item = self.editor.item
        if not self.proposals or item is None:
            return
        annotations = self._annotations(kept_only=True)
        if not annotations:
            self.reject()
            return
        title = self.proposed_by.title if self.proposed_by is not None else "assist"
        self._clear_drafts()
        done = self.editor.push(AddAnnotations(
            annotations, label=f"Accept {len(annotations)} proposal(s) of {title}"))
        if not isinstance(done, AddAnnotations):
            return
        added = done.annotations
        here = [int(a.id or 0) for a in added if a.item_id == item.id]
        elsewhere = [a for a in added if a.item_id != item.id]
        if elsewhere and not here:
            # A tracked selection: go on to the item it landed on, selected for the next I.
            self.window.open_item(elsewhere[0].item_id)
            self.editor.select([int(a.id or 0) for a in elsewhere
                                if a.item_id == elsewhere[0].item_id])
        else:
            self.editor.select(here)
        self.editor.status(self.tr("Accepted %d proposal(s)") % len(added))

    def reject(self) -> None:
        if self.proposals:
            self._clear_drafts()
            self.editor.status(self.tr("Proposals rejected"))

    def dismiss(self) -> None:
        """Esc: cancel a running assist, else reject the drafts."""
        if self.running is not None:
            self.cancel()
        else:
            self.reject()

    def _on_editor_item_opened(self, _item_id: int) -> None:
        if self.running is not None:
            self.cancel()
        self.proposals, self.proposed_by, self.dropped = [], None, set()
        self.draft_layer.set([], {})
        self._sync()
        if self.snap_action.isChecked():
            self._prefetch_image()

    # -- edge snapping ----------------------------------------------------------------------

    def _on_snap_toggled(self) -> None:
        on = self.snap_action.isChecked()
        self.settings.setValue("assists/edge_snapping", "true" if on else "false")
        self.editor.status(self.tr("Edge snapping on: polygon and polyline vertices move to "
                                   "strong edges near the click") if on else
                           self.tr("Edge snapping off"))
        if on:
            self._prefetch_image()

    def _prefetch_image(self) -> None:
        item = self.editor.item
        if item is None or item.kind != "image":
            return
        try:
            source = self.window.loader.source(str(self.window.project.resolve(item)))
        except AnnotatorError:
            return
        self.pool.start(Job(partial(prefetch, self.images, source)))

    def snap_vertex(self, pos: QPointF) -> QPointF:
        """A clicked polygon/polyline vertex, moved onto a strong image edge near it."""
        item = self.editor.item
        assist = self.registry.find(EDGE_SNAP)
        if (assist is None or not self.snap_action.isChecked() or item is None
                or item.kind != "image"):
            return pos
        image = self.images.peek(str(self.window.project.media_path(item)))
        if image is None:
            self._prefetch_image()
            self.editor.status(self.tr("Edge snapping: still reading the image"))
            return pos
        if self._snap_settings is None:
            self._snap_settings = load_settings(self.settings, assist)
        request = AssistRequest(item=item, label=self.editor.current_class,
                                schema=self.window.project.schema,
                                prompt=Prompt("click", points=np.array([[pos.x(), pos.y()]])),
                                image=image, settings=self._snap_settings)
        try:
            snapped = snap_point(assist, request)
        except (AnnotatorError, Cancelled) as exc:
            self.editor.status(str(exc))
            return pos
        return pos if snapped is None else QPointF(float(snapped[0]), float(snapped[1]))

    def shutdown(self) -> None:
        """The window closes: tell a running assist to stop and wait a little for it."""
        self._cancel.set()
        self.pool.waitForDone(5_000)
