"""The runs table (`runsTable`) as a QAbstractTableModel over the database (as Anki's browser table).

Rows are the runs, newest first, then the count-based baselines (a row of their own kind). Name, tags and
notes are edited in place and saved at once. `reload()` reads the database again and touches only the
rows that changed, so the view keeps its selection and scroll position while a run trains.
"""
from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QColor, QFont

from ..core.config import stored_settings
from .table_base import ColumnTableModel

SORT_ROLE = Qt.ItemDataRole.UserRole
KEY_ROLE = Qt.ItemDataRole.UserRole + 1  # ("run", id) or ("baseline", id)
STATUS_COLOURS = {"running": "#1565c0", "completed": "#2e7d32", "cancelled": "#8d6e63", "failed": "#c62828",
                  "interrupted": "#ef6c00", "paused": "#00838f", "queued": "#546e7a", "baseline": "#6a1b9a"}

# (header, key, tooltip); the values come from `_value`
COLUMNS = [
    ("★", "starred", "starred: your reference run (toggle with S)"),
    ("Run", "id", "run id"),
    ("Name", "name", "double-click to rename"),
    ("Date", "created_at", "when training started"),
    ("Status", "status", "running / paused / completed / cancelled / failed / interrupted; hover for the reason"),
    ("Corpus", "corpus", "the text it was trained on"),
    ("Settings", "settings", "padding length L, embedding E, hidden H, layers, vocabulary V; tied: the output layer shares the embedding"),
    ("Epochs", "epochs", "epochs finished / planned"),
    ("Val loss", "best_val_loss", "best validation loss (nats)"),
    ("Val acc", "best_val_accuracy", "validation top-1 accuracy of the best epoch"),
    ("Top-3", "best_val_top3", "validation top-3 accuracy of the best epoch (the GRU while training; for a "
                               "baseline row, the counts')"),
    ("Perplexity", "best_val_perplexity", "validation perplexity of the best epoch (the GRU while training)"),
    ("λ", "blend_lambda", "the blend's weight on the GRU against the counts, a / (a + b); empty: the run suggests "
                          "with the GRU alone"),
    ("Blend ppl", "blend_perplexity", "perplexity of what suggests — the GRU + counts blend — on the validation "
                                      "text, read as when typing (each sentence from its start)"),
    ("Blend top-3", "blend_top3", "top-3 accuracy of the blend on the validation text: the next word is among "
                                  "the three suggestions"),
    ("GRU ppl", "gru_perplexity", "perplexity of the GRU alone on the same positions as the blend (the "
                                  "Perplexity column is the best epoch's, measured while training)"),
    ("GRU top-3", "gru_top3", "top-3 accuracy of the GRU alone on the same positions as the blend"),
    ("Keystrokes saved", "eval_keystroke_savings", "keystroke savings with 3 suggestions on the validation text, "
                                                   "of what suggests (the blend, else the GRU)"),
    ("Duration", "duration", "training time"),
    ("CPU", "cpu_percent", "the training process's CPU use, mean over its epochs (100 % = one core busy)"),
    ("Peak memory", "peak_rss_mb", "the training process's peak resident memory (MB)"),
    ("Tags", "tags", "comma-separated; double-click to edit"),
    ("Notes", "notes", "double-click to edit"),
]
EDITABLE = {"name", "tags", "notes"}
NUMERIC = {"starred", "id", "epochs", "best_val_loss", "best_val_accuracy", "best_val_top3", "best_val_perplexity",
           "blend_lambda", "blend_perplexity", "blend_top3", "gru_perplexity", "gru_top3", "eval_keystroke_savings",
           "duration", "cpu_percent", "peak_rss_mb"}


def _seconds(a: str | None, b: str | None) -> float | None:
    try:
        return (dt.datetime.fromisoformat(b) - dt.datetime.fromisoformat(a)).total_seconds()
    except (TypeError, ValueError):
        return None


def run_title(run: dict) -> str:
    """A run as legends, tables and the CLI's chart name it (exports.run_label)."""
    from ..jobs.exports import run_label  # not at the top: storage loads after the first paint

    return run_label(run)


def baseline_row(b: dict) -> dict:
    """A baselines-table row shaped like a run row, so the table shows both."""
    return {"kind": "baseline", "id": b["id"], "name": "Kneser–Ney trigram" if b.get("kind") == "kn3" else b.get("kind"),
            "created_at": b.get("created_at"), "status": "baseline", "corpus": b.get("corpus"),
            "best_val_accuracy": b.get("top1"), "best_val_top3": b.get("top3"), "best_val_perplexity": b.get("perplexity"),
            "best_val_loss": math.log(b["perplexity"]) if b.get("perplexity") else None,
            "eval_keystroke_savings": b.get("keystroke_savings"), "config": {}, "tags": [], "notes": "",
            "error": f"count-based baseline on the same split: {b.get('train_tokens') or 0:,} training words, "
                     f"{b.get('tokens') or 0:,} validation words"}


class RunsTableModel(ColumnTableModel):
    headers = [c[0] for c in COLUMNS]
    tooltips = [c[2] for c in COLUMNS]

    def __init__(self, db_provider, parent=None):
        super().__init__(parent)
        self._db = db_provider  # a callable returning this thread's connection
        self.rows: list[dict] = []

    # --- reading ------------------------------------------------------------------------------------------
    def fetch(self) -> list[dict]:
        import storage

        db = self._db()
        # Whether the model file is there is checked here, once per refresh, never while painting (data()).
        rows = [{**r, "kind": "run", "model_missing": bool(r.get("model_path")) and not Path(r["model_path"]).is_file()}
                for r in storage.list_runs(db)]
        if hasattr(storage, "list_baselines"):
            rows += [baseline_row(b) for b in storage.list_baselines(db)]
        return rows

    def reload(self) -> None:
        new = self.fetch()
        if [_key(r) for r in new] != [_key(r) for r in self.rows]:
            self.beginResetModel()
            self.rows = new
            self.endResetModel()
            return
        for i, (old, row) in enumerate(zip(self.rows, new)):
            if {k: v for k, v in old.items() if k != "_search"} != row:
                self.rows[i] = row
                self.dataChanged.emit(self.index(i, 0), self.index(i, len(COLUMNS) - 1))

    def row_for(self, key) -> int | None:
        for i, r in enumerate(self.rows):
            if _key(r) == key:
                return i
        return None

    # --- Qt model -----------------------------------------------------------------------------------------
    def flags(self, index):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if COLUMNS[index.column()][1] in EDITABLE and self.rows[index.row()]["kind"] == "run":
            flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not self.valid(index):
            return None
        row, key = self.rows[index.row()], COLUMNS[index.column()][1]
        if role == Qt.ItemDataRole.DisplayRole:
            return _display(row, key)
        if role == Qt.ItemDataRole.EditRole:
            return ", ".join(row.get("tags") or []) if key == "tags" else (row.get(key) or "")
        if role == SORT_ROLE:  # one type per column, so the proxy can compare
            if key in NUMERIC:
                value = _value(row, key)
                return float(value) if value is not None else -1e300
            return _display(row, key).lower()
        if role == KEY_ROLE:
            return _key(row)
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
        if role == Qt.ItemDataRole.TextAlignmentRole and key not in ("name", "corpus", "settings", "tags", "notes", "status"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole):
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        row, key = self.rows[index.row()], COLUMNS[index.column()][1]
        if key not in EDITABLE or row["kind"] != "run":
            return False
        import storage

        if key == "tags":
            value = [t.strip() for t in str(value).split(",") if t.strip()]
        elif key == "name":
            value = str(value).strip() or f"run {row['id']}"
        storage.update_run(self._db(), row["id"], **{key: value})  # saved at once
        row[key] = value
        row.pop("_search", None)
        self.dataChanged.emit(index, index)
        return True

    def set_starred(self, row_index: int, starred: bool) -> None:
        import storage

        row = self.rows[row_index]
        if row["kind"] != "run":
            return
        storage.update_run(self._db(), row["id"], starred=starred)
        row["starred"] = starred
        row.pop("_search", None)
        self.dataChanged.emit(self.index(row_index, 0), self.index(row_index, len(COLUMNS) - 1))


def _key(row: dict) -> tuple[str, int]:
    return (row["kind"], row["id"])


def _value(row: dict, key: str):
    if key == "settings":
        if not row.get("config"):
            return None
        c = stored_settings(row["config"])  # runs from before the setting were untied
        return (c.get("seq_len"), c.get("embed_dim"), c.get("hidden_size"), c.get("layers"), row.get("vocab_size"),
                bool(c["tie_weights"]))
    if key == "epochs":
        return row.get("epochs_done")
    if key in ("blend_perplexity", "blend_top3"):  # eval_* hold what suggests: the blend's when it has one
        return row.get("eval_" + key[6:]) if row.get("eval_source") == "blend" else None
    if key in ("gru_perplexity", "gru_top3"):  # the GRU's own, or eval_* from before blends (the GRU's then)
        own = row.get("eval_" + key)
        return own if own is not None or row.get("eval_source") == "blend" else row.get("eval_" + key[4:])
    if key == "duration":
        return _seconds(row.get("created_at"), row.get("finished_at"))
    if key == "starred":
        return int(bool(row.get("starred")))
    if key == "tags":
        return ", ".join(row.get("tags") or [])
    return row.get(key)


def _display(row: dict, key: str) -> str:
    v = _value(row, key)
    if key == "starred":
        return "★" if v else ""
    if key == "id":
        return "—" if row["kind"] == "baseline" else str(v)
    if key == "created_at":
        return (v or "")[:16].replace("T", " ")
    if key == "settings":
        if row["kind"] == "baseline":
            return "counts of word triples"
        L, E, H, layers, V, tied = v or (None,) * 6
        return f"L {L} · E {E} · H {H} · {layers}× · V {V:,}" + (" · tied" if tied else "") if V else ""
    if key == "epochs":
        planned = row.get("epochs_planned")
        planned = "auto" if planned == 0 else (planned or "?")  # 0: Epochs auto
        return "" if row["kind"] == "baseline" else f"{row.get('epochs_done') or 0}/{planned}"
    if v is None or v == "":
        return ""
    if key in ("best_val_accuracy", "best_val_top3", "eval_keystroke_savings", "blend_top3", "gru_top3"):
        return f"{v:.1%}"
    if key in ("best_val_loss",):
        return f"{v:.3f}"
    if key in ("best_val_perplexity", "blend_perplexity", "gru_perplexity"):
        return f"{v:.1f}"
    if key == "cpu_percent":
        return f"{v:.0f} %"
    if key == "peak_rss_mb":
        return f"{v:,.0f} MB"
    if key == "blend_lambda":
        return f"{v:.2f}"
    if key == "duration":
        m, s = divmod(int(round(v)), 60)
        return f"{m}:{s:02d}"
    if key == "name" and row.get("model_missing"):
        return f"{v} (model file missing)"
    return str(v)


class RunsFilter(QSortFilterProxyModel):
    """Text filter over every column, plus a status filter ("" = all)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.status = ""
        self._needle = ""
        self.setSortRole(SORT_ROLE)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterKeyColumn(-1)

    def set_status(self, status: str) -> None:
        self.beginFilterChange()
        self.status = status
        self.endFilterChange(QSortFilterProxyModel.Direction.Rows)

    def filterAcceptsRow(self, source_row, source_parent):
        row = self.sourceModel().rows[source_row]
        if self.status and row["status"] != self.status:
            return False
        text = self.filterRegularExpression().pattern()
        if not text:
            return True
        # One cached string per row instead of a data() call per cell: typing a filter over 1,000 runs took
        # ~0.7 s per key on the GUI thread that way (bench --only journey).
        if "_search" not in row:
            row["_search"] = "\t".join(_display(row, key) for _, key, _ in COLUMNS).lower()
        return self._needle in row["_search"]

    def set_text(self, text: str) -> None:
        self._needle = text.lower()
        self.setFilterFixedString(text)
