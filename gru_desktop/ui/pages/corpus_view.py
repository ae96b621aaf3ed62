"""The Data page: corpus statistics (`corpusStats`), the sentence-length histogram with the padding length
marked, and the pipeline trace (`pipelineTrace`): the six stages of design §1 with this corpus's shapes.

`core.summary.summarize()` runs in a worker (numpy only); the widgets just show its plain result.
"""
from __future__ import annotations

import html
from collections.abc import Callable, Iterator

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFontDatabase, QPainter, QPen
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from ...core.summary import CorpusSummary


class LengthHistogram(QWidget):
    """Sentences per length, with a line at the padding length L: bars right of it get cut into windows."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("lengthHistogram")
        self.setMinimumHeight(130)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.summary: CorpusSummary | None = None
        self.setToolTip("sentences by length in words; the red line is the padding length L")

    def set_summary(self, summary: CorpusSummary | None) -> None:
        self.summary = summary
        self.update()

    def paintEvent(self, event):
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        text = pal.color(pal.ColorRole.WindowText)
        s = self.summary
        fm = p.fontMetrics()
        left, bottom, top = 8, fm.height() + 6, fm.height() + 4
        area = QRectF(left, top, self.width() - 2 * left, self.height() - top - bottom)
        p.setPen(text)
        if not s or not s.hist:
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "sentence lengths appear here")
            return
        n, peak = len(s.hist), max(s.hist) or 1
        w = area.width() / n
        bar, cut = QColor(31, 119, 180), QColor(31, 119, 180, 110)
        for i, c in enumerate(s.hist):
            h = area.height() * c / peak
            p.fillRect(QRectF(area.left() + i * w + 1, area.bottom() - h, max(w - 2, 1), h), bar if i + 1 <= s.seq_len else cut)
        if s.seq_len <= n:
            x = area.left() + s.seq_len * w
            p.setPen(QPen(QColor(214, 39, 40), 2))
            p.drawLine(int(x), int(area.top()), int(x), int(area.bottom()))
            p.drawText(int(x) + 4, int(area.top()) + fm.ascent(), f"L = {s.seq_len}: {s.cut_share:.0%} of sentences are cut")
        p.setPen(text)
        p.drawText(int(area.left()), int(area.top()) - 4, f"sentences by length (peak {peak:,})")
        for i in sorted({0, s.seq_len - 1, n - 1} & set(range(n))):
            label = f"{i + 1}+" if i == n - 1 and s.hist_overflow else str(i + 1)
            p.drawText(int(area.left() + i * w), int(area.bottom()) + fm.ascent() + 3, label)
        p.end()


def stats_html(s: CorpusSummary) -> str:
    rows = [
        ("Corpus", html.escape(s.description)),
        ("Files", f"{len(s.files):,}"),
        ("Sentences", f"{s.sentences:,} ({s.train_sentences:,} training, {s.val_sentences:,} validation)"),
        ("Words", f"{s.words:,}"),
        ("Distinct words", f"{s.distinct:,}"),
        ("Vocabulary", f"{s.vocab:,} ids (3 reserved)"),
        ("Outside the vocabulary", f"{s.oov_share:.1%} of words become &lt;unk&gt;"),
        ("Cut at L", f"{s.cut_share:.1%} of sentences are longer than {s.seq_len} words"),
    ]
    body = "".join(f"<tr><td style='padding-right:12px'><b>{k}</b></td><td>{v}</td></tr>" for k, v in rows)
    warn = "".join(f"<p style='color:#b26a00'>⚠ {html.escape(w)}</p>" for w in s.warnings[:5])
    if len(s.warnings) > 5:
        warn += f"<p style='color:#b26a00'>… and {len(s.warnings) - 5} more warnings</p>"
    return f"<table>{body}</table>{warn}"


MASK_HTML = "<span style='color:#1f77b4; font-weight:bold'>?&nbsp; guess it above</span>"


class PipelineTraceView(QFrame):
    """Six stage cards: number, name, real shape, what happens, and the sample sentence at that stage."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("pipelineTrace")
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        grid = QGridLayout(self)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(2)
        grid.setColumnStretch(1, 1)
        self.title = QLabel("<b>Pipeline</b>: load a corpus to see each stage with its real shapes", wordWrap=True)
        grid.addWidget(self.title, 0, 0, 1, 3)
        self.cards: list[tuple[QLabel, QLabel, QLabel, QLabel]] = []
        self.shapes = [""] * 6  # each stage's real shape text, also while it is masked
        # True: the stage's shape label shows "? guess it above" instead, until the learner has guessed it.
        # The label's text changes, never its visibility: showing a widget activates every layout up to the
        # window at once (~5 ms a time on the Data page right after new texts; bench --only journey).
        self.masked = [False] * 6
        for i in range(6):
            badge = QLabel(str(i + 1), alignment=Qt.AlignmentFlag.AlignCenter)
            badge.setFixedSize(24, 24)
            badge.setStyleSheet("background:#1f77b4; color:white; border-radius:12px; font-weight:bold;")
            name, shape = QLabel(wordWrap=True), QLabel(alignment=Qt.AlignmentFlag.AlignRight)
            shape.setTextFormat(Qt.TextFormat.PlainText)
            shape.setFont(mono)
            shape.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            sample = QLabel(wordWrap=True)
            sample.setTextFormat(Qt.TextFormat.PlainText)
            sample.setFont(mono)
            sample.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            sample.setStyleSheet("padding:3px; border:1px solid palette(mid); border-radius:3px;")
            row = 1 + 2 * i
            grid.addWidget(badge, row, 0, 2, 1, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(name, row, 1)
            shape.setObjectName(f"stageShape{i + 1}")
            grid.addWidget(shape, row, 2)
            grid.addWidget(sample, row + 1, 1, 1, 2)
            self.cards.append((badge, name, shape, sample))
        grid.setRowStretch(13, 1)
        self.trace = None

    def mask_shape(self, index: int, masked: bool) -> None:
        """Show "? guess it above" in place of stage `index`'s shape until the learner has guessed or skipped
        it (predict, then reveal: `predict_reveal.py`); its real shape stays in `shapes`."""
        if self.masked[index] != masked:
            self.masked[index] = masked
            self._show_shape(index)

    def _show_shape(self, index: int) -> None:
        label = self.cards[index][2]
        if self.masked[index]:
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setText(MASK_HTML)
        else:
            label.setTextFormat(Qt.TextFormat.PlainText)
            label.setText(self.shapes[index])

    def set_trace(self, trace, trained: bool = False, stages: range | None = None) -> None:
        """A core PipelineTrace (or None to clear); `trained`: its numbers come from a trained model; `stages`:
        only these cards (the title with the first)."""
        stages = range(len(self.cards)) if stages is None else stages
        self.trace = trace
        if trace is None:
            self.shapes = [""] * 6
            for i, (_, name, _, sample) in enumerate(self.cards):
                name.setText("")
                sample.setText("")
                self._show_shape(i)
            return
        if 0 in stages:
            numbers = "a trained network" if trained else "a freshly initialised network (untrained: its guesses are random)"
            self.title.setText(f"<b>Pipeline</b> for this corpus and these settings, following one sentence: "
                               f"<i>{html.escape(' '.join(trace.sentence))}</i>. Numbers from {numbers}.")
        for i in stages:
            (_, name, _, sample), st = self.cards[i], trace.stages[i]
            name.setText(f"<b>{html.escape(st.name)}</b> <span style='color:gray'>— {html.escape(st.detail)}</span>")
            self.shapes[i] = st.shape_text
            self._show_shape(i)
            sample.setText(st.sample)


class CorpusView(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        layout = self._column = QVBoxLayout(self)
        top = QGridLayout()
        self.stats = QLabel("No corpus loaded yet.", objectName="corpusStats", wordWrap=True)
        self.stats.setTextFormat(Qt.TextFormat.RichText)
        self.stats.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.stats.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.histogram = LengthHistogram()
        top.addWidget(self.stats, 0, 0)
        top.addWidget(self.histogram, 0, 1)
        top.setColumnStretch(0, 1)
        top.setColumnStretch(1, 1)
        layout.addLayout(top)
        self.message = QLabel(objectName="corpusMessage", wordWrap=True)
        self.message.setStyleSheet("color:#c62828;")
        self.message.setVisible(False)
        layout.addWidget(self.message)
        self.trace_view = PipelineTraceView()
        layout.addWidget(self.trace_view, 1)
        self.summary: CorpusSummary | None = None

    def add_above_trace(self, widget: QWidget) -> None:
        """A panel between the statistics and the pipeline (predict, then reveal)."""
        self._column.insertWidget(self._column.indexOf(self.trace_view), widget)

    def show_parts(self, summary: CorpusSummary, trace, before_shapes: Callable[[], None] | None = None) -> Iterator[None]:
        """Show the statistics, the histogram and the pipeline trace a part at a time: the caller gives the
        event loop a turn at each `yield`, so the new texts are laid out and painted a few at a time.
        `before_shapes` is called just before the stages' shapes are set (Predict, then reveal masks them first)."""
        self.summary = summary
        self.stats.setText(stats_html(summary))
        self.histogram.set_summary(summary)
        self.show_message("")
        yield
        if before_shapes is not None:
            before_shapes()
        half = len(self.trace_view.cards) // 2
        self.trace_view.set_trace(trace, stages=range(half))
        yield
        self.trace_view.set_trace(trace, stages=range(half, len(self.trace_view.cards)))

    def show_message(self, text: str) -> None:
        """A problem with the corpus for these settings (red, above the trace); "" hides it."""
        self.message.setText(text)
        self.message.setVisible(bool(text))
