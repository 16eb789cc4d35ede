"""A batch's history in one read-only table: every transition and every review comment.

Nothing here can be edited: the store keeps history append-only, and this
view only reads it.  Rows are in time order, so a lead can follow a batch
from creation through each submission, rejection and acceptance.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from annotator.project import Project

__all__ = ["HistoryDialog", "history_rows"]


def history_rows(project: Project, batch_id: int) -> list[tuple[str, str, str, str]]:
    """(when, who, what, detail) for every transition and comment of a batch, in time order.

    A resolved comment gives a second row at the time it was resolved.
    """
    rows: list[tuple[str, str, str, str]] = []
    for entry in project.store.batch_history(batch_id):
        before = entry.from_state.value if entry.from_state is not None else "—"
        detail = f"{before} → {entry.to_state.value}"
        if entry.comment:
            detail += f": {entry.comment}"
        rows.append((entry.at, entry.user, entry.action, detail))
    for comment in project.comments(batch_id):
        where = (f"shape #{comment.annotation_id}" if comment.annotation_id
                 else "a spot" if comment.position else "the item")
        rows.append((comment.created_at, comment.author, "comment",
                     f"item {comment.item_id}, {where}: {comment.text}"))
        if comment.resolved and comment.resolved_at:
            rows.append((comment.resolved_at, comment.resolved_by or "", "resolve",
                         f"comment #{comment.id}: {comment.text}"))
    rows.sort(key=lambda row: row[0])
    return rows


class HistoryDialog(QDialog):
    """The history of one batch (objectName ``batchHistory``)."""

    def __init__(self, project: Project, batch_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("batchHistory")
        batch = project.store.get_batch(batch_id)
        self.setWindowTitle(self.tr("History of batch %s") % batch.name)
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("batchHistoryTable")
        self.table.setHorizontalHeaderLabels([self.tr("When"), self.tr("Who"), self.tr("What"),
                                              self.tr("Detail")])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(
            3, QHeaderView.ResizeMode.Stretch)
        rows = history_rows(project, batch_id)
        self.table.setRowCount(len(rows))
        for row, values in enumerate(rows):
            for column, value in enumerate(values):
                self.table.setItem(row, column, QTableWidgetItem(value))
        self.table.resizeColumnsToContents()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(860, 420)
