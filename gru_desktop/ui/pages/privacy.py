"""The Runs page's *Privacy…* (design §17): a run's memorisation audit, computed in a worker (jobs/audit.py,
seconds) and shown in a dialog — the most exposed secret-like spans of its text (masked), how much of the
training text its suggestions reproduce against counting alone, and its canaries — and the warning before a
model export when the run's kept audit found exposed text. Secrets arrive masked: the dialog never sees one.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QMessageBox,
    QProgressBar,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..workers.threads import FunctionWorker, function_job

SPAN_COLUMNS = ("Exposure (bits)", "Among known numbers", "Kind", "Secret (masked)", "Where", "Times",
                "Outside vocabulary")
CANARY_COLUMNS = ("Repetitions", "Canary (masked)", "Exposure (bits)", "Per epoch")


class PrivacyDialog(QDialog):
    """The audit of one run: a busy bar while it is computed, then the spans, extraction and canaries."""

    def __init__(self, run_id: int, parent: QWidget | None = None):
        super().__init__(parent, objectName="privacyDialog", windowTitle=f"Privacy — what run {run_id} memorised")
        self.run_id = run_id
        layout = QVBoxLayout(self)
        self.summary = QLabel(f"Auditing run {run_id}: scoring each secret-like span of its text against 1,000 "
                              "random ones of the same format…", objectName="privacySummary", wordWrap=True)
        self.busy = QProgressBar(objectName="privacyBusy", maximum=0)  # no end known: a moving bar
        self.spans = self._table("privacySpans", SPAN_COLUMNS)
        self.extraction = QLabel(objectName="privacyExtraction", wordWrap=True)
        self.canaries = self._table("privacyCanaries", CANARY_COLUMNS)
        self.notes = QLabel(objectName="privacyNotes", wordWrap=True)
        self.notes.setStyleSheet("color: #666")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        for w in (self.summary, self.busy, self.spans, self.extraction, self.canaries, self.notes, buttons):
            layout.addWidget(w)
        self.spans.hide()
        self.canaries.hide()
        self.resize(900, 560)

    @staticmethod
    def _table(name: str, columns: tuple[str, ...]) -> QTableWidget:
        t = QTableWidget(0, len(columns), objectName=name)
        t.setHorizontalHeaderLabels(list(columns))
        t.verticalHeader().hide()
        t.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        t.horizontalHeader().setStretchLastSection(True)
        return t

    def show_failure(self, message: str) -> None:
        self.busy.hide()
        self.summary.setText(f"The audit could not be done: {message}")

    def show_result(self, result: dict) -> None:
        self.busy.hide()
        spans = result["spans"]
        exposed = result["exposed"]
        verdict = (f"<b>{exposed} exposed</b> (≥ {result['exposed_bits']:g} bits: the model all but names them)"
                   if exposed else "none exposed")
        self.summary.setText(
            f"{result['found']:,} distinct secret-like spans (e-mail addresses, numbers of 4+ digits, IBAN-like "
            f"codes, URLs with tokens) in run {result['run_id']}'s text; {len(spans)} scored, {verdict}. Exposure "
            f"(Carlini et al. 2019): how far the model prefers the real span to {result['candidates']:,} random ones "
            f"of the same format after the same words — 0 bits: not at all; {spans[0]['max_exposure'] if spans else 10:.1f}"
            " bits: above all of them. A span whose words are in the model's vocabulary is listed in the model "
            "file itself; \"among known numbers\" ranks it against numbers the model has words for.")
        self.spans.setRowCount(len(spans))
        for r, s in enumerate(spans):
            known = "—" if s.get("known_exposure") is None else f"{s['known_exposure']:.2f} / {s['known_max_exposure']:.2f}"
            self._row(self.spans, r, [f"{s['exposure']:.2f} / {s['max_exposure']:.2f}", known, s["kind"], s["masked"],
                                      f"{s['file']}:{s['line']}", str(s.get("occurrences", 1)),
                                      str(s.get("unknown_tokens", 0)) + " tokens"],
                      warn=s["exposure"] >= result["exposed_bits"])
        self.spans.setVisible(bool(spans))
        ex = result["extraction"]
        if ex["sentences"]:
            counts = "—" if ex["counts"] is None else f"{ex['counts']:.1%}"
            self.extraction.setText(
                f"Extraction: from the first half of {ex['sentences']} training sentences, the network's own top "
                f"suggestions write the second half exactly for <b>{ex['gru']:.1%}</b>; the Kneser–Ney counts alone "
                f"for {counts}. The difference is what the network memorised beyond counting.")
        else:
            self.extraction.setText("Extraction: not measured (it needs the text the run was trained on).")
        canaries = result["canaries"]
        self.canaries.setRowCount(len(canaries))
        for r, c in enumerate(canaries):
            trail = " → ".join(f"{x:.1f}" for x in c.get("per_epoch", []))
            self._row(self.canaries, r, ["never (control)" if c["reps"] == 0 else f"{c['reps']}×", c["masked"],
                                         f"{c['exposure']:.2f} / {c['max_exposure']:.2f}", trail])
        self.canaries.setVisible(bool(canaries))
        if not canaries:
            self.notes.setText("No canaries: train with `gru-desktop train --canaries N` to measure how fast this "
                               "model memorises a secret seen 1, 4 or 16 times.")
        self.notes.setText("\n".join([self.notes.text()] * bool(self.notes.text()) + result["notes"]))

    @staticmethod
    def _row(table: QTableWidget, r: int, values: list[str], warn: bool = False) -> None:
        for c, v in enumerate(values):
            item = QTableWidgetItem(v)
            if warn:
                item.setForeground(Qt.GlobalColor.darkRed)
            table.setItem(r, c, item)


class PrivacyAudit(QObject):
    """Owns the audit worker and its dialog for the Runs page; `export_allowed` is the warning before an
    export. `ask(title, text) -> bool` is replaced in tests."""

    audited = Signal(int)  # run id: its row now carries the audit (the page refreshes)
    problem = Signal(str, str)

    def __init__(self, jobs, home, parent: QWidget):
        super().__init__(parent)
        self.jobs, self.home, self.window = jobs, home, parent
        self.worker: FunctionWorker | None = None
        self.dialog: PrivacyDialog | None = None
        self.ask = self._ask

    def audit(self, run_id: int) -> FunctionWorker | None:
        """Open the dialog for `run_id` and audit it in the background; the worker (None if one is running)."""
        if self.worker is not None:
            return None
        home = self.home
        self.dialog = PrivacyDialog(run_id, self.window)
        self.dialog.show()

        def work(progress, should_stop):
            from ...jobs.audit import audit_run
            from ...jobs.runs import open_store

            _, db = open_store(home)
            try:
                return audit_run(db, run_id, should_stop=should_stop)
            finally:
                db.close()

        self.worker = function_job(work, result=self._done, failed=self._failed, ended=self._ended,
                                   run_id=run_id, dialog=self.dialog)
        self.jobs.start(self.worker)
        return self.worker

    def _done(self, worker, result: dict) -> None:
        worker.dialog.show_result(result)
        self.audited.emit(worker.run_id)

    def _failed(self, worker, message: str) -> None:
        worker.dialog.show_failure(message)

    def _ended(self, worker) -> None:
        self.worker = None

    def export_allowed(self, run: dict) -> bool:
        """True unless the run's kept audit found exposed text and the user chose not to export it."""
        from ...jobs.audit import summary_text

        warning = summary_text(run.get("audit"), run["id"])
        if warning is None:
            return True
        return self.ask("Export a model that exposes secrets?",
                        f"{warning}.\n\nWhoever gets the exported model can draw these out of it. Export anyway?")

    def _ask(self, title: str, text: str) -> bool:
        return QMessageBox.warning(self.window, title, text, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                   QMessageBox.StandardButton.No) == QMessageBox.StandardButton.Yes
