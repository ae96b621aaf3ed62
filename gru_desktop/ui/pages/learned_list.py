"""*What I learned* on the Autocomplete page (`learnedTab`, design §17): the words and phrases learned from the
user's typing, most recently seen first, with *Forget*, *Forget all* and *Pause learning*.

The rows are read from the database in a worker (`read_learned`, through `read_job`); this tab only shows them
and says which key is selected. What the buttons do is the `LearningPanel`'s (learning_panel.py).
"""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

LIST_LIMIT = 2000  # rows the list shows (the most recently seen)

_ROOT = QModelIndex()
Row = tuple[tuple[str, ...], str, int, float]  # (key, text, times seen, last seen as a Unix time)


class LearnedModel(QAbstractTableModel):
    HEADERS = ("Word or phrase", "Times seen", "Last seen")

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[Row] = []

    def set_rows(self, rows: list[Row]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent=_ROOT):
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=_ROOT):
        return 0 if parent.isValid() else 3

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or role != Qt.ItemDataRole.DisplayRole:
            return None
        _, text, seen, last = self.rows[index.row()]
        return (text, seen, datetime.fromtimestamp(last).strftime("%Y-%m-%d %H:%M"))[index.column()]


def read_learned(db) -> list[Row]:
    """The most recently seen learned rows, as the list shows them (a worker's read)."""
    try:
        raw = db.execute("SELECT ngram, seen, last_seen FROM personal_ngrams ORDER BY last_seen DESC LIMIT ?",
                         [LIST_LIMIT * 2]).fetchall()
    except sqlite3.DatabaseError:  # no table yet (a read-only folder never migrated), or damaged: the load says so
        return []
    out = []
    for ngram, seen, last in raw:
        try:
            key = tuple(json.loads(ngram))
        except ValueError:
            continue
        if key and key[0] == "<bos>" and len(key) == 2:
            continue  # "(start) word" repeats the word itself
        out.append((key, " ".join("(sentence start)" if w == "<bos>" else w for w in key), seen, last))
    return out[:LIST_LIMIT]


class LearnedList(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("learnedTab")
        self.model = LearnedModel(self)
        v = QVBoxLayout(self)
        self.note = QLabel(objectName="learnedNote", wordWrap=True)
        v.addWidget(self.note)
        self.table = QTableView(objectName="learnedTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 6)
        v.addWidget(self.table, 1)
        row = QHBoxLayout()
        self.forget_button = QPushButton("Forget", objectName="forgetButton",
                                         toolTip="forget the selected word (every phrase with it) or phrase")
        self.forget_all_button = QPushButton("Forget all", objectName="forgetAllButton",
                                             toolTip="forget everything learned from your typing (this data folder)")
        self.pause_button = QPushButton("Pause learning", objectName="pauseLearningButton", checkable=True)
        for b in (self.forget_button, self.forget_all_button, self.pause_button):
            row.addWidget(b)
        row.addStretch(1)
        v.addLayout(row)

    def selected_key(self) -> tuple[str, ...] | None:
        """The selected row's word or phrase (its key), or None."""
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return self.model.rows[rows[0].row()][0] if rows else None

    def show_rows(self, rows: list[Row], paused: bool) -> None:
        self.model.set_rows(rows)
        n = len(rows)
        self.note.setText(
            ("<b>Learning is paused</b>: nothing you type is learned or stored. " if paused else "")
            + (f"{n:,} words and phrases learned from your typing (most recent first"
               + (f", the latest {LIST_LIMIT:,}" if n >= LIST_LIMIT else "") + "). They stay in this data folder "
               "and are used by every run's suggestions. Select one and press Forget, or Forget all."
               if n else "Nothing learned yet: words you finish in the box appear here."))
