"""Predict, then reveal (`predictPanel`), on the Data & pipeline page: before a stage's shape is shown for the
current corpus and settings, the learner guesses it (design §15; asking for a prediction first helps recall).

Stages asked, in pipeline order: the padded batch (`padded_ids`), the embedding's output (`embedding_out`),
the GRU's output (`gru_output`) and last state (`h_n`), the dense layer's scores (`logits`). While a stage is
unanswered its card shows "?" in place of the shape (`PipelineTraceView.mask_shape`). A guess is scored and
stored like any Learn answer (mode "predict"); *Skip — show it* (`predictSkip`) reveals it without a score.
*Ask me first* (`predictEnabled`) off shows every shape at once. New corpus or shape settings: asked again.

Object names: predictPanel, predictEnabled, predictQuestion, predictGuess1..4, predictSkip, predictReveal.
The question comes from `core.learn.stage_question` in a worker (it runs the real modules).
"""
from __future__ import annotations

import random
import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QFrame, QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ..widgets.learn_widgets import OPTION_STYLE, OptionButton
from ..workers import learn_jobs
from .learn_session import Attempt, misconception_of, mistake_for
from .learn_text import RIGHT, WRONG, esc

STAGES = (("padded_ids", 2, "the padded batch of word ids"), ("embedding_out", 3, "the embedding's output"),
          ("gru_output", 4, "the GRU's output"), ("h_n", 4, "the GRU's last state h_n"),
          ("logits", 5, "the dense layer's scores (logits)"))
MASKED_CARDS = sorted({card for _, card, _ in STAGES})
SHAPE_SETTINGS = ("seq_len", "embed_dim", "hidden_size", "layers", "vocab_size", "batch_size", "tie_weights",
                  "min_count", "tokenizer", "lowercase")


class PredictReveal(QFrame):
    asked = Signal(str)  # tensor: its question is shown
    answered = Signal(object)  # Attempt: a guess was scored (and is being stored)
    recorded = Signal()  # stored answers are in the database
    done = Signal()  # every stage is revealed

    def __init__(self, jobs, home, trace_view, parent=None, clock=time.monotonic):
        super().__init__(parent)
        self.clock = clock  # seconds; a guess is timed from its question's showing, like a Learn answer
        self.shown_at = 0.0
        self.setObjectName("predictPanel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(OPTION_STYLE + " QFrame#predictPanel { background: palette(alternate-base); }")
        self.jobs, self.home, self.trace_view = jobs, home, trace_view
        self.answers = learn_jobs.AnswerStore(jobs, home, self)
        self.answers.recorded.connect(self.recorded)
        self.answers.failed.connect(self._store_failed)
        self.material: tuple = (None, None)  # (corpus, settings) the pipeline shows
        self._material = None
        self._key = None
        self.remaining: list[str] = []  # tensors still to ask, in order
        self.question = None
        self.results: dict[str, bool | None] = {}  # tensor -> right / wrong / None (skipped)
        self._worker = None
        self._build()

    def _build(self) -> None:
        col = QVBoxLayout(self)
        head = QHBoxLayout()
        self.title = QLabel("<b>Predict, then reveal</b>", objectName="predictTitle")
        head.addWidget(self.title, 1)
        self.enabled_check = QCheckBox("Ask me first", objectName="predictEnabled", checked=True,
                                       toolTip="guess each stage's shape before it is shown")
        self.enabled_check.toggled.connect(self._toggled)
        head.addWidget(self.enabled_check)
        col.addLayout(head)
        # The question, its options and Skip are shown and hidden together, as one widget: each widget shown
        # activates every layout up to the window at once (bench --only journey).
        self.asking = QWidget(objectName="predictAsking")
        ask = QVBoxLayout(self.asking)
        ask.setContentsMargins(0, 0, 0, 0)
        self.question_label = QLabel(objectName="predictQuestion", wordWrap=True)
        self.question_label.setTextFormat(Qt.TextFormat.RichText)
        ask.addWidget(self.question_label)
        grid = QGridLayout()
        self.options = [OptionButton(f"predictGuess{i + 1}", i + 1) for i in range(4)]
        for i, b in enumerate(self.options):
            b.clicked.connect(lambda _=False, i=i: self.guess(i))
            grid.addWidget(b, i // 2, i % 2)
        ask.addLayout(grid)
        self.skip_button = QPushButton("Skip — show it", objectName="predictSkip",
                                       toolTip="show this stage's shape without guessing")
        self.skip_button.clicked.connect(self.skip)
        ask.addWidget(self.skip_button, 0, Qt.AlignmentFlag.AlignLeft)
        col.addWidget(self.asking)
        self.reveal = QLabel(objectName="predictReveal", wordWrap=True)
        self.reveal.setTextFormat(Qt.TextFormat.RichText)
        col.addWidget(self.reveal)
        self._set_asking(False)

    # --- following the corpus and settings ------------------------------------------------------------
    def set_material(self, corpus, config) -> None:
        """Called when the pipeline is shown for a corpus and settings: a new corpus or shape setting asks
        every stage again; anything else (a seed, the learning rate) keeps what was revealed."""
        self.material = (corpus, config)
        key = (id(corpus), tuple(getattr(config, k, None) for k in SHAPE_SETTINGS))
        if key == self._key:
            self._apply_masks()
            return
        self._key = key
        self._material = None  # core.learn Material for this corpus and settings, built by the first question
        self.results = {}
        self.remaining = [t for t, _, _ in STAGES]
        self.question = None
        self.reveal.setText("")
        self._ask_next()

    def _toggled(self, on: bool) -> None:
        if on and self.remaining and self.question is None and self._worker is None and self.material[1] is not None:
            self._ask_next()
        self._apply_masks()
        self._set_asking(on and self.question is not None)

    def _apply_masks(self) -> None:
        on = self.enabled_check.isChecked()
        waiting = {card for t, card, _ in STAGES if t in self.remaining}
        for card in MASKED_CARDS:
            self.trace_view.mask_shape(card, on and card in waiting)

    def _set_asking(self, asking: bool) -> None:
        self.asking.setVisible(asking)

    # --- asking ---------------------------------------------------------------------------------------
    def _ask_next(self) -> None:
        self._apply_masks()
        if not self.remaining:
            self.question = None
            self._set_asking(False)
            right = sum(1 for r in self.results.values() if r)
            guessed = sum(1 for r in self.results.values() if r is not None)
            self.title.setText(f"<b>Predict, then reveal</b> — every shape shown; {right} of {guessed} guesses right"
                               if guessed else "<b>Predict, then reveal</b> — every shape shown")
            self.done.emit()
            return
        if not self.enabled_check.isChecked():
            return
        corpus, config = self.material
        if config is None:
            return
        tensor = self.remaining[0]
        if self._worker is not None:
            self._worker.stop_event.set()
        self._worker = learn_jobs.stage_job(tensor, random.randrange(1_000_000), corpus, config, self._material,
                                            result=self._question_ready, failed=self._question_failed,
                                            crashed=self._question_crashed, for_tensor=tensor, for_key=self._key)
        self.title.setText(f"<b>Predict, then reveal</b> — making a question about {self._stage_name(tensor)}…")
        self.jobs.start(self._worker)

    def _stage_name(self, tensor: str) -> str:
        return next(name for t, _, name in STAGES if t == tensor)

    def _question_ready(self, worker, result) -> None:
        if worker is not self._worker:
            return
        self._worker = None
        if worker.for_key != self._key or not self.remaining or self.remaining[0] != worker.for_tensor:
            return
        self._material, question = result
        self.question = question
        n = len(STAGES) - len(self.remaining) + 1
        self.title.setText(f"<b>Predict, then reveal</b> — stage {n} of {len(STAGES)}: what shape is "
                           f"{esc(self._stage_name(worker.for_tensor))}?")
        self.question_label.setText(esc(question.text))
        for i, b in enumerate(self.options):
            if b.isVisibleTo(self.asking) != (i < len(question.options)):
                b.setVisible(i < len(question.options))
            if i < len(question.options):
                b.set_option(question.options[i], mono=True)
                b.set_state("")
        self._set_asking(True)
        self.shown_at = self.clock()
        self.asked.emit(worker.for_tensor)

    def _question_failed(self, worker, message: str) -> None:
        if worker is self._worker:
            self._worker = None
            self._give_up(message)

    def _question_crashed(self, text: str) -> None:
        self._worker = None
        self._give_up(text.strip().splitlines()[-1])

    def _give_up(self, message: str) -> None:
        """No question can be made: show every shape and say why."""
        self.remaining = []
        self.question = None
        self._apply_masks()
        self._set_asking(False)
        self.title.setText("<b>Predict, then reveal</b>")
        self.reveal.setText(f"<span style='color:#c62828'>No question for this stage: {esc(message)}</span>")

    def guess(self, option: int) -> None:
        q = self.question
        if q is None or option >= len(q.options):
            return
        attempt = Attempt(q, option, option == q.answer, misconception_of(q, option), max(0.0, self.clock() - self.shown_at))
        tensor = self.remaining.pop(0)
        self.results[tensor] = attempt.correct
        stage = f"{esc(self._stage_name(tensor)).capitalize()}: "
        if attempt.correct:
            text = stage + f"<span style='color:{RIGHT}'><b>right</b></span>, {esc(q.options[q.answer])}."
        else:
            m = mistake_for(q, option)
            text = stage + (f"<span style='color:{WRONG}'><b>not quite</b></span>: you guessed {esc(q.options[option])}, it is "
                    f"<b>{esc(q.options[q.answer])}</b>." + (f" {esc(m.explanation)}" if m else ""))
        self.reveal.setText(text)
        self.question = None
        self.answers.store(learn_jobs.answer_of(attempt, "predict", None))
        self.answered.emit(attempt)
        self._set_asking(False)
        self._ask_next()

    def skip(self) -> None:
        if not self.remaining:
            return
        tensor = self.remaining.pop(0)
        self.results[tensor] = None
        if self.question is not None:
            q = self.question
            self.reveal.setText(f"{esc(self._stage_name(tensor)).capitalize()}: skipped; it is "
                                f"<b>{esc(q.options[q.answer])}</b>.")
        self.question = None
        self._set_asking(False)
        self._ask_next()

    def _store_failed(self, message: str) -> None:
        self.reveal.setText(f"<span style='color:#c62828'>Your guess could not be stored: {esc(message)}</span>")
