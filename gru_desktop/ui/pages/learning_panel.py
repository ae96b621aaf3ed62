"""Learning as you type on the Autocomplete page (design §17): a composed object the page owns.

- *Learn as you type* (on by default, per data folder): every word finished in the box — typed, then a space
  or punctuation, or accepted from a chip — is first checked against the personal part (held out) and then
  learned (`core/learner.py`) on the next turn of the event loop, after the keystroke's chips are shown (the
  user never waits for it; `bench --only latency` times it apart). The counts live on the GUI thread (a learn
  is a few dict updates); what changed
  is written to the database in workers (`LearnedStore`), batched every `FLUSH_MS`. Unticked: nothing is
  learned or stored.
- *What I learned* (`learned_list.py`): the learned words and phrases, read from the database in a worker, with
  *Forget* (the selected word's rows, or a phrase's), *Forget all* (one transaction) and *Pause learning*.
- *Time saved at your speed*: the median time between keys in the box and the keystroke-level model of
  `core/time_saved.py`; *Show suggestions only when at least p*, with what it does to keystroke savings and
  wrong suggestions over the last words typed.
"""
from __future__ import annotations

import time

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QMessageBox, QVBoxLayout, QWidget

from ...core.stats import percentile
from ...core.time_saved import THRESHOLDS
from ..workers.learned_store import LearnedStore
from ..workers.threads import function_job, read_job
from .learned_list import LearnedList, read_learned

FLUSH_MS = 1500  # learned rows are written at most this often (one worker at a time)


class LearningPanel(QObject):
    """The learning switch, the time-saved and threshold numbers (`options`, under the box) and the
    *What I learned* list (`learned_tab`); it gives the page's predictor its personal part."""

    learned = Signal()  # a word was learned (tests wait for it)
    stored = Signal()  # a batch of learned rows reached the database
    list_refreshed = Signal()

    def __init__(self, page, jobs, home):
        super().__init__(page)
        self.page, self.jobs, self.home = page, jobs, home
        self.counts = None  # PersonalCounts of the data folder (GUI thread only), once loaded
        self.learner = None  # core Learner for the loaded run's predictor
        self.run_id: int | None = None
        self.warning = ""
        self.key_gaps: list[float] = []
        self._last_key_t = 0.0
        self._old_text = ""
        self._pending: list = []  # keys learned or forgotten since the last write
        self._load_worker = None
        self.store = LearnedStore(jobs, home, self)
        self.store.stored.connect(self._written)
        self.store.failed.connect(self._write_failed)
        self._flush_timer = QTimer(self, singleShot=True, interval=FLUSH_MS)
        self._flush_timer.timeout.connect(self.flush)
        self._finished: list[tuple] = []  # (predictor, text before, word, paused) finished, not yet learned
        self._learn_timer = QTimer(self, singleShot=True, interval=0)
        self._learn_timer.timeout.connect(self.learn_finished)
        self._numbers_timer = QTimer(self, singleShot=True, interval=500)
        self._numbers_timer.timeout.connect(self.show_numbers)
        self.options = self._build_options()
        self.learned_tab = LearnedList()  # the page puts it in a tab
        self.learned_tab.forget_button.clicked.connect(self.forget_selected)
        self.learned_tab.forget_all_button.clicked.connect(self.ask_forget_all)
        self.learned_tab.pause_button.toggled.connect(lambda on: self.learn_check.setChecked(not on))

    # --- widgets ---------------------------------------------------------------------------------------
    def _build_options(self) -> QWidget:
        w = QWidget(objectName="learningOptions")
        v = QVBoxLayout(w)
        v.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        self.learn_check = QCheckBox("Learn as you type", objectName="learnCheck", checked=True,
                                     toolTip="words you finish here are learned (kept in this data folder) and "
                                             "suggested back; untick to pause: nothing is learned or stored")
        self.learn_check.toggled.connect(self.set_learning)
        row.addWidget(self.learn_check)
        row.addStretch(1)
        row.addWidget(QLabel("Show suggestions only when at least p ="))
        self.threshold_combo = QComboBox(objectName="thresholdCombo",
                                         toolTip="hide suggestions less likely than this: fewer wrong ones to read, "
                                                 "fewer keys saved (the numbers below are measured on your typing)")
        for thr in THRESHOLDS:
            self.threshold_combo.addItem(f"{thr:.2f}", thr)
        self.threshold_combo.currentIndexChanged.connect(self._threshold_changed)
        row.addWidget(self.threshold_combo)
        v.addLayout(row)
        self.verdict_label = QLabel(objectName="learningVerdict", wordWrap=True)
        v.addWidget(self.verdict_label)
        self.time_label = QLabel(objectName="timeSavedLabel", wordWrap=True)
        self.time_label.setTextFormat(Qt.TextFormat.RichText)
        v.addWidget(self.time_label)
        return w

    @property
    def threshold(self) -> float:
        return float(self.threshold_combo.currentData() or 0.0)

    def set_threshold(self, p: float) -> None:
        self.threshold_combo.setCurrentIndex(min(range(len(THRESHOLDS)), key=lambda i: abs(THRESHOLDS[i] - p)))

    # --- loading -----------------------------------------------------------------------------------------
    def attach(self, run_id: int) -> None:
        """A run was loaded: read the data folder's counts and this run's weight, and build its personal part
        (the view over its vocabulary) in a worker; then the predictor suggests with it."""
        self.flush()
        predictor, home = self.page.predictor, self.home
        if predictor is None:
            return

        def load(progress, should_stop):
            from ...core.personal_view import PersonalPart
            from ...jobs import personal, runs

            _, db = runs.open_store(home, write=False)
            try:
                counts, warning = personal.load(db)
                weight = personal.load_weight(db, run_id)
            finally:
                db.close()
            part = PersonalPart(counts, predictor.vocab, predictor.config.lowercase, weight)
            part.view.sync()  # the full build, here rather than on the GUI thread
            return part, warning

        self._load_worker = function_job(load, result=self._attached, failed=self._attach_failed,
                                         predictor=predictor, run_id=run_id)
        self.jobs.start(self._load_worker)

    def _attached(self, worker, result) -> None:
        if worker is not self._load_worker or worker.predictor is not self.page.predictor:
            return
        from ...core.learner import Learner

        part, warning = result
        self.counts, self.run_id, self.warning = part.counts, worker.run_id, warning or ""
        self.page.predictor.personal = part
        self.learner = Learner(part)
        self._old_text = self.page.edit.text_for_predictor()
        self.learn_check.blockSignals(True)
        self.learn_check.setChecked(not part.counts.paused)
        self.learned_tab.pause_button.setChecked(part.counts.paused)
        self.learn_check.blockSignals(False)
        self.refresh_list()
        self.show_numbers()

    def _attach_failed(self, worker, message: str) -> None:
        self.warning = f"learning is off for this session: {message}"
        self.show_numbers()

    # --- typing ------------------------------------------------------------------------------------------
    def text_changed(self) -> None:
        """After every edit of the box: time the keys, learn a word just finished."""
        edit, predictor = self.page.edit, self.page.predictor
        new = edit.text_for_predictor()
        old, self._old_text = self._old_text, new
        now = time.monotonic()
        if len(new) == len(old) + 1:  # one key typed
            if self._last_key_t:
                self.key_gaps.append(now - self._last_key_t)
                del self.key_gaps[:-2000]
            self._last_key_t = now
        if self.learner is None or predictor is None or predictor.personal is not self.learner.part:
            return
        from ...core.learner import finished_word  # here: numpy stays out of the window's first paint

        done = finished_word(old, new)
        if done is None:
            return
        # The check and the learn wait for the next turn of the event loop: the chips for this keystroke are
        # computed (the page's slot ran before this one) and painted first, so the user never waits for them.
        # (paused as it was when typed: a word typed while paused is never learned, even if unpaused meanwhile)
        self._finished.append((predictor, *done, self.learner.part.counts.paused))
        if not self._learn_timer.isActive():
            self._learn_timer.start()

    def learn_finished(self) -> None:
        """Check and learn the words finished since the last turn of the event loop, in the order typed; then
        the chips again for the text as it is (what was learned may change them), so the next letter typed
        finds its distribution ready. (`bench --only latency` times this as the word end's deferred work.)"""
        queued, self._finished = self._finished, []
        predictor = self.page.predictor
        if self.learner is None or predictor is None or predictor.personal is not self.learner.part:
            return
        keys = []
        for was, before, word, paused in queued:
            if was is predictor:
                keys += self.learner.finished(predictor, before, word, paused=paused)
        if keys:
            self._pending.extend(keys)
            if not self._flush_timer.isActive():
                self._flush_timer.start()
        if not self._numbers_timer.isActive():
            self._numbers_timer.start()
        if not self.page.dismissed:
            self.page.refresh_suggestions(timed=False)
        self.learned.emit()

    def flush(self) -> None:
        """Write what was learned since the last flush (and the run's weight), in a worker."""
        if self.counts is None or (not self._pending and self.run_id is None):
            return
        if self.store.busy:  # one writer at a time: try again soon
            self._flush_timer.start()
            return
        from ...jobs import personal

        changes = personal.snapshot(self.counts, self._pending)
        self._pending = []
        weight = self.learner.part.weight.to_dict() if self.learner is not None else None
        if not changes and weight is None:
            return
        self.store.write(changes, weight, self.run_id)

    def _written(self) -> None:
        self.stored.emit()
        self.refresh_list()

    def _write_failed(self, message: str) -> None:
        self.warning = f"what you typed could not be stored: {message}"
        self.show_numbers()

    # --- the switch, forgetting ------------------------------------------------------------------------
    def set_learning(self, on: bool) -> None:
        pause = self.learned_tab.pause_button
        pause.blockSignals(True)
        pause.setChecked(not on)
        pause.blockSignals(False)
        if self.counts is not None:
            self.counts.paused = not on
        self.store.set_paused(not on)
        self.show_numbers()

    def forget_selected(self) -> None:
        key = self.learned_tab.selected_key()
        if key is None or self.counts is None:
            return
        self._pending.extend(self.counts.forget(key) or [key])
        self.flush()
        self.page.refresh_suggestions()

    def ask_forget_all(self) -> None:
        answer = QMessageBox.question(self.page, "Forget all",
                                      "Forget everything learned from your typing in this data folder?")
        if answer == QMessageBox.StandardButton.Yes:
            self.forget_all()

    def forget_all(self) -> None:
        if self.counts is not None:
            self.counts.forget_all()
        self._pending = []
        self.store.forget_all()
        self.learned_tab.model.set_rows([])
        self.page.refresh_suggestions()

    def refresh_list(self) -> None:
        self.jobs.start(read_job(self.home, read_learned, result=self._listed, failed=self._list_failed))

    def _listed(self, worker, rows) -> None:
        self.learned_tab.show_rows(rows, self.counts is not None and self.counts.paused)
        self.list_refreshed.emit()

    def _list_failed(self, worker, message: str) -> None:
        pass  # an unreadable list: the load (attach) says why learning is off

    def _threshold_changed(self, _value) -> None:
        self.page.refresh_suggestions()
        self.show_numbers()

    # --- the numbers -------------------------------------------------------------------------------------
    def show_numbers(self) -> None:
        from ...core.time_saved import KLM_K_AVERAGE_S, KLM_M_S, median_key_time, time_saved

        part = self.learner.part if self.learner is not None else None
        if self.warning:
            self.verdict_label.setText(f"<span style='color:#c62828'>{self.warning}</span>")
        elif part is None:
            self.verdict_label.setText("What you type: not loaded yet.")
        else:
            state = "paused — " if part.counts.paused else ""
            self.verdict_label.setText(f"What you type ({len(part.counts.rows):,} rows): {state}{part.weight.verdict()}")
        if self.learner is None or not self.learner.recent:
            self.time_label.setText("<span style='color:gray'>Time saved at your speed: type a few words.</span>")
            return
        k = median_key_time(self.key_gaps)
        key_s = k if k is not None else KLM_K_AVERAGE_S
        speed = (f"your speed {k:.2f} s per key (median of {len(self.key_gaps):,} gaps)" if k is not None else
                 f"your speed not measured yet, so {KLM_K_AVERAGE_S} s per key (KLM average typist)")
        shown = self.learner.typing_numbers(self.threshold)
        zero = self.learner.typing_numbers(0.0)
        t = time_saved(shown["words"], shown["plain"], shown["keys"], shown["accepted"], key_s)
        sec = t["seconds_per_100_words"]
        verb = "saved" if sec >= 0 else "<span style='color:#c62828'>lost</span>"
        be = t["break_even_key_s"]
        text = (f"Time {verb}: <b>{abs(sec):.1f} s per 100 words</b> at {speed}; "
                f"{t['keys_saved_per_100_words']:.0f} keys saved and {t['accepted_per_100_words']:.0f} suggestions "
                f"accepted per 100 words, each costing {KLM_M_S} s to read and choose (keystroke-level model)"
                + (f"; suggestions pay when a key takes more than {be:.2f} s" if be else "") + ". ")
        sav = 1 - shown["keys"] / max(shown["plain"], 1)
        sav0 = 1 - zero["keys"] / max(zero["plain"], 1)
        wrong = 100 * shown["wrong"] / max(shown["words"], 1)
        wrong0 = 100 * zero["wrong"] / max(zero["words"], 1)
        text += (f"Over your last {shown['words']} words, at p ≥ {shown['threshold']:.2f}: keystroke savings "
                 f"{sav:.1%}, {wrong:.0f} wrong suggestions shown per 100 words"
                 + (f" (at p ≥ 0: {sav0:.1%}, {wrong0:.0f})" if shown["threshold"] > 0 else "") + ".")
        lat = getattr(self.page, "latencies_ms", None)
        if lat:
            text += f" Keystroke → suggestions p99 {percentile(lat, 0.99):.2f} ms."
        self.time_label.setText(text)

