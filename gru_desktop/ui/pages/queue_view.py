"""The Queue page: runs waiting to be trained one after another (design §14), reorderable and removable,
a Sweep dialog that queues a grid of settings, and Run queue. The queue lives in the database, so what
`gru-desktop queue add/sweep` queued from a terminal shows here too."""
from __future__ import annotations

import datetime
from pathlib import Path

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

POLL_MS = 2000
HEADERS = ("Item", "State", "Sweep", "Name", "Settings", "Corpus", "Run")
SWEEPABLE = ("hidden_size", "embed_dim", "lr", "layers", "seq_len", "batch_size", "dropout", "vocab_size", "epochs",
             "seed", "clip", "schedule", "patience")


def _settings(c: dict) -> str:
    epochs = f"{c.get('epochs')} epochs" if c.get("epochs") else f"epochs auto ({c.get('budget', 0):g} s)"
    return (f"L {c.get('seq_len')} · E {c.get('embed_dim')} · H {c.get('hidden_size')} · {c.get('layers')}× · "
            f"lr {c.get('lr')} · {epochs}")


class QueueView(QWidget):
    run_queue = Signal()  # the user pressed Run queue
    problem = Signal(str, str)

    def __init__(self, db_provider, config_provider, paths_provider, parent=None):
        super().__init__(parent)
        self._db, self._config, self._paths = db_provider, config_provider, paths_provider
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.run_button = QPushButton("Run queue", objectName="runQueueButton",
                                      toolTip="train the queued runs one after another in the background")
        self.run_button.clicked.connect(self.run_queue)
        self.sweep_button = QPushButton("Sweep…", objectName="sweepButton",
                                        toolTip="queue every combination of several values per setting")
        self.sweep_button.clicked.connect(self.open_sweep)
        self.up_button = QPushButton("Up", objectName="queueUpButton")
        self.up_button.clicked.connect(lambda: self.move(-1))
        self.down_button = QPushButton("Down", objectName="queueDownButton")
        self.down_button.clicked.connect(lambda: self.move(1))
        self.remove_button = QPushButton("Remove", objectName="queueRemoveButton")
        self.remove_button.clicked.connect(self.remove_selected)
        for b in (self.run_button, self.sweep_button, self.up_button, self.down_button, self.remove_button):
            bar.addWidget(b)
        bar.addStretch(1)
        self.summary = QLabel(objectName="queueSummary")
        bar.addWidget(self.summary)
        layout.addLayout(bar)
        self.table = QTableWidget(0, len(HEADERS), objectName="queueTable")
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.table, 1)
        self.items: list[dict] = []
        self.working = False
        self._timer = QTimer(self, interval=POLL_MS)
        self._timer.timeout.connect(self.reload)

    def start(self) -> None:
        self.reload()
        self._timer.start()

    def startup_steps(self):
        self.start()
        yield

    def reload(self) -> None:
        import storage

        items = storage.queue.list_items(self._db(), finished=True)
        if items == self.items:
            return
        selected = self.selected_id()
        self.items = items
        self.table.setRowCount(len(items))
        for r, it in enumerate(items):
            where = ", ".join(Path(p).name for p in it["corpus_paths"]) or "sample corpus"
            cells = (str(it["id"]), it["state"], it.get("sweep") or "", it.get("name") or "", _settings(it["config"]),
                     where, str(it["run_id"]) if it.get("run_id") else "")
            for c, text in enumerate(cells):
                cell = QTableWidgetItem(text)
                if c == 1 and it.get("message"):
                    cell.setToolTip(it["message"])
                self.table.setItem(r, c, cell)
            if it["id"] == selected:
                self.table.selectRow(r)
        waiting = sum(1 for i in items if i["state"] == "queued")
        self.summary.setText(f"{waiting} queued" + (" · working" if self.working else ""))
        self.update_buttons()

    def update_buttons(self) -> None:
        waiting = any(i["state"] == "queued" for i in self.items)
        self.run_button.setEnabled(waiting and not self.working)

    def set_working(self, working: bool) -> None:
        self.working = working
        self.reload()
        self.update_buttons()

    def selected_id(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.items):
            return None
        return self.items[rows[0].row()]["id"]

    def move(self, delta: int) -> None:
        import storage

        item = self.selected_id()
        if item is not None:
            storage.queue.move_item(self._db(), item, delta)
            self.reload()

    def remove_selected(self) -> None:
        import storage

        item = self.selected_id()
        if item is None:
            return
        try:
            storage.queue.remove_item(self._db(), item)
        except storage.QueueItemBusy as exc:
            self.problem.emit("Cannot remove", str(exc))
        self.reload()

    def add(self, config, paths: list[str], name: str | None = None) -> int:
        from ...jobs.queue import queue_configs

        (item,) = queue_configs(self._db(), [config], paths, names=[name])
        self.reload()
        return item

    def open_sweep(self) -> None:
        dialog = SweepDialog(self._config(), self)
        dialog.setModal(True)
        dialog.accepted.connect(lambda: self._queue_sweep(dialog))
        dialog.open()
        self.sweep_dialog = dialog  # for tests

    def _queue_sweep(self, dialog: "SweepDialog") -> None:
        from ...jobs.queue import queue_configs, sweep_label

        configs, grid, name = dialog.result_configs
        queue_configs(self._db(), configs, self._paths(), names=[sweep_label(c, grid) for c in configs], sweep=name)
        self.reload()


class SweepDialog(QDialog):
    """Several values per setting → every combination queued, tagged with the sweep's name."""

    ROWS = 3

    def __init__(self, base, parent=None):
        super().__init__(parent)
        self.setObjectName("sweepDialog")
        self.setWindowTitle("Sweep: queue a grid of settings")
        self.base = base
        self.result_configs = None
        form = QFormLayout(self)
        self.name_edit = QLineEdit("sweep-" + datetime.datetime.now().strftime("%Y%m%d-%H%M"), objectName="sweepName")
        form.addRow("Sweep name", self.name_edit)
        self.rows: list[tuple[QComboBox, QLineEdit]] = []
        defaults = [("hidden_size", ""), ("lr", ""), ("embed_dim", "")]
        for k in range(self.ROWS):
            combo = QComboBox(objectName=f"sweepSetting{k}")
            combo.addItems(SWEEPABLE)
            combo.setCurrentText(defaults[k][0])
            values = QLineEdit(objectName=f"sweepValues{k}", placeholderText="values, comma-separated (e.g. 64, 128)")
            values.textChanged.connect(self._preview)
            combo.currentTextChanged.connect(self._preview)
            row = QHBoxLayout()
            row.addWidget(combo)
            row.addWidget(values, 1)
            form.addRow(f"Setting {k + 1}", row)
            self.rows.append((combo, values))
        self.preview = QLabel(objectName="sweepPreview", wordWrap=True)
        form.addRow(self.preview)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Queue")
        self.buttons.accepted.connect(self._try_accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        self._preview()

    def grid(self) -> dict:
        from ...jobs.queue import parse_values

        grid: dict[str, list] = {}
        for combo, values in self.rows:
            if values.text().strip():
                name = combo.currentText()
                grid[name] = grid.get(name, []) + parse_values(name, values.text())
        return grid

    def _compute(self):
        from ...core.errors import UserError
        from ...jobs.queue import expand_sweep

        try:
            grid = self.grid()
            if not grid:
                return None, "give several values for at least one setting"
            return (expand_sweep(self.base, grid), grid), ""
        except UserError as exc:
            return None, str(exc).replace("; nothing was queued", "")

    def _preview(self) -> None:
        result, error = self._compute()
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(result is not None)
        if result is None:
            self.preview.setText(error)
            self.preview.setStyleSheet("color: #c62828;" if "must" in error or "not" in error else "color: gray;")
            return
        configs, grid = result
        self.preview.setStyleSheet("")
        self.preview.setText(f"{len(configs)} runs: " + " × ".join(f"{k} ({', '.join(map(str, v))})" for k, v in grid.items())
                             + "; the other settings as in the form")

    def _try_accept(self) -> None:
        result, _ = self._compute()
        if result is None:
            return
        configs, grid = result
        self.result_configs = (configs, grid, self.name_edit.text().strip() or "sweep")
        self.accept()
