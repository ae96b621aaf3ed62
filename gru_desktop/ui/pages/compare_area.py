"""The Runs page's compare area (`compareSplitter`): for the selected runs, their curves overlaid, the settings
that differ, and their suggestions for the same text side by side.

Nothing heavy runs on the GUI thread (design §3): the epochs are read and the settings diffed by a worker with
its own database connection (`jobs.compare`), the chart draws one run per event-loop turn into reused curves,
and at most `MAX_COMPARED` runs are shown — the area says so when more are selected. `compared` is emitted
once the chart and the diff show the current selection.
"""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ...jobs.compare import MAX_COMPARED, compared
from ..workers.threads import function_job, read_job
from .runs_model import run_title

SELECTION_SETTLE_MS = 60  # a selection being dragged or extended by keys is compared once it settles


class CompareArea(QSplitter):
    compared = Signal()  # the chart and the settings diff show the current selection

    def __init__(self, jobs, home=None, parent=None):
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setObjectName("compareSplitter")
        self.jobs, self.home = jobs, home
        self.plot = None  # ComparePlot, on the page from the first comparison on (pyqtgraph)
        self._building = None  # the ComparePlot built ahead, step by step (build_plot_step)
        self.runs: list[dict] = []  # the runs shown (at most MAX_COMPARED)
        self.predictors: dict[int, object] = {}  # run id -> Predictor (or why it cannot be used)
        self._compared: list[int] = []  # the run shown in each row of the side-by-side table
        self._loading: set[int] = set()
        self._job = None  # the worker reading the current selection's curves and settings
        self._waiting = False  # for that worker's result
        self._comparison = None
        self._note = ""  # what to say about the selected runs not compared (compared()), shown with the comparison
        self._diff_runs: list[dict] = []  # the runs whose settings the diff shows
        self._settle = QTimer(self, singleShot=True, interval=SELECTION_SETTLE_MS)
        self._settle.timeout.connect(self._start)
        self._draw_timer = QTimer(self, interval=0)  # one curve per event-loop turn
        self._draw_timer.timeout.connect(self._draw_next)
        self._build()

    def _build(self) -> None:
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        self.note = QLabel(objectName="compareNote", wordWrap=True)
        self.note.setStyleSheet("color: gray;")
        self.note.setVisible(False)
        lv.addWidget(self.note)
        self.plot_host = QWidget()
        QVBoxLayout(self.plot_host).setContentsMargins(0, 0, 0, 0)
        lv.addWidget(self.plot_host, 1)
        self.addWidget(left)
        side = QWidget()
        sv = QVBoxLayout(side)
        sv.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        head.addWidget(QLabel("<b>Settings</b>"))
        self.show_all = QCheckBox("show all", objectName="showAllSettings", toolTip="also the settings that are the same")
        self.show_all.toggled.connect(self._show_diff)
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
        self.addWidget(side)
        self.setStretchFactor(0, 3)
        self.setStretchFactor(1, 2)

    def build_plot_step(self) -> bool:
        """One step of building the chart ahead of the first comparison (the window's start-up runs one per
        event-loop turn); False once built. It is placed on the page when a comparison first needs it."""
        if self.plot is not None:
            return False
        if self._building is None:
            from ..widgets.compare_plot import ComparePlot

            self._building = ComparePlot(staged=True)
            return True
        return self._building.build_next()

    def ensure_plot(self):
        if self.plot is None:
            from ..widgets.compare_plot import ComparePlot

            self.plot = (self._building or ComparePlot(staged=True)).complete()
            self._building = None
            self.plot_host.layout().addWidget(self.plot)
            total = sum(self.sizes()) or 900
            self.setSizes([total * 3 // 5, total - total * 3 // 5])  # the chart was an empty placeholder
        return self.plot

    # --- the selection ------------------------------------------------------------------------------------
    def show_runs(self, runs: list[dict]) -> None:
        """Compare these runs (all the selected ones, in the table's order): the first MAX_COMPARED."""
        shown, self._note = compared(runs)
        self.runs = shown
        self._settle.start()

    def _show_note(self) -> None:
        """The note on how many runs are compared, shown with the comparison it is about: showing or hiding it
        resizes the chart, which then repainted the old curves too (~30–45 ms with 8 runs, busy machine)."""
        self.note.setText(self._note)
        self.note.setVisible(bool(self._note))

    def _start(self) -> None:
        runs, home = [dict(r) for r in self.runs], self.home
        if self._job is not None:
            self._job.stop_event.set()  # superseded: its result is ignored
        if not runs and self.plot is None:
            self._job, self._waiting, self._comparison = None, False, None
            self._show_note()
            self._show_diff()
            self._update_suggestions()
            self.compared.emit()
            return

        from ...jobs.compare import compare_data

        self._job = read_job(home, lambda db: compare_data(db, runs), result=self._ready, failed=self._failed,
                             runs=runs)
        self._waiting = True
        self.jobs.start(self._job)
        for r in runs:
            self._ensure_predictor(r)
        self._update_suggestions()

    def _ready(self, worker, comparison) -> None:
        if worker is not self._job:
            return
        self._waiting = False
        self._comparison, self._diff_runs = comparison, worker.runs
        self._show_diff()
        if comparison.series or self.plot is not None:
            self.ensure_plot().begin(comparison.series)  # holds the chart's repaints until its last curve
        self._show_note()
        self._draw_next()

    def _failed(self, worker, message: str) -> None:
        if worker is self._job:
            self._waiting = False
            self.note.setText(f"Cannot compare these runs: {message}")
            self.note.setVisible(True)
            self.compared.emit()

    def _draw_next(self) -> None:
        if self.plot is not None and self.plot.draw_next():
            self._draw_timer.start()
            return
        self._draw_timer.stop()
        self.compared.emit()

    @property
    def busy(self) -> bool:
        """A comparison is still being read or drawn."""
        return self._settle.isActive() or self._draw_timer.isActive() or self._waiting

    def finish(self) -> None:
        """Draw what is left at once (before exporting the chart)."""
        if self.plot is not None:
            self.plot.finish()
        self._draw_timer.stop()

    def _show_diff(self, *_) -> None:
        c = self._comparison
        rows = [] if c is None else (c.every if self.show_all.isChecked() else c.differ)
        titles = [run_title(r) for r in (self._diff_runs if c is not None else [])]
        self.diff.clear()
        self.diff.setColumnCount(len(titles))
        self.diff.setRowCount(len(rows))
        self.diff.setHorizontalHeaderLabels(titles)
        self.diff.setVerticalHeaderLabels([k for k, _ in rows])
        for i, (_, values) in enumerate(rows):
            for j, v in enumerate(values):
                self.diff.setItem(i, j, QTableWidgetItem("" if v is None else str(v)))
        self.diff.resizeColumnsToContents()

    # --- suggestions side by side -----------------------------------------------------------------------------
    def _ensure_predictor(self, run: dict) -> None:
        rid = run["id"]
        if rid in self.predictors or rid in self._loading or not run.get("model_path") or run.get("model_missing"):
            if run.get("model_missing"):
                self.predictors.setdefault(rid, "the model file is missing")
            return
        home = self.home

        def load(progress, should_stop):
            from ...core.predict import Predictor
            from ...jobs import blends, runs

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
        self._update_suggestions()

    def forget(self, run_id: int) -> None:
        self.predictors.pop(run_id, None)

    def _update_suggestions(self, *_) -> None:
        runs = self.runs
        text = self.compare_input.text()
        self.compare_table.setColumnCount(4)
        self.compare_table.setHorizontalHeaderLabels(["run", "1st", "2nd", "3rd"])
        self.compare_table.setRowCount(len(runs))
        self._compared = [r["id"] for r in runs]  # row i shows run _compared[i]
        for i, r in enumerate(runs):
            p: Any = self.predictors.get(r["id"])  # a Predictor, a message (str), or None while loading
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


__all__ = ["CompareArea", "MAX_COMPARED"]
