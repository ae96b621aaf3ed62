"""Sample suggestions while training (issue 10): the network's top 3 next words for a few prefixes, each epoch.

The panel on the Training page: a probe field (`probeEdit`, Enter or Add) for the user's own prefixes, and a
table (`samplesView`) with a row per prefix — five drawn from the validation text by the run (grey, italic),
then the user's probes — and a column per epoch, filled as each epoch ends. A cell whose words changed since
the previous epoch is tinted, so a learner sees the guesses settle. Probes are handed to `runs.train_run` when
Train is pressed; while a run trains they are fixed (the run reads them once).
"""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QBrush, QColor, QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

CHANGED = QColor(255, 243, 205)  # a cell whose suggestions differ from the previous epoch's
HEADER_CHARS = 36  # a long prefix shows its end in the row header (what the next word follows)


def normalise(text: str) -> str:
    """A probe as the run records it: words separated by single spaces (as core.config.check_probes)."""
    return " ".join(str(text).split())


def short(prefix: str) -> str:
    return prefix if len(prefix) <= HEADER_CHARS else "…" + prefix[-(HEADER_CHARS - 1):]


class SamplesPanel(QWidget):
    probes_changed = Signal(list)  # the user's probes, after an add or a removal

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("samplesPanel")
        self.probes: list[str] = []  # the user's probes, for the next run
        self.run_probes: list[str] = []  # the probes the shown run was started with
        self.epochs: list[int] = []
        self.samples: dict[int, list[dict]] = {}  # epoch -> [{"prefix", "suggestions"}] as the run recorded them
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 0)
        bar = QHBoxLayout()
        title = QLabel("<b>Sample suggestions</b>", toolTip="each epoch, the network's three most likely next words "
                       "after each prefix: five from the validation text (grey), then your probes")
        bar.addWidget(title)
        self.edit = QLineEdit(objectName="probeEdit", clearButtonEnabled=True,
                              placeholderText="add a probe: text to continue, e.g. thank you for your  (Enter)")
        self.edit.returnPressed.connect(self.add_from_edit)
        bar.addWidget(self.edit, 1)
        self.add_button = QPushButton("Add", objectName="addProbeButton", toolTip="add this probe (Enter)")
        self.add_button.clicked.connect(self.add_from_edit)
        bar.addWidget(self.add_button)
        self.remove_button = QPushButton("Remove", objectName="removeProbeButton",
                                         toolTip="remove the selected probes (Del); the validation prefixes stay")
        self.remove_button.clicked.connect(self.remove_selected)
        bar.addWidget(self.remove_button)
        layout.addLayout(bar)
        self.hint = QLabel(objectName="probeHint", wordWrap=True)
        self.hint.setStyleSheet("color: gray;")
        self.hint.setVisible(False)
        layout.addWidget(self.hint)
        self.table = QTableWidget(objectName="samplesView")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(False)
        # by pixels: a column added at the right while scrolled there (an epoch end) keeps the view aligned
        self.table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)  # compact rows
        self.table.itemSelectionChanged.connect(self._update_buttons)
        layout.addWidget(self.table, 1)
        QShortcut(QKeySequence.StandardKey.Delete, self.table, self.remove_selected)
        self.locked = False
        self.rows: list[tuple[str, str]] = []  # (kind, prefix) per table row: "validation" or "probe"
        self._rebuild()

    # --- the user's probes --------------------------------------------------------------------------------
    def add_from_edit(self) -> None:
        if self.add_probe(self.edit.text()):
            self.edit.clear()

    def add_probe(self, text: str) -> bool:
        """Add a probe (False, with the reason in the hint, when it cannot be added)."""
        from ...core.config import MAX_PROBES, check_probes
        from ...core.errors import ConfigError

        if self.locked:
            return self._say("probes are fixed while a run trains: add it when this run has ended")
        text = normalise(text)
        if not text:
            return self._say("type some text to continue, e.g. “thank you for your”, then Enter")
        if text in self.probes:
            return self._say(f"“{text}” is already a probe")
        if len(self.probes) >= MAX_PROBES:
            return self._say(f"at most {MAX_PROBES} probes: remove one first")
        try:
            check_probes([text])
        except ConfigError as exc:
            return self._say(str(exc))
        self.probes.append(text)
        self._say("")
        self._rebuild()
        self.probes_changed.emit(list(self.probes))
        return True

    def set_probes(self, probes: list[str]) -> None:
        self.probes = [p for p in dict.fromkeys(normalise(p) for p in probes) if p]
        self._rebuild()

    def remove_selected(self) -> None:
        if self.locked:
            return
        gone = {self.rows[i.row()][1] for i in self.table.selectionModel().selectedRows()
                if self.rows[i.row()][0] == "probe"}
        if gone:
            self.probes = [p for p in self.probes if p not in gone]
            self._rebuild()
            self.probes_changed.emit(list(self.probes))

    def set_locked(self, locked: bool) -> None:
        self.locked = locked
        self.edit.setEnabled(not locked)
        self.add_button.setEnabled(not locked)
        self.edit.setPlaceholderText("probes are fixed while a run trains" if locked else
                                     "add a probe: text to continue, e.g. thank you for your  (Enter)")
        self._update_buttons()

    def _say(self, text: str) -> bool:
        self.hint.setText(text)
        self.hint.setVisible(bool(text))
        return False

    def _update_buttons(self) -> None:
        rows = {i.row() for i in self.table.selectionModel().selectedRows()}
        self.remove_button.setEnabled(not self.locked and any(self.rows[r][0] == "probe" for r in rows if r < len(self.rows)))

    # --- a run's samples ---------------------------------------------------------------------------------
    def start_run(self, probes: list[str]) -> None:
        """A run starts with these probes: its epochs will fill the table."""
        self.run_probes = [normalise(p) for p in probes]
        self.epochs, self.samples = [], {}
        self._rebuild()

    def add_epoch(self, epoch: int, samples: list[dict]) -> None:
        """An epoch's samples: a new column at the right (the whole table again only when its rows change:
        the first epoch, or an epoch seen again): an epoch end must cost under a frame (issue 22 item 4)."""
        new = epoch not in self.samples and bool(self.epochs)
        if epoch not in self.samples:
            self.epochs.append(epoch)
        self.samples[epoch] = list(samples or [])
        if new and self._rows() == self.rows:
            self._add_column(len(self.epochs) - 1)
        else:
            self._rebuild()
        if self.epochs:
            self.table.scrollToItem(self.table.item(0, self.table.columnCount() - 1) or QTableWidgetItem(),
                                    QAbstractItemView.ScrollHint.EnsureVisible)

    def clear(self) -> None:
        self.start_run(self.run_probes)

    def _validation(self) -> list[str]:
        """The run's validation prefixes: what its samples hold before the probes it was started with."""
        first = self.samples.get(self.epochs[0], []) if self.epochs else []
        n = max(len(first) - len(self.run_probes), 0)
        return [s["prefix"] for s in first[:n]]

    def cell(self, kind: str, prefix: str, epoch: int) -> list[str] | None:
        """The suggestions shown for a row in an epoch's column (None: not sampled in that epoch)."""
        samples = self.samples.get(epoch, [])
        n = max(len(samples) - len(self.run_probes), 0)
        part = samples[:n] if kind == "validation" else samples[n:]
        for s in part:
            if s.get("prefix") == prefix:
                return list(s.get("suggestions") or [])
        return None

    def row_words(self, prefix: str) -> list[list[str] | None]:
        """A row's cells left to right (for tests and automation)."""
        for kind, p in self.rows:
            if p == prefix:
                return [self.cell(kind, p, e) for e in self.epochs]
        raise KeyError(prefix)

    def _rows(self) -> list[tuple[str, str]]:
        validation = self._validation()
        probes = list(self.probes) + [p for p in self.run_probes if p not in self.probes and self.epochs]
        return [("validation", p) for p in validation] + [("probe", p) for p in probes]

    def _rebuild(self) -> None:
        self.rows = self._rows()
        t = self.table
        t.setUpdatesEnabled(False)
        t.clear()
        t.setRowCount(len(self.rows))
        # Before the first epoch one empty column holds the rows (a row without cells cannot be selected).
        t.setColumnCount(len(self.epochs) or 1)
        t.setHorizontalHeaderLabels([f"epoch {e}" for e in self.epochs] or ["filled as each epoch ends"])
        italic = QFont()
        italic.setItalic(True)
        grey = QBrush(QColor(110, 110, 110))
        for r, (kind, prefix) in enumerate(self.rows):
            head = QTableWidgetItem(short(prefix))
            if kind == "validation":
                head.setToolTip(f"from the validation text: “{prefix}”")
                head.setFont(italic)
                head.setForeground(grey)
            else:
                sampled = prefix in self.run_probes
                head.setToolTip(f"your probe: “{prefix}”" + ("" if sampled or not self.epochs else
                                                             " — added after this run started: sampled from the next run"))
            t.setVerticalHeaderItem(r, head)
            for c in range(len(self.epochs)):
                t.setItem(r, c, self._item(kind, prefix, c))
            if not self.epochs:
                t.setItem(r, 0, QTableWidgetItem(""))
        t.resizeColumnsToContents()
        t.setUpdatesEnabled(True)
        if not self.rows:
            t.setRowCount(0)
        self._update_buttons()

    def _item(self, kind: str, prefix: str, c: int) -> QTableWidgetItem:
        """The cell of a row in column `c` (epoch self.epochs[c]), tinted when it differs from the column before."""
        e = self.epochs[c]
        words = self.cell(kind, prefix, e)
        previous = self.cell(kind, prefix, self.epochs[c - 1]) if c else None
        item = QTableWidgetItem("" if words is None else " · ".join(words))
        if words is not None:
            item.setToolTip(f"epoch {e}, after “{prefix}”: " + (", ".join(words) or "no word"))
            if previous is not None and words != previous:
                item.setBackground(CHANGED)
                item.setToolTip(item.toolTip() + f" (epoch {e - 1}: {', '.join(previous)})")
        return item

    def _add_column(self, c: int) -> None:
        """Column `c` (the newest epoch) for the rows already shown; only it is measured."""
        t = self.table
        t.setUpdatesEnabled(False)
        t.setColumnCount(c + 1)
        t.setHorizontalHeaderItem(c, QTableWidgetItem(f"epoch {self.epochs[c]}"))
        for r, (kind, prefix) in enumerate(self.rows):
            t.setItem(r, c, self._item(kind, prefix, c))
        t.resizeColumnToContents(c)
        t.setUpdatesEnabled(True)
