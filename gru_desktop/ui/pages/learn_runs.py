"""The Learn page's run picker (`learnRunCombo`): the run whose training and model the questions ask about.

It lists the runs that have a model in a worker (`model_choices`), keeps the chosen one across listings, else
picks the latest completed; with no run yet it offers only "no run yet" (questions from the corpus and the
settings alone). `listed` after each listing, `failed(message)` when the runs cannot be read.
"""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QWidget

from ..workers.threads import BackgroundJobs, FunctionWorker, read_job

NO_RUN = -1  # the item when there is no run yet


class LearnRunPicker(QComboBox):
    listed = Signal()  # the runs are listed again
    failed = Signal(str)  # why they could not be listed

    def __init__(self, jobs: BackgroundJobs, home, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("learnRunCombo")
        self.setToolTip("the run whose training and model the questions ask about")
        self.setMinimumContentsLength(20)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.addItem("no run yet: questions from the corpus and settings", NO_RUN)
        self.jobs, self.home = jobs, home
        self.runs: dict[int, dict] = {}  # the runs listed, by id (their rows: label, status, corpus_sha256, …)
        self._worker: FunctionWorker | None = None

    def refresh(self) -> None:
        """List the runs with a model (in a worker), keep the chosen one, else pick the latest completed."""
        from ...jobs.run_table import model_choices

        if self._worker is not None:
            self._worker.stop_event.set()  # superseded: its result is ignored
        self._worker = read_job(self.home, model_choices, result=self._listed, failed=self._failed)
        self.jobs.start(self._worker)

    def _listed(self, worker, rows: list[dict]) -> None:
        if worker is not self._worker:
            return
        current = self.currentData()
        self.clear()
        self.runs = {r["id"]: r for r in rows}
        for r in rows:
            self.addItem(r["label"], r["id"])
        if not rows:
            self.addItem("no run yet: questions from the corpus and settings (train one for more)", NO_RUN)
        if current not in self.runs:
            completed = [r["id"] for r in rows if r["status"] == "completed"]
            current = completed[0] if completed else (rows[0]["id"] if rows else NO_RUN)
        self.setCurrentIndex(self.findData(current))
        self.listed.emit()

    def _failed(self, worker, message: str) -> None:
        if worker is self._worker:
            self.failed.emit(message)

    def selected_run(self) -> int | None:
        data = self.currentData()
        return None if data in (None, NO_RUN) else int(data)
