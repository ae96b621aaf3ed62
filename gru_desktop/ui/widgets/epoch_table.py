"""The epoch table (`epochTable`): one row per finished epoch, as a QAbstractTableModel."""
from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

from .table_base import ColumnTableModel

# (header, attribute, format, tooltip)
COLUMNS = [
    ("Epoch", "epoch", "{:d}", "epoch number; ★ marks the best epoch, whose model is kept"),
    ("Loss", "train_loss", "{:.3f}", "mean training cross-entropy over the epoch (nats)"),
    ("Accuracy", "train_accuracy", "{:.1%}", "training top-1 accuracy"),
    ("Val loss", "val_loss", "{:.3f}", "validation cross-entropy (nats); the best epoch has the lowest"),
    ("Val acc", "val_accuracy", "{:.1%}", "validation top-1 accuracy: the first suggestion is the next word"),
    ("Top-3", "val_top3", "{:.1%}", "validation top-3 accuracy: the next word is among the three suggestions"),
    ("Perplexity", "val_perplexity", "{:.1f}", "exp(validation loss): as unsure as choosing among this many words"),
    ("Time", "seconds", "{:.1f} s", "seconds of training in this epoch"),
    ("Observation", "observation", "{}", "what this epoch's numbers say compared with the previous epoch"),
]


class EpochTableModel(ColumnTableModel):
    headers = [c[0] for c in COLUMNS]
    tooltips = [c[3] for c in COLUMNS]

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list = []  # EpochResult-like objects (attributes as in COLUMNS, plus best_epoch)
        self.best_epoch = 0

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not self.valid(index):
            return None
        row = self.rows[index.row()]
        _, attr, fmt, _ = COLUMNS[index.column()]
        best = row.epoch == self.best_epoch
        if role == Qt.ItemDataRole.DisplayRole:
            text = fmt.format(getattr(row, attr))
            return f"★ {text}" if attr == "epoch" and best else text
        if role == Qt.ItemDataRole.ToolTipRole:
            if attr == "observation":
                return getattr(row, "observation", "")
            if attr == "epoch" and getattr(row, "samples", None):  # the epoch's sample suggestions
                return f"epoch {row.epoch}: the network's top 3 next words\n" + "\n".join(
                    f"{s['prefix']} → {', '.join(s['suggestions'])}" for s in row.samples)
            return COLUMNS[index.column()][3]
        if role == Qt.ItemDataRole.TextAlignmentRole and attr != "observation":
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole and best:
            font = QFont()
            font.setBold(True)
            return font
        return None

    def add(self, epoch) -> None:
        n = len(self.rows)
        self.beginInsertRows(QModelIndex(), n, n)
        self.rows.append(epoch)
        self.endInsertRows()
        if epoch.best_epoch != self.best_epoch:
            self.best_epoch = epoch.best_epoch
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, len(COLUMNS) - 1))

    def clear(self) -> None:
        self.beginResetModel()
        self.rows, self.best_epoch = [], 0
        self.endResetModel()


class EpochTable(QTableView):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("epochTable")
        self.table_model = EpochTableModel(self)
        self.setModel(self.table_model)
        self.setAlternatingRowColors(True)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().setVisible(False)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table_model.rowsInserted.connect(lambda *_: self.scrollToBottom())
