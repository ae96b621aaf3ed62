"""Column bookkeeping shared by the window's table models: headers with tooltips, a list of rows."""
from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt

_NO_PARENT = QModelIndex()  # the invalid index: a table's rows hang off the root (never changed)


class ColumnTableModel(QAbstractTableModel):
    """Subclasses set `headers` and `tooltips` (one per column) and keep their rows in `self.rows`."""

    headers: list[str] = []
    tooltips: list[str] = []

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list = []

    def rowCount(self, parent=_NO_PARENT):
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=_NO_PARENT):
        return 0 if parent.isValid() else len(self.headers)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.headers):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.tooltips[section]
        return None

    def valid(self, index) -> bool:
        return index.isValid() and 0 <= index.row() < len(self.rows) and 0 <= index.column() < len(self.headers)
