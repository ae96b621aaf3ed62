"""The epoch table (`epochTable`): one row per finished epoch.

An epoch end must cost the GUI thread under a frame (issue 22 item 4), and a new row costs the same whatever
the rows before it: the model is a QStandardItemModel whose cells hold their text, tooltip, alignment and
font, made once when the epoch arrives, so a repaint never calls into Python (a Python model answered ~7
roles per cell: a full repaint of ten rows took ~5 ms); the columns only widen, as far as the new row's
texts need (measured with the best row's bold font: never too narrow), instead of Qt measuring every cell
of every row again; a new best epoch changes the two rows whose star and bold move."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QStyle, QTableView

from ...core.secrets import mask_text

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
    ("Canaries", "canaries", "{}", "train --canaries: how exposed the canaries are after this epoch, mean bits by "
     "repetitions (never: the control, near chance ≈ 1.4 bits; the most 1,000 candidates show ≈ 10 bits)"),
]
CANARY_COLUMN = len(COLUMNS) - 1  # shown only while a row has canaries (CLI runs with --canaries)
OBSERVATION_COLUMN = CANARY_COLUMN - 1  # stretches to the table's right edge (the canaries are seldom shown)
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
LEFT_ALIGNED = ("observation", "canaries")

def canary_text(row) -> str:
    """The row's canary exposure as one line ("16×: 9.1 · … bits"), or '' (an EpochResult or a stored epoch)."""
    from ...core.canaries import canary_line

    found = getattr(row, "canaries", None) or getattr(row, "canary_exposure", None) or {}
    return canary_line(found["by_repeats"]) if found.get("by_repeats") else ""


class EpochTableModel(QStandardItemModel):
    """`rows`: the EpochResult-like objects shown (attributes as in COLUMNS, plus best_epoch); `texts`: per
    row, its cells' texts without the best epoch's star."""

    cleared = Signal()  # no rows any more (a new run)

    def __init__(self, parent=None):
        super().__init__(0, len(COLUMNS), parent)
        for c, (header, _, _, tip) in enumerate(COLUMNS):
            item = QStandardItem(header)
            item.setToolTip(tip)
            self.setHorizontalHeaderItem(c, item)
        self.rows: list = []
        self.texts: list[list[str]] = []
        self.best_epoch = 0
        self.bold = QFont()
        self.bold.setBold(True)

    def add(self, epoch) -> None:
        texts = [canary_text(epoch) if attr == "canaries" else fmt.format(getattr(epoch, attr))
                 for _, attr, fmt, _ in COLUMNS]
        items = []
        for (_, attr, _, tip), text in zip(COLUMNS, texts, strict=True):
            item = QStandardItem(text)
            item.setEditable(False)
            if attr == "observation":
                tip = getattr(epoch, "observation", "")
            elif attr == "epoch" and getattr(epoch, "samples", None):  # the epoch's sample suggestions
                tip = mask_text(f"epoch {epoch.epoch}: the network's top 3 next words\n" + "\n".join(
                    f"{s['prefix']} → {', '.join(s['suggestions'])}" for s in epoch.samples))  # design §17
            item.setToolTip(tip)
            if attr not in LEFT_ALIGNED:
                item.setTextAlignment(RIGHT)
            items.append(item)
        self.rows.append(epoch)
        self.texts.append(texts)
        self.appendRow(items)
        if epoch.best_epoch != self.best_epoch:  # the star and the bold move: those two rows change
            old, self.best_epoch = self.best_epoch, epoch.best_epoch
            for r, row in enumerate(self.rows):
                if row.epoch in (old, self.best_epoch):
                    self._mark(r, row.epoch == self.best_epoch)

    def _mark(self, r: int, best: bool) -> None:
        first = self.item(r, 0)
        first.setText(("★ " if best else "") + self.texts[r][0])
        for c in range(len(COLUMNS)):  # no font: the view's
            self.item(r, c).setData(self.bold if best else None, Qt.ItemDataRole.FontRole)

    def clear(self) -> None:
        """No rows (the headers stay)."""
        self.removeRows(0, self.rowCount())
        self.rows, self.texts, self.best_epoch = [], [], 0
        self.cleared.emit()


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
        # The scroll bar is always there: appearing at the row that first overflows (the 8th at 1280×800), it
        # narrowed the viewport and laid out every column again inside that epoch's end (18–20 ms, idle).
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        header = self.horizontalHeader()
        # Columns as wide as their header at first; a new row widens those its texts need (`_widen`).
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)  # rows one line high
        self.metrics = QFontMetrics(self.table_model.bold)
        margin = self.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, self) + 1
        self.cell_padding = 2 * margin + 4  # the item delegate's text margins and the grid line, with room
        for c in range(len(COLUMNS)):
            header.resizeSection(c, header.sectionSizeHint(c))
        self.table_model.rowsInserted.connect(self._row_added)
        self.table_model.cleared.connect(self._show_canaries)
        self._show_canaries()

    def _row_added(self, _parent, first: int, last: int) -> None:
        self._widen(first, last)
        self.scrollToBottom()
        if self.isColumnHidden(CANARY_COLUMN) and any(self.table_model.texts[r][CANARY_COLUMN]
                                                      for r in range(first, last + 1)):
            self._show_canaries()

    def _widen(self, first: int, last: int) -> None:
        """Widen the columns rows `first`..`last` need (the observation stretches; never narrowed)."""
        header = self.horizontalHeader()
        for c in range(len(COLUMNS)):
            if c == OBSERVATION_COLUMN and self.isColumnHidden(CANARY_COLUMN):
                continue
            texts = [self.table_model.texts[r][c] for r in range(first, last + 1)]
            need = max(self.metrics.horizontalAdvance(t) for t in texts) + self.cell_padding
            if c == 0:
                need += self.metrics.horizontalAdvance("★ ")  # room for the star when it is the best
            if need > header.sectionSize(c):
                header.resizeSection(c, need)

    def _show_canaries(self, *_) -> None:
        """The canaries' column only while a row has canaries; then the observation no longer stretches and
        is as wide as its texts."""
        rows = self.table_model.texts
        self.setColumnHidden(CANARY_COLUMN, not any(t[CANARY_COLUMN] for t in rows))
        if rows and not self.isColumnHidden(CANARY_COLUMN):
            self._widen(0, len(rows) - 1)
