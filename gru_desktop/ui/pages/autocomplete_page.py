"""The Autocomplete page: pick a trained run and what suggests with it, type, and see its suggestions and what
each layer did.

What suggests (design §11): the run's fitted blend of the GRU with Kneser–Ney counts and a recency cache
("GRU + counts (λ = 0.62)"), or one part alone ("GRU only", "counts only"), chosen in the source picker beside
the run picker. A run whose counts are missing or damaged suggests with the GRU alone and the picker says why.

Suggestions are computed on the GUI thread: the predictor keeps the GRU state for the text already seen,
so a keystroke costs at most one GRU step and one dense layer (~0.1 ms). When more than CATCH_UP_STEPS
steps are needed at once (a pasted page, an edit early in a long sentence) the predictor catches up a
slice per timer tick and the old suggestions stay until the new ones are ready. Loading a model and
scoring it run in workers (the model picker the page owns, `autocomplete_model.py`); loading also gets the run's blend (`blends.ensure_blend`), which fits it from the
run's own text for a run trained before blends existed.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ...core.stats import percentile
from ..widgets.continue_bar import ContinueBar
from .autocomplete import AutocompleteEdit, SuggestionChips
from .autocomplete_model import ModelPicker
from .learning_panel import LearningPanel
from .prediction_trace import PredictionTraceView

if TYPE_CHECKING:  # torch and the dialog load on first use (design §3): their types only for mypy
    from ...core.predict import Predictor
    from .serve_dialog import ServeDialog

CATCH_UP_STEPS = 64  # GRU steps per slice when catching up (~5 ms)
TRACE_INTERVAL_MS = 200  # the trace follows the typing at most five times a second


class AutocompletePage(QWidget):
    model_loaded = Signal(int)  # run id, once its predictor is ready and the box shows its suggestions
    model_failed = Signal(str)  # why the selected run cannot be used
    runs_listed = Signal()  # the picker lists the runs again (refresh_runs)
    suggestions_shown = Signal()

    def __init__(self, jobs, home=None, parent=None):
        super().__init__(parent)
        self.jobs, self.home = jobs, home
        self.picker = ModelPicker(jobs, home, self)  # which run suggests, with what, and its numbers
        self.latencies_ms: list[float] = []  # keystroke → suggestions in this session, for the loaded run
        self.prefix = ""  # the half-typed word the chips complete
        self._last_text: str | None = None  # the text the suggestions were last shown for (None: show again)
        self.dismissed = False  # the chips were dismissed (Escape): only the next keystroke shows them again
        self._catching_up = False
        self.serve_dialog: ServeDialog | None = None  # made on first use (serve_dialog.py)
        self.learning = LearningPanel(self, jobs, home)  # learning as you type, time saved, the threshold (§17)
        self._build()
        self.picker.loaded.connect(self._model_loaded)
        self.picker.failed.connect(self._model_failed)
        self.picker.listed.connect(self.runs_listed)
        self.picker.source_changed.connect(self._source_changed)
        self.picker.quality_changed.connect(self.show_quality)

    # The loaded run and its predictor are the picker's; the learning panel, the window and tests read them here.
    @property
    def predictor(self) -> Predictor | None:
        return self.picker.predictor

    @property
    def run(self) -> dict | None:
        return self.picker.run

    def refresh_runs(self, select: int | None = None) -> None:
        """List the runs again and load `select` (default: keep the current one); `runs_listed` then."""
        self.picker.refresh_runs(select)

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
        top.addWidget(self.picker.run_combo, 1)
        top.addWidget(self.picker.source_combo)
        refresh = QPushButton("Refresh", objectName="refreshRunsButton", toolTip="list the runs again")
        refresh.clicked.connect(lambda: self.refresh_runs())
        top.addWidget(refresh)
        self.elsewhere_button = QPushButton("Use it elsewhere…", objectName="useElsewhereButton",
                                            toolTip="serve this run to editors (HTTP, LSP) or export its n-grams")
        self.elsewhere_button.clicked.connect(lambda: self.open_serve_dialog())
        top.addWidget(self.elsewhere_button)
        layout.addLayout(top)
        layout.addWidget(self.picker.model_status)
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
        self.continue_bar = ContinueBar()  # Continue: the model writes the next words
        self.continue_bar.requested.connect(self.continue_text)
        self.ghost_check = QCheckBox("Ghost text", objectName="ghostCheck",
                                     toolTip="show the rest of the top suggestion in grey after the cursor")
        self.ghost_check.toggled.connect(self._ghost_toggled)
        self.continue_bar.first_row.insertWidget(0, self.ghost_check)
        lv.addWidget(self.continue_bar)
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

    def _model_loaded(self, run_id: int) -> None:
        """The picker loaded a run: the box takes keys, and the suggestions, trace and numbers are its."""
        self.edit.setPlaceholderText("Type here: suggestions for the next word appear below. Tab accepts the middle one.")
        self._set_enabled(True)
        self.latencies_ms.clear()
        self.refresh_suggestions()
        self.update_trace()
        self.model_loaded.emit(run_id)

    def _model_failed(self, message: str) -> None:
        self._set_enabled(False)
        self.edit.setPlaceholderText(f"This run's model cannot be used ({message}). Pick another run above, or train one.")
        self.trace_view.set_trace(None)
        self.show_quality()
        self.model_failed.emit(message)

    def _set_enabled(self, on: bool) -> None:
        """With no usable model the box is read-only (its text can still be selected and copied)."""
        self.continue_bar.button.setEnabled(on)
        self.edit.setReadOnly(not on)
        if not on:
            self.chips.set_suggestions([])
            self.edit.has_suggestions = False

    def show_quality(self) -> None:
        """The picker's typing-quality numbers for the run, then this session's keystroke latency."""
        numbers = self.picker.quality_html()
        if numbers and self.latencies_ms:
            numbers += (f" · keystroke → suggestions in this session: p50 {percentile(self.latencies_ms, 0.5):.2f} ms, "
                        f"p99 {percentile(self.latencies_ms, 0.99):.2f} ms ({len(self.latencies_ms):,} keystrokes)")
        self.quality.setText(numbers)

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

    def _source_changed(self, _source: str) -> None:
        """The user picked what suggests: the chips, ghost text and trace follow at once."""
        self.refresh_suggestions()
        self.update_trace()

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
        assert self.predictor is not None  # _show follows update_suggestions and _catch_up, which check it
        probs = self.predictor.mixed(gru, ctx)  # the blend, the counts, or the GRU's own (design §11)
        suggestions = self.predictor.top_k(probs, ctx.prefix, 3)
        if self.learning.threshold > 0:  # "only when at least p"
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
        n, temperature, top_k = self.continue_bar.choices()
        words = self.predictor.sample(self.edit.text_for_predictor(), n, temperature=temperature, top_k=top_k)
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
        self.trace_view.set_sources(sources_trace(self.predictor, text, self.picker.blend_reason))
        self.show_quality()  # the session's latency numbers, as often as the trace

    # --- use it elsewhere (design §16) ------------------------------------------------------------------
    def open_serve_dialog(self, run_id: int | None = None) -> None:
        """The *Use it elsewhere…* dialog for `run_id` (default: the run picked here)."""
        from .serve_dialog import ServeDialog

        if self.serve_dialog is None:
            self.serve_dialog = ServeDialog(self.jobs, self.home, self.window())
        combo = self.picker.run_combo
        index = combo.currentIndex() if run_id is None else combo.findData(run_id)
        if run_id is None and index >= 0:
            run_id = combo.itemData(index)
        label = combo.itemText(index) if index >= 0 else (str(run_id) if run_id is not None else "")
        self.serve_dialog.set_run(run_id, label)
        self.serve_dialog.show()
        self.serve_dialog.raise_()

    def shutdown_serve(self) -> None:
        """The window closes: a server started from it stops too."""
        if self.serve_dialog is not None:
            self.serve_dialog.shutdown()
