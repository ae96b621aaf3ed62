"""The Runs page: every run in a sortable, filterable table that updates live (also for runs trained by
the CLI in another process), and for the selected runs: their curves overlaid, the settings that differ,
and their suggestions for the same text side by side. Actions: star, rename/notes/tags in place, delete,
load into the autocomplete box, open the settings into the form, continue training, export.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QFileDialog, QHBoxLayout, QHeaderView, QLabel,
                               QLineEdit, QMessageBox, QPushButton, QSpinBox, QSplitter, QTableView, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from .runs_model import RunsFilter, RunsTableModel, run_title
from .threads import function_job

POLL_MS = 1000  # how often the database is checked for changes made by other connections
MAX_COMPARED = 8


class RunsPage(QWidget):
    load_in_autocomplete = Signal(int)  # run id
    open_settings = Signal(dict)  # the run's config
    continue_training = Signal(int, int)  # run id, epochs
    resume_training = Signal(int)  # run id: a paused or interrupted run, resumed as itself
    problem = Signal(str, str)  # title, message: shown by the window
    deleted = Signal(int)  # run id
    exporting = Signal(str)  # a model export started: for the status bar until it ends
    exported = Signal(str)  # what was written: for the status bar

    def __init__(self, jobs, db_provider, home=None, parent=None):
        super().__init__(parent)
        self.jobs, self.home, self._db = jobs, home, db_provider
        self.confirm = self._ask  # replaced in tests
        self.predictors: dict[int, object] = {}  # run id -> Predictor, for side-by-side suggestions
        self._compared: list[int] = []  # the run shown in each row of the side-by-side table
        self._loading: set[int] = set()
        self._data_version = None
        self.compare_plot = None
        self._model_export = None  # the worker of a model export in progress
        self._build()
        self._timer = QTimer(self, interval=POLL_MS)
        self._timer.timeout.connect(self.poll)

    # --- layout ---------------------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.filter_edit = QLineEdit(objectName="runsFilter", placeholderText="filter: name, corpus, tag, note…",
                                     clearButtonEnabled=True)
        bar.addWidget(self.filter_edit, 2)
        self.status_combo = QComboBox(objectName="statusFilter")
        self.status_combo.addItems(["all statuses", "running", "paused", "completed", "cancelled", "failed", "interrupted",
                                    "baseline"])
        bar.addWidget(self.status_combo)
        self.summary = QLabel(objectName="runsSummary")
        bar.addWidget(self.summary)
        layout.addLayout(bar)
        bar = QHBoxLayout()  # actions on a row of their own: the page stays usable in a narrow window
        self.buttons: dict[str, QPushButton] = {}
        for name, text, tip, slot in (
            ("star", "★", "mark as your reference run (S)", self.toggle_star),
            ("use", "Autocomplete", "load this run's model into the Autocomplete page", self.use_selected),
            ("settings", "Settings", "put this run's settings into the form on the left", self.settings_of_selected),
            ("resume", "Resume", "continue this paused or interrupted run exactly where it stopped, as the same run",
             self.resume_selected),
            ("continue", "Continue", "train this run's model for more epochs: a new run that records its parent",
             self.continue_selected),
            ("delete", "Delete", "delete the selected runs and their model files (Del)", self.delete_selected),
        ):
            b = QPushButton(text, objectName=f"{name}RunButton", toolTip=tip)
            b.clicked.connect(slot)
            bar.addWidget(b)
            self.buttons[name] = b
        bar.addStretch(1)
        self.more_epochs = QSpinBox(objectName="continueEpochsSpin", minimum=1, maximum=10_000, value=5, suffix=" epochs",
                                    toolTip="how many more epochs Continue training runs")
        bar.insertWidget(bar.indexOf(self.buttons["continue"]) + 1, self.more_epochs)
        export = QHBoxLayout()
        export.addWidget(self.buttons.pop("delete"))
        self.buttons["delete"] = export.itemAt(0).widget()
        export.addSpacing(12)
        export.addWidget(QLabel("Export:"))
        for name, text, slot, tip in (
            ("csv", "Metrics CSV…", self.choose_csv, "every epoch of the selected runs"),
            ("png", "Chart PNG…", self.choose_png, "the compare chart"),
            ("pt2", "Model .pt2…", lambda: self.choose_model("pt2"), "the run's model for torch.export.load"),
            ("onnx", "Model ONNX…", lambda: self.choose_model("onnx"), "the run's model as ONNX, checked in onnxruntime"),
        ):
            b = QPushButton(text, objectName=f"export{name.capitalize()}Button", toolTip=tip)
            b.clicked.connect(slot)
            export.addWidget(b)
            self.buttons[name] = b
        export.addStretch(1)
        layout.addLayout(bar)
        layout.addLayout(export)

        self.model = RunsTableModel(self._db, self)
        self.proxy = RunsFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView(objectName="runsTable")
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(1, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked | QAbstractItemView.EditTrigger.EditKeyPressed)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        # Size columns from the first rows only: measuring 1,000 runs' cells froze the window for seconds.
        self.table.horizontalHeader().setResizeContentsPrecision(40)
        self.table.setWordWrap(False)
        self._sized = False
        # Filter once typing pauses (150 ms), not per key: each filter pass visits every run.
        self._filter_timer = QTimer(self, singleShot=True, interval=150)
        self._filter_timer.timeout.connect(lambda: self.proxy.set_text(self.filter_edit.text()))
        self.filter_edit.textChanged.connect(self._filter_timer.start)
        self.status_combo.currentTextChanged.connect(
            lambda t: self.proxy.set_status("" if t == "all statuses" else t))
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.model.modelReset.connect(self._restore_selection)
        QShortcut(QKeySequence.StandardKey.Delete, self.table, self.delete_selected)
        QShortcut(QKeySequence("S"), self.table, self.toggle_star)

        lower = QSplitter(Qt.Orientation.Horizontal, objectName="compareSplitter")
        self.plot_host = QWidget()
        QVBoxLayout(self.plot_host).setContentsMargins(0, 0, 0, 0)
        lower.addWidget(self.plot_host)
        side = QWidget()
        sv = QVBoxLayout(side)
        sv.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        head.addWidget(QLabel("<b>Settings</b>"))
        self.show_all = QCheckBox("show all", objectName="showAllSettings", toolTip="also the settings that are the same")
        self.show_all.toggled.connect(self._update_diff)
        head.addStretch(1)
        head.addWidget(self.show_all)
        sv.addLayout(head)
        self.diff = QTableWidget(objectName="settingsDiff")
        self.diff.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        sv.addWidget(self.diff, 1)
        sv.addWidget(QLabel("<b>Suggestions side by side</b>: type once, see what each run suggests (its blend "
                            "with counts where it has one)", wordWrap=True))
        self.compare_input = QLineEdit(objectName="compareInput", placeholderText="e.g. the cat sat on the ")
        self.compare_input.textChanged.connect(self._update_suggestions)
        sv.addWidget(self.compare_input)
        self.compare_table = QTableWidget(objectName="compareSuggestions")
        self.compare_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        sv.addWidget(self.compare_table, 1)
        lower.addWidget(side)
        lower.setStretchFactor(0, 3)
        lower.setStretchFactor(1, 2)
        self.lower = lower

        split = QSplitter(Qt.Orientation.Vertical, objectName="runsSplitter")
        split.addWidget(self.table)
        split.addWidget(lower)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        layout.addWidget(split, 1)
        self._update_buttons()

    # --- live updates -------------------------------------------------------------------------------------
    def start(self) -> None:
        """Load the table and watch the database (called once the window is up)."""
        self.reload()
        self._timer.start()

    def poll(self) -> None:
        """Reload when another connection (a training thread, the CLI) committed since the last look."""
        version = self._db().execute("PRAGMA data_version").fetchone()[0]
        if version != self._data_version:
            self.reload()

    def reload(self) -> None:
        self._data_version = self._db().execute("PRAGMA data_version").fetchone()[0]
        self._remember_selection()
        self.model.reload()
        if not self._sized and self.model.rows:
            self.table.resizeColumnsToContents()  # once: later the user's column widths stay
            self._sized = True
        n = sum(1 for r in self.model.rows if r["kind"] == "run")
        self.summary.setText(f"{n} run{'s' if n != 1 else ''}")
        self._selection_changed()

    def _remember_selection(self) -> None:
        self._selected_keys = self.selected_keys()

    def _restore_selection(self) -> None:
        keys = getattr(self, "_selected_keys", [])
        self.select_keys(keys)

    def select_keys(self, keys) -> None:
        sel = self.table.selectionModel()
        sel.clearSelection()
        for key in keys:
            row = self.model.row_for(key)
            if row is not None:
                index = self.proxy.mapFromSource(self.model.index(row, 0))
                if index.isValid():
                    sel.select(index, sel.SelectionFlag.Select | sel.SelectionFlag.Rows)

    def select_runs(self, run_ids) -> None:
        self.select_keys([("run", i) for i in run_ids])

    # --- selection ----------------------------------------------------------------------------------------
    def selected_keys(self) -> list[tuple[str, int]]:
        rows = sorted({self.proxy.mapToSource(i).row() for i in self.table.selectionModel().selectedRows()})
        return [("run" if self.model.rows[r]["kind"] == "run" else "baseline", self.model.rows[r]["id"]) for r in rows]

    def selected_runs(self) -> list[dict]:
        keys = set(self.selected_keys())
        return [r for r in self.model.rows if r["kind"] == "run" and (r["kind"], r["id"]) in keys]

    def _selection_changed(self, *_) -> None:
        self._update_buttons()
        runs = self.selected_runs()[:MAX_COMPARED]
        self._update_plot(runs)
        self._update_diff()
        for r in runs:
            self._ensure_predictor(r)
        self._update_suggestions()

    def _update_buttons(self) -> None:
        runs = self.selected_runs()
        one = len(runs) == 1
        usable = one and bool(runs[0].get("model_path")) and Path(runs[0]["model_path"]).is_file()
        self.buttons["star"].setEnabled(one)
        self.buttons["use"].setEnabled(usable)
        self.buttons["settings"].setEnabled(one)
        self.buttons["continue"].setEnabled(usable and runs[0]["status"] != "running")
        self.buttons["resume"].setEnabled(one and runs[0]["status"] in ("paused", "interrupted")
                                          and bool(runs[0].get("checkpoint_path")))
        self.buttons["delete"].setEnabled(bool(runs))
        self.buttons["csv"].setEnabled(bool(runs))
        self.buttons["png"].setEnabled(bool(runs))
        self.buttons["pt2"].setEnabled(usable and self._model_export is None)
        self.buttons["onnx"].setEnabled(usable and self._model_export is None)

    # --- compare: curves, settings, suggestions ---------------------------------------------------------------
    def ensure_plot(self):
        if self.compare_plot is None:
            from .compare_plot import ComparePlot

            self.compare_plot = ComparePlot()
            self.plot_host.layout().addWidget(self.compare_plot)
            total = sum(self.lower.sizes()) or 900
            self.lower.setSizes([total * 3 // 5, total - total * 3 // 5])  # the chart was an empty placeholder
        return self.compare_plot

    def _update_plot(self, runs) -> None:
        import storage

        if not runs and self.compare_plot is None:
            return
        series = {run_title(r): storage.get_epochs(self._db(), r["id"]) for r in runs}
        self.ensure_plot().set_runs(series)

    def _update_diff(self, *_) -> None:
        runs = self.selected_runs()[:MAX_COMPARED]
        rows = settings_rows(runs, self.show_all.isChecked())
        self.diff.clear()
        self.diff.setColumnCount(len(runs))
        self.diff.setRowCount(len(rows))
        self.diff.setHorizontalHeaderLabels([run_title(r) for r in runs])
        self.diff.setVerticalHeaderLabels([k for k, _ in rows])
        for i, (_, values) in enumerate(rows):
            for j, v in enumerate(values):
                self.diff.setItem(i, j, QTableWidgetItem("" if v is None else str(v)))
        self.diff.resizeColumnsToContents()

    def _ensure_predictor(self, run: dict) -> None:
        rid = run["id"]
        if rid in self.predictors or rid in self._loading or not run.get("model_path"):
            return
        home = self.home

        def load(progress, should_stop):
            from ..jobs import blends, runs
            from ..core.predict import Predictor

            _, db = runs.open_store(home, write=False)
            run, loaded = runs.load_run_model(db, rid)
            blend = blends.load_blend(run, loaded).blend  # what suggests for the run; its GRU alone without counts
            return Predictor(loaded.model, loaded.vocab, loaded.config, blend=blend)

        self._loading.add(rid)
        self.jobs.start(function_job(load, result=self._predictor_ready, failed=self._predictor_failed, run_id=rid))

    def _predictor_ready(self, worker, predictor) -> None:
        self._loading.discard(worker.run_id)
        self.predictors[worker.run_id] = predictor
        self._update_suggestions()

    def _predictor_failed(self, worker, message: str) -> None:
        self._loading.discard(worker.run_id)
        self.predictors[worker.run_id] = message  # shown in place of suggestions

    def _update_suggestions(self, *_) -> None:
        runs = self.selected_runs()[:MAX_COMPARED]
        text = self.compare_input.text()
        self.compare_table.setColumnCount(4)
        self.compare_table.setHorizontalHeaderLabels(["run", "1st", "2nd", "3rd"])
        self.compare_table.setRowCount(len(runs))
        self._compared = [r["id"] for r in runs]  # row i shows run _compared[i]
        for i, r in enumerate(runs):
            p = self.predictors.get(r["id"])
            source = f" ({'blend' if p.source == 'blend' else 'GRU only'})" if p is not None and not isinstance(p, str) else ""
            self.compare_table.setItem(i, 0, QTableWidgetItem(run_title(r) + source))
            cells = ["loading…", "", ""] if p is None else ([p, "", ""] if isinstance(p, str) else
                     [f"{s.word} ({s.probability:.0%})" for s in p.suggest(text, 3)] + ["", "", ""])
            for j, c in enumerate(cells[:3]):
                self.compare_table.setItem(i, j + 1, QTableWidgetItem(c))
        self.compare_table.resizeColumnsToContents()

    def suggestions_for(self, run_id: int) -> list[str]:
        """The words shown for a run in the side-by-side table (for tests)."""
        if run_id not in self._compared:
            return []
        i = self._compared.index(run_id)
        return [self.compare_table.item(i, j).text().split(" (")[0] for j in (1, 2, 3)]

    # --- actions --------------------------------------------------------------------------------------------
    def toggle_star(self) -> None:
        runs = self.selected_runs()
        if len(runs) == 1:
            self.model.set_starred(self.model.row_for(("run", runs[0]["id"])), not runs[0].get("starred"))

    def use_selected(self) -> None:
        runs = self.selected_runs()
        if len(runs) == 1:
            self.load_in_autocomplete.emit(runs[0]["id"])

    def settings_of_selected(self) -> None:
        runs = self.selected_runs()
        if len(runs) == 1:
            self.open_settings.emit(dict(runs[0]["config"]))

    def resume_selected(self) -> None:
        runs = self.selected_runs()
        if len(runs) == 1:
            self.resume_training.emit(runs[0]["id"])

    def continue_selected(self) -> None:
        runs = self.selected_runs()
        if len(runs) == 1:
            self.continue_training.emit(runs[0]["id"], self.more_epochs.value())

    def delete_selected(self) -> None:
        import storage

        from ..jobs import runs as jobs

        runs = self.selected_runs()
        if not runs:
            return
        names = ", ".join(run_title(r) for r in runs[:5]) + (" …" if len(runs) > 5 else "")
        if not self.confirm(f"Delete {names} with {'their' if len(runs) > 1 else 'its'} model file? This cannot be undone."):
            return
        for r in runs:
            try:
                jobs.delete_run(self._db(), r["id"])
                self.predictors.pop(r["id"], None)
                self.deleted.emit(r["id"])
            except storage.RunIsRunning:
                self.problem.emit("Cannot delete a running run",
                                  f"{run_title(r)} is training right now. Cancel it first (in the window or process that trains it).")
        self.reload()

    def _ask(self, text: str) -> bool:
        return QMessageBox.question(self, "Delete runs", text) == QMessageBox.StandardButton.Yes

    # --- exports ----------------------------------------------------------------------------------------------
    def _save_path(self, title: str, name: str, filt: str) -> str:
        path, _ = QFileDialog.getSaveFileName(self, title, str(Path.home() / name), filt)
        return path

    def choose_csv(self) -> None:
        if path := self._save_path("Export epoch metrics", "runs.csv", "CSV (*.csv)"):
            self.export_csv(path)

    def choose_png(self) -> None:
        if path := self._save_path("Export chart", "runs.png", "PNG image (*.png)"):
            self.export_png(path)

    def choose_model(self, fmt: str) -> None:
        runs = self.selected_runs()
        filters = {"pt2": "torch.export program (*.pt2)", "onnx": "ONNX model (*.onnx)"}
        if runs and (path := self._save_path("Export the model", f"run{runs[0]['id']}.{fmt}", filters[fmt])):
            self.export_model(path, fmt)

    def _export(self, what: str, fn) -> bool:
        from ..core.errors import UserError

        try:
            fn()
            return True
        except UserError as exc:
            self.problem.emit(f"Cannot export {what}", str(exc))
        except OSError as exc:
            self.problem.emit(f"Cannot export {what}", f"{exc.filename or ''}: {exc.strerror or exc}")
        return False

    def export_csv(self, path) -> bool:
        from ..jobs import exports

        ids = [r["id"] for r in self.selected_runs()]
        return self._export("the metrics", lambda: exports.epochs_csv(self._db(), ids, path))

    def export_png(self, path) -> bool:
        return self._export("the chart", lambda: self.ensure_plot().export_png(path))

    def export_model(self, path, fmt: str):
        """Export the selected run's model in the background (torch.export and the parity check take seconds);
        `exported` or `problem` tells how it went. Returns the worker, or None if nothing was started."""
        runs = self.selected_runs()
        if len(runs) != 1 or self._model_export is not None:
            return None
        home, run_id = self.home, runs[0]["id"]

        def work(progress, should_stop):
            from ..jobs import exports, runs as jobs

            _, db = jobs.open_store(home)
            try:
                return exports.export_model(db, run_id, path, fmt).describe()
            finally:
                db.close()

        self._model_export = function_job(work, result=self._model_exported, failed=self._model_export_failed,
                                          ended=self._model_export_ended, path=str(path))
        self.jobs.start(self._model_export)
        self._update_buttons()
        self.exporting.emit(f"exporting run {run_id}'s model to {path} and checking it against PyTorch…")
        return self._model_export

    def _model_exported(self, worker, description: str) -> None:
        self.exported.emit(f"wrote {worker.path}: {description}")

    def _model_export_failed(self, worker, message: str) -> None:
        self.problem.emit("Cannot export the model", message)

    def _model_export_ended(self, worker) -> None:
        self._model_export = None
        self._update_buttons()


def settings_rows(runs: list[dict], show_all: bool) -> list[tuple[str, list]]:
    """(setting, value per run) for the settings that differ between the runs (all of them with show_all)."""
    if not runs:
        return []
    extra = {"corpus": [r.get("corpus") for r in runs], "vocabulary (actual)": [r.get("vocab_size") for r in runs],
             "parent run": [r.get("parent_run_id") for r in runs]}
    from ..core.config import stored_settings

    # A run stored before a setting existed was made with its legacy value (e.g. untied), not "missing".
    configs = [stored_settings(r["config"]) if r.get("config") else {} for r in runs]
    keys = sorted({k for c in configs for k in c})
    rows = list(extra.items()) + [(k, [setting_text(c, k) for c in configs]) for k in keys]
    return [(k, v) for k, v in rows if show_all or len({repr(x) for x in v}) > 1]


def setting_text(config: dict, key: str):
    """A stored setting as the diff shows it: epochs 0 is "auto"; the time budget only counts for Epochs auto
    (runs with a number of epochs, and runs from before the budget existed, show "not used")."""
    value = config.get(key)
    if key == "epochs" and value == 0:
        return "auto"
    if key == "budget":
        if config.get("epochs", 1) != 0:
            return "not used"
        return f"{value:g} s" if isinstance(value, (int, float)) else value
    return value
