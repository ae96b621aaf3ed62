"""The Autocomplete page: pick a trained run and what suggests with it, type, and see its suggestions and what
each layer did.

What suggests (design §11): the run's fitted blend of the GRU with Kneser–Ney counts and a recency cache
("GRU + counts (λ = 0.62)"), or one part alone ("GRU only", "counts only"), chosen in the source picker beside
the run picker. A run whose counts are missing or damaged suggests with the GRU alone and the picker says why.

Suggestions are computed on the GUI thread: the predictor keeps the GRU state for the text already seen,
so a keystroke costs at most one GRU step and one dense layer (~0.1 ms). When more than CATCH_UP_STEPS
steps are needed at once (a pasted page, an edit early in a long sentence) the predictor catches up a
slice per timer tick and the old suggestions stay until the new ones are ready. Loading a model and
scoring it run in workers (the model picker, `autocomplete_model.py`); loading also gets the run's blend (`blends.ensure_blend`), which fits it from the
run's own text for a run trained before blends existed.
"""
from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSlider,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from .autocomplete import AutocompleteEdit, SuggestionChips
from .autocomplete_model import SOURCE_TIP, ModelPicker
from .learning_panel import LearningPanel
from .prediction_trace import PredictionTraceView

CATCH_UP_STEPS = 64  # GRU steps per slice when catching up (~5 ms)
TRACE_INTERVAL_MS = 200  # the trace follows the typing at most five times a second


class AutocompletePage(ModelPicker, QWidget):
    model_loaded = Signal(int)  # run id, once its predictor is ready
    model_failed = Signal(str)  # why the selected run cannot be used
    runs_listed = Signal()  # the picker lists the runs again (refresh_runs)
    suggestions_shown = Signal()
    evaluated = Signal(int)  # run id whose typing-quality numbers are now stored

    def __init__(self, jobs, home=None, parent=None):
        super().__init__(parent)
        self.jobs, self.home = jobs, home
        self.predictor = None
        self.run: dict | None = None
        self.blend_reason = ""  # why the loaded run has no blend ("" when it has one)
        self.blend_note = ""  # a remark on a blend it has (fitted for this session only: not stored)
        self.wanted_source = "blend"  # the user's last choice, kept across runs where it is available
        self.latencies_ms: list[float] = []
        self.prefix = ""  # the half-typed word the chips complete
        self._last_text: str | None = None
        self.dismissed = False  # the chips were dismissed (Escape): only the next keystroke shows them again
        self._load_worker = self._eval_worker = self._list_worker = None
        self._catching_up = False
        self.serve_dialog = None  # ServeDialog, made on first use (serve_dialog.py)
        self.learning: LearningPanel | None = None  # learning as you type, time saved, the threshold (design §17)
        self._build()

    def runs_changed(self, ids) -> None:
        """The window's own writes (RunsStore: a rename, a delete) change the picker's labels: list them again.
        Commits by others (`ids` None: training, the CLI) are too frequent to follow here."""
        if ids is not None:
            self.refresh_runs()

    def startup_steps(self):
        self.refresh_runs()  # the latest trained model, loaded in the background
        yield

    # --- layout ---------------------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(QLabel("Model:"))
        self.run_combo = QComboBox(objectName="runCombo")
        self.run_combo.setMinimumContentsLength(24)
        self.run_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.run_combo.activated.connect(self._combo_activated)
        top.addWidget(self.run_combo, 1)
        self.source_combo = QComboBox(objectName="sourceCombo", toolTip=SOURCE_TIP)
        self.source_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.source_combo.activated.connect(self._source_activated)
        top.addWidget(self.source_combo)
        refresh = QPushButton("Refresh", objectName="refreshRunsButton", toolTip="list the runs again")
        refresh.clicked.connect(lambda: self.refresh_runs())
        top.addWidget(refresh)
        self.elsewhere_button = QPushButton("Use it elsewhere…", objectName="useElsewhereButton",
                                            toolTip="serve this run to editors (HTTP, LSP) or export its n-grams")
        self.elsewhere_button.clicked.connect(lambda: self.open_serve_dialog())
        top.addWidget(self.elsewhere_button)
        layout.addLayout(top)
        self.model_status = QLabel(objectName="modelStatus", wordWrap=True)
        layout.addWidget(self.model_status)
        self.quality = QLabel(objectName="qualityLabel", wordWrap=True)
        self.quality.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.quality)

        split = QSplitter(Qt.Orientation.Horizontal, objectName="autocompleteSplitter")
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        self.edit = AutocompleteEdit()
        lv.addWidget(self.edit, 1)
        self.chips = SuggestionChips()
        lv.addWidget(self.chips)
        opts = QHBoxLayout()
        self.ghost_check = QCheckBox("Ghost text", objectName="ghostCheck",
                                     toolTip="show the rest of the top suggestion in grey after the cursor")
        self.ghost_check.toggled.connect(self._ghost_toggled)
        opts.addWidget(self.ghost_check)
        opts.addStretch(1)
        self.continue_button = QPushButton("Continue", objectName="continueButton",
                                           toolTip="let the model write the next words (sampled)")
        self.continue_button.clicked.connect(self.continue_text)
        opts.addWidget(self.continue_button)
        self.words_spin = QSpinBox(objectName="continueWordsSpin", minimum=1, maximum=200, value=10, suffix=" words")
        opts.addWidget(self.words_spin)
        lv.addLayout(opts)
        opts = QHBoxLayout()  # a second row keeps the page usable in a narrow window
        opts.addStretch(1)
        opts.addWidget(QLabel("temperature"))
        self.temperature = QSlider(Qt.Orientation.Horizontal, objectName="temperatureSlider", minimum=20, maximum=150,
                                   value=80, toolTip="low: safe, repetitive words; high: surprising ones")
        self.temperature.setFixedWidth(110)
        self.temperature_label = QLabel("0.80")
        self.temperature.valueChanged.connect(lambda v: self.temperature_label.setText(f"{v / 100:.2f}"))
        opts.addWidget(self.temperature)
        opts.addWidget(self.temperature_label)
        self.topk_spin = QSpinBox(objectName="topKSpin", minimum=0, maximum=1000, value=40, prefix="top-k ",
                                  toolTip="sample only among the k most likely words (0 = all)")
        opts.addWidget(self.topk_spin)
        lv.addLayout(opts)
        self.learning = LearningPanel(self, self.jobs, self.home)
        lv.addWidget(self.learning.options)
        split.addWidget(left)
        self.trace_view = PredictionTraceView()
        scroll = QScrollArea(widgetResizable=True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self.trace_view)
        self.right_tabs = QTabWidget(objectName="autocompleteTabs")
        self.right_tabs.addTab(scroll, "Prediction trace")
        self.right_tabs.addTab(self.learning.learned_tab, "What I learned")
        split.addWidget(self.right_tabs)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        self.splitter = split
        layout.addWidget(split, 1)

        self.edit.textChanged.connect(self.update_suggestions)
        self.edit.textChanged.connect(self.learning.text_changed)  # after the suggestions: learn a finished word
        self.model_loaded.connect(self.learning.attach)
        self.edit.cursorPositionChanged.connect(self.update_suggestions)
        self.edit.accept_top.connect(self.accept_top)
        self.edit.pick_chip.connect(self.chips.pick)
        self.edit.dismiss.connect(self.dismiss)
        self.chips.picked.connect(self.accept)
        self._catch_up_timer = QTimer(self, interval=0)
        self._catch_up_timer.timeout.connect(self._catch_up)
        self._trace_timer = QTimer(self, singleShot=True, interval=TRACE_INTERVAL_MS)
        self._trace_timer.timeout.connect(self.update_trace)
        self._set_enabled(False)
        self._fill_sources()

    def _set_enabled(self, on: bool) -> None:
        """With no usable model the box is read-only (its text can still be selected and copied)."""
        self.continue_button.setEnabled(on)
        self.edit.setReadOnly(not on)
        if not on:
            self.chips.set_suggestions([])
            self.edit.has_suggestions = False

    # --- what suggests: blend, GRU or counts ----------------------------------------------------------------
    # --- typing-quality numbers -------------------------------------------------------------------------
    # --- suggestions ------------------------------------------------------------------------------------
    def update_suggestions(self, *_, timed: bool = True) -> None:
        if self.predictor is None:
            return
        t0 = time.perf_counter()
        text = self.edit.text_for_predictor()
        if text == self._last_text and not self._catching_up:
            return  # a keystroke fires textChanged and cursorPositionChanged: compute once
        self._last_text = text
        self.dismissed = False
        ctx = self.predictor.context(text)
        if self.predictor.pending(ctx.ids) > CATCH_UP_STEPS:
            self._catching_up = True  # the old suggestions stay until the predictor has caught up
            self._catch_up_timer.start()
            return
        gru = self.predictor.advance(ctx.ids)
        self._show(gru, ctx)
        if timed:  # a keystroke's (shown with the trace, throttled)
            self.latencies_ms.append((time.perf_counter() - t0) * 1000)

    def refresh_suggestions(self, timed: bool = True) -> None:
        """Compute the chips again for the same text (what suggests changed: forgotten words, the threshold,
        a word learned — `timed` False: not a keystroke, so not in the page's keystroke latency)."""
        self._last_text = None
        self.update_suggestions(timed=timed)

    def _catch_up(self) -> None:
        if self.predictor is None:
            self._catch_up_timer.stop()
            return
        ctx = self.predictor.context(self.edit.text_for_predictor())
        gru = self.predictor.advance(ctx.ids, limit=CATCH_UP_STEPS)
        if gru is not None:
            self._catch_up_timer.stop()
            self._catching_up = False
            self._show(gru, ctx)

    def _show(self, gru, ctx) -> None:
        """Chips and ghost text from the chosen source, given the GRU's next-word probabilities."""
        probs = self.predictor.mixed(gru, ctx)  # the blend, the counts, or the GRU's own (design §11)
        suggestions = self.predictor.top_k(probs, ctx.prefix, 3)
        if self.learning is not None and self.learning.threshold > 0:  # "only when at least p"
            suggestions = [s for s in suggestions if s.probability >= self.learning.threshold]
        self.prefix = ctx.prefix
        self.chips.set_suggestions(suggestions)
        self.edit.has_suggestions = bool(suggestions)
        top = suggestions[0].word if suggestions else ""
        if top and ctx.prefix:
            ghost = top[len(ctx.prefix):] if top.startswith(ctx.prefix) else ""
        else:
            ghost = top if self._at_word_start() else ""
        self.edit.set_ghost(ghost)
        if not self._trace_timer.isActive():
            self._trace_timer.start()
        self.suggestions_shown.emit()

    def _at_word_start(self) -> bool:
        before = self.edit.text_before_cursor()
        return not before or before[-1].isspace()

    def accept(self, word: str) -> None:
        self.edit.insert_word(word, self.prefix)
        self.edit.setFocus()

    def accept_top(self) -> None:
        top = self.chips.top()
        if top:
            self.accept(top)

    def dismiss(self) -> None:
        self._last_text = None  # the next keystroke computes them again
        self.dismissed = True
        self.chips.set_suggestions([])
        self.edit.has_suggestions = False
        self.edit.set_ghost("")

    def _ghost_toggled(self, on: bool) -> None:
        self.edit.ghost_enabled = on
        self.edit.viewport().update()

    # --- generate and trace ---------------------------------------------------------------------------
    def continue_text(self) -> None:
        if self.predictor is None:
            return
        words = self.predictor.sample(self.edit.text_for_predictor(), self.words_spin.value(),
                                      temperature=self.temperature.value() / 100, top_k=self.topk_spin.value())
        before = self.edit.text_before_cursor()
        lead = "" if not before or before[-1].isspace() else " "
        self.edit.textCursor().insertText(lead + " ".join(words) + " ")
        self.edit.setFocus()

    def update_trace(self) -> None:
        if self.predictor is None or self._catching_up:
            return
        from ...core.trace import prediction_trace
        from .prediction_trace import sources_trace

        text = self.edit.text_for_predictor()
        self.trace_view.set_trace(prediction_trace(self.predictor, text))
        self.trace_view.set_sources(sources_trace(self.predictor, text, self.blend_reason))
        self.show_quality()  # the session's latency numbers, as often as the trace

    # --- use it elsewhere (design §16) ------------------------------------------------------------------
    def open_serve_dialog(self, run_id: int | None = None) -> None:
        """The *Use it elsewhere…* dialog for `run_id` (default: the run picked here)."""
        from .serve_dialog import ServeDialog

        if self.serve_dialog is None:
            self.serve_dialog = ServeDialog(self.jobs, self.home, self.window())
        index = self.run_combo.currentIndex() if run_id is None else self.run_combo.findData(run_id)
        if run_id is None and index >= 0:
            run_id = self.run_combo.itemData(index)
        label = self.run_combo.itemText(index) if index >= 0 else (str(run_id) if run_id is not None else "")
        self.serve_dialog.set_run(run_id, label)
        self.serve_dialog.show()
        self.serve_dialog.raise_()

    def shutdown_serve(self) -> None:
        """The window closes: a server started from it stops too."""
        if self.serve_dialog is not None:
            self.serve_dialog.shutdown()
