"""The runs table (`runsTable`) as a QAbstractTableModel over prepared rows (as Anki's browser table).

Rows are the runs, newest first, then the count-based baselines (a row of their own kind); what each cell
shows, what a filter searches and how a column sorts are computed once per refresh by the Qt-free
`jobs.run_table` (off the GUI thread on the Runs page), so painting, sorting and filtering 1,000 runs stay
cheap. Name, tags and notes are edited in place and saved at once. `apply(rows)` touches only the rows
that changed, so the view keeps its selection and scroll position while a run trains. Sorting happens here,
in one Python sort, not in the proxy (which would call `data()` for every comparison).
"""
from __future__ import annotations

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QColor, QFont

from ...jobs.run_table import COLUMNS, EDITABLE, KEYS, STATUS_COLOURS, prepare, row_key, same_row, sort_key
from ..widgets.table_base import ColumnTableModel

KEY_ROLE = Qt.ItemDataRole.UserRole + 1  # ("run", id) or ("baseline", id)
_SELECTABLE = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
_EDITABLE_FLAGS = _SELECTABLE | Qt.ItemFlag.ItemIsEditable
_EDITABLE_COLUMN = [key in EDITABLE for key in KEYS]
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_LEFT_KEYS = {"name", "corpus", "settings", "tags", "notes", "status"}


def run_title(run: dict) -> str:
    """A run as legends, tables and the CLI's chart name it (exports.run_label)."""
    from ...jobs.exports import run_label  # not at the top: storage loads after the first paint

    return run_label(run)


class RunsTableModel(ColumnTableModel):
    headers = [c[0] for c in COLUMNS]
    tooltips = [c[2] for c in COLUMNS]

    def __init__(self, db_provider, parent=None):
        super().__init__(parent)
        self._db = db_provider  # a callable returning this thread's connection
        self.rows: list[dict] = []
        self._sort: tuple[int, Qt.SortOrder] | None = None

    # --- reading ------------------------------------------------------------------------------------------
    def fetch(self) -> list[dict]:
        from ...jobs.run_table import table_rows

        return table_rows(self._db())

    def reload(self) -> None:
        """Read the database on this thread and show it (the Runs page reads in a worker, then `apply`)."""
        self.apply(self.fetch())

    def apply(self, new: list[dict]) -> None:
        """Show these prepared rows: a reset when the rows (or their order) changed, else only the changed
        rows are repainted."""
        new = self._sorted(new)
        if [row_key(r) for r in new] != [row_key(r) for r in self.rows]:
            self.beginResetModel()
            self.rows = new
            self.endResetModel()
            return
        last = len(COLUMNS) - 1
        for i, (old, row) in enumerate(zip(self.rows, new, strict=True)):
            if not same_row(old, row):
                self.rows[i] = row
                self.dataChanged.emit(self.index(i, 0), self.index(i, last))

    def row_for(self, key) -> int | None:
        for i, r in enumerate(self.rows):
            if row_key(r) == key:
                return i
        return None

    def remove(self, keys) -> None:
        """Drop these rows at once (the next refresh confirms it)."""
        keys = set(keys)
        self.beginResetModel()
        self.rows = [r for r in self.rows if row_key(r) not in keys]
        self.endResetModel()

    # --- sorting: one Python sort over precomputed keys ------------------------------------------------
    def _sorted(self, rows: list[dict]) -> list[dict]:
        if self._sort is None:
            return rows
        column, order = self._sort
        key = KEYS[column]
        return sorted(rows, key=lambda r: sort_key(r, key), reverse=order == Qt.SortOrder.DescendingOrder)

    def sort(self, column, order=Qt.SortOrder.AscendingOrder):
        if not 0 <= column < len(COLUMNS):
            return
        self._sort = (column, order)
        self.layoutAboutToBeChanged.emit()
        old = self.persistentIndexList()
        where = [(row_key(self.rows[i.row()]), i.column()) for i in old]
        self.rows = self._sorted(self.rows)
        pos = {row_key(r): i for i, r in enumerate(self.rows)}
        self.changePersistentIndexList(old, [self.index(pos[k], c) for k, c in where])
        self.layoutChanged.emit()

    # --- Qt model -----------------------------------------------------------------------------------------
    def flags(self, index):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        if _EDITABLE_COLUMN[index.column()] and self.rows[index.row()]["kind"] == "run":
            return _EDITABLE_FLAGS
        return _SELECTABLE

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not self.valid(index):
            return None
        row, column = self.rows[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return row["_cells"][column]
        key = KEYS[column]
        if role == Qt.ItemDataRole.EditRole:
            return ", ".join(row.get("tags") or []) if key == "tags" else (row.get(key) or "")
        if role == KEY_ROLE:
            return row_key(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            if key == "status":
                reason = row.get("error") or row.get("stop_reason") or ""
                return f"{row['status']}: {reason}" if reason else row["status"]
            if key == "corpus" and row.get("corpus_paths"):
                return "\n".join(row["corpus_paths"])
            if key == "notes":
                return row.get("notes") or None
            if key == "name" and row.get("model_missing"):
                return "the model file is missing: the run can be reviewed, not used"
            return None
        if role == Qt.ItemDataRole.ForegroundRole and key == "status":
            return QColor(STATUS_COLOURS.get(row["status"], "#000000"))
        if role == Qt.ItemDataRole.FontRole and (row.get("starred") or row["kind"] == "baseline"):
            font = QFont()
            font.setBold(bool(row.get("starred")))
            font.setItalic(row["kind"] == "baseline")
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and key not in _LEFT_KEYS:
            return _RIGHT
        return None

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole):
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        row, key = self.rows[index.row()], KEYS[index.column()]
        if key not in EDITABLE or row["kind"] != "run":
            return False
        import storage

        if key == "tags":
            value = [t.strip() for t in str(value).split(",") if t.strip()]
        elif key == "name":
            value = str(value).strip() or f"run {row['id']}"
        storage.update_run(self._db(), row["id"], **{key: value})  # saved at once
        row[key] = value
        prepare(row)
        self.dataChanged.emit(self.index(index.row(), 0), self.index(index.row(), len(COLUMNS) - 1))
        return True

    def set_starred(self, row_index: int, starred: bool) -> None:
        import storage

        row = self.rows[row_index]
        if row["kind"] != "run":
            return
        storage.update_run(self._db(), row["id"], starred=starred)
        row["starred"] = starred
        prepare(row)
        self.dataChanged.emit(self.index(row_index, 0), self.index(row_index, len(COLUMNS) - 1))


class RunsFilter(QSortFilterProxyModel):
    """Text filter over every column's text, plus a status filter ("" = all). Sorting is passed on to the
    runs model (one Python sort), so the proxy only filters."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.status = ""
        self._needle = ""

    def sort(self, column, order=Qt.SortOrder.AscendingOrder):
        self.sourceModel().sort(column, order)

    def set_status(self, status: str) -> None:
        self.beginFilterChange()
        self.status = status
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def set_text(self, text: str) -> None:
        self.beginFilterChange()
        self._needle = text.lower()
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row, source_parent):
        row = self.sourceModel().rows[source_row]
        if self.status and row["status"] != self.status:
            return False
        return not self._needle or self._needle in row["_search"]
