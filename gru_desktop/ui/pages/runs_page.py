"""The Runs page: every run in a sortable, filterable table that follows the RunsStore (also runs trained by
the CLI in another process), and for the selected runs: their curves overlaid, the settings that differ, their
suggestions for the same text side by side. The actions on the selection: `RunActions` (run_actions.py)."""
from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..workers.runs_store import RunsStore
from ..workers.threads import BackgroundJobs, FunctionWorker, read_job
from .cache_button import TokenCacheButton
from .compare_area import CompareArea
from .privacy import PrivacyAudit
from .run_actions import USE_TIP, RunActions
from .runs_model import RunsFilter, RunsTableModel


class RunsPage(QWidget):
    load_in_autocomplete = Signal(int)  # run id
    open_settings = Signal(dict)  # the run's config
    continue_training = Signal(int, int)  # run id, epochs
    resume_training = Signal(int)  # run id: a paused or interrupted run, resumed as itself
    problem = Signal(str, str)  # title, message: shown by the window
    deleted = Signal(int)  # run id
    exporting = Signal(str)  # a model export started: for the status bar until it ends
    exported = Signal(str)  # what was written: for the status bar
    use_elsewhere = Signal(int)  # run id: the window opens *Use it elsewhere…* (serve, n-gram exports) for it
    refreshed = Signal()  # the table shows what was stored when the last refresh() was asked (or says why not)

    def __init__(self, jobs: BackgroundJobs, store: RunsStore, home=None, parent=None):
        super().__init__(parent)
        self.jobs, self.store, self.home = jobs, store, home
        self.confirm = self._ask  # replaced in tests
        self.started = False  # start() ran: the table follows the store
        self._fetch: FunctionWorker | None = None  # the worker reading the runs table, and whether to read again after it
        self._fetch_again = False
        self._selected: list[tuple[str, int]] = []  # the selection's keys, in the table's order
        self.privacy = PrivacyAudit(jobs, home, self)  # Privacy… and the warning before a model export
        self.run_actions = RunActions(self)  # star, delete, exports…: on the selected runs
        self._build()
        store.runs_changed.connect(self._runs_changed)
        self.privacy.audited.connect(lambda run_id: self.refresh())

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
            ("star", "★", "mark as your reference run (S)", self.run_actions.toggle_star),
            ("use", "Autocomplete", USE_TIP, self.run_actions.use_selected),
            ("settings", "Settings", "put this run's settings into the form on the left", self.run_actions.settings_of_selected),
            ("resume", "Resume", "continue this paused or interrupted run exactly where it stopped, as the same run",
             self.run_actions.resume_selected),
            ("continue", "Continue", "train this run's model for more epochs: a new run that records its parent",
             self.run_actions.continue_selected),
            ("privacy", "Privacy…", "what this run's model memorised: exposure of secret-like text in its training "
             "text, extraction, canaries (design §17)", self.privacy_of_selected),
            ("delete", "Delete", "delete the selected runs and their model files (Del)", self.run_actions.delete_selected),
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
        delete = self.buttons.pop("delete")
        export.addWidget(delete)
        self.buttons["delete"] = delete
        export.addSpacing(12)
        export.addWidget(QLabel("Export:"))
        for name, text, slot, tip in (
            ("csv", "Metrics CSV…", self.run_actions.choose_csv, "every epoch of the selected runs"),
            ("png", "Chart PNG…", self.run_actions.choose_png, "the compare chart"),
            ("pt2", "Model .pt2…", lambda: self.run_actions.choose_model("pt2"), "the run's model for torch.export.load"),
            ("onnx", "Model ONNX…", lambda: self.run_actions.choose_model("onnx"), "the run's model as ONNX, checked in onnxruntime"),
            ("ngrams", "N-grams / serve…", self._use_elsewhere,
             "the run's n-grams as ARPA or a Presage database, or serve it to editors (Use it elsewhere…)"),
        ):
            b = QPushButton(text, objectName=f"export{name.capitalize()}Button", toolTip=tip)
            b.clicked.connect(slot)
            export.addWidget(b)
            self.buttons[name] = b
        export.addStretch(1)
        self.cache_button = TokenCacheButton(self.jobs, self.home)
        self.cache_button.cleared.connect(self.exported)
        self.cache_button.problem.connect(self.problem)
        export.addWidget(self.cache_button)
        layout.addLayout(bar)
        layout.addLayout(export)

        self.model = RunsTableModel(lambda run_id, fields: self.store.update_run(run_id, **fields), self)
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
        self.table.setWordWrap(False)
        # The header paints each section asking whether its whole column is selected: flags() of every row,
        # per visible column, per repaint (select-all over 1,000 runs: 10,136 calls, ~100 ms). It gets a
        # selection model of its own, always empty: runs are selected by row, columns never are.
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setSelectionModel(QItemSelectionModel(self.proxy, header))
        self._sized = False
        # Filter once typing pauses (150 ms), not per key: each filter pass visits every run.
        self._filter_timer = QTimer(self, singleShot=True, interval=150)
        self._filter_timer.timeout.connect(lambda: self.proxy.set_text(self.filter_edit.text()))
        self.filter_edit.textChanged.connect(self._filter_timer.start)
        self.status_combo.currentTextChanged.connect(
            lambda t: self.proxy.set_status("" if t == "all statuses" else t))
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.model.modelReset.connect(self._restore_selection)
        QShortcut(QKeySequence.StandardKey.Delete, self.table, self.run_actions.delete_selected)
        QShortcut(QKeySequence("S"), self.table, self.run_actions.toggle_star)

        self.compare = CompareArea(self.jobs, self.home)
        self.lower: CompareArea = self.compare  # type: ignore[assignment]  # QWidget.lower: not used
        # the compare area's parts, under the names tests and the window use
        self.diff, self.show_all = self.compare.diff, self.compare.show_all
        self.compare_input, self.compare_table = self.compare.compare_input, self.compare.compare_table
        self.predictors, self.suggestions_for = self.compare.predictors, self.compare.suggestions_for

        split = QSplitter(Qt.Orientation.Vertical, objectName="runsSplitter")
        split.addWidget(self.table)
        split.addWidget(self.compare)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        layout.addWidget(split, 1)
        self.run_actions.update_buttons()

    # --- live updates -------------------------------------------------------------------------------------
    def start(self) -> None:
        """Load the table and follow the store (called once the window is up)."""
        self.started = True
        self.store.start()  # watch for other connections' commits (once)
        self.refresh()
        self.cache_button.refresh()

    def startup_steps(self):
        """The window's start-up, a step per event-loop turn: the table, then the compare chart a plot at a time."""
        self.start()
        yield
        while self.compare.build_plot_step():
            yield

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.started:  # the cache may have grown (CLI runs, the queue) since
            self.cache_button.refresh()

    def _runs_changed(self, ids) -> None:
        """The store wrote, or another connection (a training thread, the CLI) committed: read again."""
        if self.started:
            self.refresh()

    def refresh(self) -> None:
        """Read the runs in a worker with its own connection, then show them; `refreshed` once a read that began
        after this call has ended (a read already running is followed by one more)."""
        if self._fetch is not None:
            self._fetch_again = True
            return
        from ...jobs.run_table import table_rows

        self._fetch = read_job(self.home, table_rows, result=self._fetched_rows, failed=self._fetch_failed,
                               ended=self._fetched)
        self.jobs.start(self._fetch)

    def _fetched_rows(self, worker, rows: list[dict]) -> None:
        self._show_rows(rows)

    def _fetch_failed(self, worker, message: str) -> None:
        self.summary.setText(f"cannot read the runs: {message}")

    def _fetched(self, worker) -> None:
        self._fetch = None
        if self._fetch_again:
            self._fetch_again = False
            self.refresh()
        else:
            self.refreshed.emit()

    def _show_rows(self, rows: list[dict]) -> None:
        keys, before = self._selected, self.selected_runs()
        self.model.apply(rows)
        if not self._sized and self.model.rows:
            self._size_columns()  # once: later the user's column widths stay
            self._sized = True
        n = sum(1 for r in self.model.rows if r["kind"] == "run")
        self.summary.setText(f"{n} run{'s' if n != 1 else ''}")
        if keys != self.selected_keys():  # a reset lost it
            self.select_keys(keys)
        self._selected = self.selected_keys()
        if self.selected_runs() != before:  # compare again only when the selected runs changed
            self._selection_changed()
        else:
            self.run_actions.update_buttons()

    def _size_columns(self, rows: int = 40, most: int = 320) -> None:
        """Column widths from the header and the first `rows` rows' texts, measured here in one pass over the
        prepared cells (resizeColumnsToContents asks data() for every role of every cell it measures:
        ~140 ms for 40 rows under load)."""
        from PySide6.QtGui import QFontMetrics

        cells = QFontMetrics(self.table.font())
        head = QFontMetrics(self.table.horizontalHeader().font())
        pad = 2 * self.table.style().pixelMetric(self.table.style().PixelMetric.PM_FocusFrameHMargin) + 12
        for column, title in enumerate(self.model.headers):
            texts = [r["_cells"][column] for r in self.model.rows[:rows]]
            width = max([head.horizontalAdvance(title) + 24] + [cells.horizontalAdvance(t) for t in texts])
            self.table.setColumnWidth(column, min(width + pad, most))

    def _restore_selection(self) -> None:
        self.select_keys(self._selected)

    def select_keys(self, keys) -> None:
        from PySide6.QtCore import QItemSelection

        sel = self.table.selectionModel()
        selection = QItemSelection()
        last = self.proxy.columnCount() - 1
        for key in keys:
            row = self.model.row_for(key)
            if row is not None:
                index = self.proxy.mapFromSource(self.model.index(row, 0))
                if index.isValid():
                    selection.select(index, index.siblingAtColumn(last))
        sel.select(selection, sel.SelectionFlag.ClearAndSelect)

    def select_runs(self, run_ids) -> None:
        self.select_keys([("run", i) for i in run_ids])

    # --- selection ----------------------------------------------------------------------------------------
    def selected_keys(self) -> list[tuple[str, int]]:
        """The selected rows' keys in the table's order: read from the selection's row ranges, never cell by
        cell (selectedRows() asks flags() of every cell, and mapSelectionToSource maps every cell: seconds and
        ~100 ms for 1,000 and 10 runs)."""
        proxy = self.proxy
        ranges = self.table.selectionModel().selection()
        proxy_rows = {r for i in range(ranges.count()) for r in range(ranges.at(i).top(), ranges.at(i).bottom() + 1)}
        rows = sorted(proxy.mapToSource(proxy.index(r, 0)).row() for r in proxy_rows)
        model_rows = self.model.rows
        return [(model_rows[r]["kind"], model_rows[r]["id"]) for r in rows if r < len(model_rows)]

    def selected_runs(self) -> list[dict]:
        keys = set(self._selected)
        return [r for r in self.model.rows if r["kind"] == "run" and (r["kind"], r["id"]) in keys]

    def _selection_changed(self, *_) -> None:
        self._selected = self.selected_keys()
        self.run_actions.update_buttons()
        self.compare.show_runs(self.selected_runs())

    def privacy_of_selected(self) -> None:
        runs = self.selected_runs()
        worker = self.privacy.audit(runs[0]["id"]) if len(runs) == 1 else None
        if worker is not None:
            worker.ended.connect(lambda *_: self.run_actions.update_buttons())
            self.run_actions.update_buttons()

    def _ask(self, text: str) -> bool:
        return QMessageBox.question(self, "Delete runs", text) == QMessageBox.StandardButton.Yes

    def _use_elsewhere(self) -> None:
        runs = self.selected_runs()
        if len(runs) == 1:
            self.use_elsewhere.emit(runs[0]["id"])

    @property
    def compare_plot(self):
        return self.compare.plot

    def ensure_plot(self):
        return self.compare.ensure_plot()
