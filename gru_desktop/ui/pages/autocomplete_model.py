"""The Autocomplete page's model picker, an object the page owns (`page.picker`): which trained run suggests
(listed and loaded with its blend in workers), what suggests with it — the fitted blend of the GRU with counts,
or one part alone — and the run's typing-quality numbers (scored in a worker the first time).

It owns the run and source pickers (`runCombo`, `sourceCombo`) and the status line (`modelStatus`); the page
lays them out. It tells the page what happened by its signals and never touches the page: `loaded(run id)` once
`predictor` is ready, `failed(why)` when the picked run cannot suggest, `source_changed` when the user picks
what suggests, `quality_changed` when the run's numbers (or their state) changed. Its words are in
`autocomplete_text.py`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QComboBox, QLabel

from ..workers.threads import FunctionWorker, function_job, read_job
from .autocomplete_text import SOURCE_TIP, elide, quality_text, weights_text
from .runs_model import run_title

if TYPE_CHECKING:  # torch loads after the window paints (design §3): the predictor's type only for mypy
    from ...core.predict import Predictor

class ModelPicker(QObject):
    loaded = Signal(int)  # run id: `predictor` and `run` are the run's now
    failed = Signal(str)  # why the picked run cannot be used (`predictor` and `run` are None now)
    listed = Signal()  # the runs are listed again (refresh_runs), whatever came of it
    source_changed = Signal(str)  # the user picked what suggests ("blend", "gru", "counts"): show it at once
    quality_changed = Signal()  # the run's typing-quality numbers, or their state (computing, failed), changed
    evaluated = Signal(int)  # run id whose typing-quality numbers are now stored

    def __init__(self, jobs, home, parent: QObject | None = None):
        super().__init__(parent)
        self.jobs, self.home = jobs, home
        self.run: dict | None = None  # the loaded run's row
        self.predictor: Predictor | None = None  # the loaded run's, with its blend (None: nothing loaded)
        self.blend_reason = ""  # why the loaded run has no blend ("" when it has one)
        self.blend_note = ""  # a remark on a blend it has (fitted for this session only: not stored)
        self.wanted_source = "blend"  # the user's last choice, kept across runs where it is available
        self.quality_error = ""  # why the typing-quality numbers could not be computed ("" when they could)
        self._list_worker: FunctionWorker | None = None
        self._load_worker: FunctionWorker | None = None
        self._eval_worker: FunctionWorker | None = None
        self.run_combo = QComboBox(objectName="runCombo")
        self.run_combo.setMinimumContentsLength(24)
        self.run_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.run_combo.activated.connect(self._combo_activated)
        self.source_combo = QComboBox(objectName="sourceCombo", toolTip=SOURCE_TIP)
        self.source_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.source_combo.activated.connect(self._source_activated)
        self.model_status = QLabel(objectName="modelStatus", wordWrap=True)
        self._fill_sources()

    # --- listing and loading ----------------------------------------------------------------------------
    def refresh_runs(self, select: int | None = None) -> None:
        """List the runs that have a model (in a worker: with 1,000 runs this took 95–650 ms here); then select
        `select`, else keep the current one, else the latest completed, and load it. `listed` then."""
        current = select if select is not None else (self.run["id"] if self.run else None)
        from ...jobs.run_table import model_choices, why_not_offered

        def read(db) -> tuple[list[dict], str]:
            rows = model_choices(db)
            offered = select is None or any(r["id"] == select for r in rows)
            return rows, "" if offered or select is None else why_not_offered(db, select)

        if self._list_worker is not None:
            self._list_worker.stop_event.set()  # superseded: its result is ignored
        self._list_worker = read_job(self.home, read, result=self._runs_listed, failed=self._listing_failed,
                                     current=current, select=select)
        self.jobs.start(self._list_worker)

    def _listing_failed(self, worker, message: str) -> None:
        if worker is self._list_worker:
            self.model_status.setText(f"Cannot list the runs: {message}")
            self.listed.emit()

    def _runs_listed(self, worker, listed: tuple[list[dict], str]) -> None:
        current, select = worker.current, worker.select  # as asked when listing began
        if worker is not self._list_worker:
            return
        rows, why_not = listed
        self.run_combo.blockSignals(True)
        self.run_combo.clear()
        for r in rows:
            self.run_combo.addItem(r["label"], r["id"])
        self.run_combo.blockSignals(False)
        if not rows:
            self.model_status.setText("No trained model yet: train one on the left, then type here.")
            self.listed.emit()
            return
        ids = [r["id"] for r in rows]
        if select is not None and select not in ids:  # asked for a run that cannot suggest: say so, change nothing
            self.run_combo.setCurrentIndex(ids.index(self.run["id"]) if self.run and self.run["id"] in ids else -1)
            self.model_status.setText(f"run {select} has no model that can suggest ({why_not}); "
                                      + ("still showing the run above" if self.run else "pick a run above"))
            self.listed.emit()
            return
        if current not in ids:
            completed = [r["id"] for r in rows if r["status"] == "completed"]
            current = completed[0] if completed else ids[0]
        self.run_combo.setCurrentIndex(ids.index(current))
        if not self.run or self.run["id"] != current or select is not None:
            self.load_run(current)
        self.listed.emit()

    def _combo_activated(self, index: int) -> None:
        run_id = self.run_combo.itemData(index)
        if run_id is not None:
            self.load_run(run_id)

    def load_run(self, run_id: int) -> None:
        """Load the run's model and its blend in a worker (fitting the blend from the run's text for a run
        trained before blends); `loaded` or `failed` then."""
        home = self.home

        def load(progress, should_stop):
            import storage

            from ...jobs import blends, runs

            _, db = runs.open_store(home, write=False)  # works on a read-only folder too
            run, loaded = runs.load_run_model(db, run_id)
            state = blends.ensure_blend(db, run, loaded, should_stop)  # may fit it from the run's text (old runs)
            return storage.get_run(db, run_id), loaded, state

        worker = function_job(load, result=self._loaded, failed=self._load_failed, crashed=self._load_crashed,
                              run_id=run_id)
        if self._load_worker is not None:  # superseded: its result is ignored, so stop fitting a blend for it
            self._load_worker.stop_event.set()
        self._load_worker = worker
        self.model_status.setText(f"loading run {run_id} and its counts (fitted now if the run has none yet)…")
        self.jobs.start(worker)

    def _loaded(self, worker, result) -> None:
        if worker is not self._load_worker:
            return
        from ...core.predict import Predictor

        run, loaded, state = result
        self.run = run
        self.blend_reason = "" if state.blend is not None else state.reason
        self.blend_note = state.reason if state.blend is not None else ""  # e.g. fitted for this session only
        self.quality_error = ""
        self.predictor = Predictor(loaded.model, loaded.vocab, loaded.config, blend=state.blend, source="gru")
        self._fill_sources()
        cfg = loaded.config
        self.model_status.setText(
            f"{run_title(run)}: L {cfg.seq_len}, E {cfg.embed_dim}, H {cfg.hidden_size}, "
            f"{cfg.layers} layer(s), V {len(loaded.vocab):,}; best epoch {run.get('best_epoch')}."
            + (f" Counts: {self.blend_note}." if self.blend_note else
               f" Counts unusable, so the GRU alone suggests: {self.blend_reason}." if self.blend_reason else ""))
        if run.get("eval_perplexity") is None or (state.blend is not None and run.get("eval_source") != "blend"):
            self.evaluate_run(run["id"])  # none yet, or numbers from before the run had its blend
        self.loaded.emit(run["id"])

    def _load_failed(self, worker, message: str) -> None:
        if worker is not self._load_worker:
            return
        self.predictor, self.run = None, None
        self._fill_sources()
        self.model_status.setText(f"<span style='color:#c62828'>This run cannot be used: {message}</span>")
        self.failed.emit(message)

    def _load_crashed(self, text: str) -> None:
        self._load_failed(self._load_worker, text.strip().splitlines()[-1])

    # --- what suggests: blend, GRU or counts -------------------------------------------------------------
    def _fill_sources(self) -> None:
        """The source picker for the loaded run: its blend with λ, the GRU alone, the counts alone; without
        usable counts only the GRU, and the picker says why. The predictor gets the source without
        `source_changed`: whoever loaded the run shows it."""
        combo = self.source_combo
        combo.clear()
        p = self.predictor
        if p is None:
            combo.setEnabled(False)
            return
        combo.setEnabled(True)
        blend = p.blend
        if blend is not None:
            combo.addItem(f"GRU + counts (λ = {blend.weights.lam:.2f})", "blend")
            combo.addItem("GRU only", "gru")
            combo.addItem("counts only", "counts")
            combo.setToolTip(SOURCE_TIP + "\n" + weights_text(blend.weights))
        else:
            reason = self.blend_reason or "no counts stored with this run"
            combo.addItem("GRU + counts (not available)", "blend")
            combo.addItem(f"GRU only — counts unusable: {elide(reason, 60)}", "gru")
            combo.addItem("counts only (not available)", "counts")
            model = combo.model()
            for i in (0, 2):
                model.item(i).setEnabled(False)  # type: ignore[attr-defined]  # a QComboBox's model is a QStandardItemModel
            combo.setToolTip(f"This run suggests with the GRU alone: {reason}")
        self._apply_source(self.wanted_source if blend is not None else "gru")

    def sources(self) -> dict[str, tuple[str, bool]]:
        """{source: (picker text, enabled)} as the picker offers them (for tests and automation)."""
        model = self.source_combo.model()
        return {self.source_combo.itemData(i): (self.source_combo.itemText(i),
                                                model.item(i).isEnabled())  # type: ignore[attr-defined]
                for i in range(self.source_combo.count())}

    def set_source(self, source: str) -> None:
        """Suggest with `source` ("blend", "gru" or "counts"), remembered for the next runs, then
        `source_changed`; ignored when the run cannot (no counts)."""
        p = self.predictor
        if p is None or (source != "gru" and p.blend is None):
            return
        self.wanted_source = source
        self._apply_source(source)
        self.source_changed.emit(source)

    def _apply_source(self, source: str) -> None:
        if self.predictor is not None:
            self.predictor.source = source
        i = self.source_combo.findData(source)
        if i >= 0 and self.source_combo.currentIndex() != i:
            self.source_combo.setCurrentIndex(i)

    def _source_activated(self, index: int) -> None:
        source = self.source_combo.itemData(index)
        if source:
            self.set_source(source)

    # --- typing-quality numbers --------------------------------------------------------------------------
    def evaluate_run(self, run_id: int) -> None:
        """Score the run on its validation text in a worker (stored with the run); `evaluated` then."""
        home = self.home

        def score(progress, should_stop):
            import storage

            from ...jobs import runs

            _, db = runs.open_store(home, write=False)
            try:
                report = runs.evaluate_run(db, run_id, should_stop=should_stop)
                return report, storage.get_run(db, run_id)  # the row as stored now: read here, not on the GUI thread
            finally:
                db.close()

        worker = function_job(score, result=self._evaluated, failed=self._evaluation_failed, run_id=run_id)
        self._eval_worker = worker
        self.jobs.start(worker)
        self.quality_changed.emit()  # "computing…"

    def _evaluated(self, worker, result) -> None:
        report, stored = result
        run_id = worker.run_id
        if self.run and self.run["id"] == run_id and stored is not None:
            self.run = stored
            if stored.get("eval_perplexity") is None:  # not stored: a read-only data folder or a full disk
                stored.update({f"eval_{k}": getattr(report, k)
                               for k in ("perplexity", "top1", "top3", "keystroke_savings", "tokens")})
            self.quality_changed.emit()
        self.evaluated.emit(run_id)

    def _evaluation_failed(self, worker, message: str) -> None:
        if self.run and self.run["id"] == worker.run_id:
            self.quality_error = message
            self.quality_changed.emit()

    def quality_html(self) -> str:
        """The loaded run's typing-quality line ("" with no run): the numbers, "computing…", or why not."""
        r = self.run
        if r is None:
            return ""
        if self.quality_error:
            return f"<span style='color:gray'>Typing quality not available: {self.quality_error}</span>"
        if r.get("eval_perplexity") is None:
            return "typing quality on the validation text: computing…"
        return quality_text(r)
