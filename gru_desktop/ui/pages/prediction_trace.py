"""The prediction trace (`predictionTrace`): what each layer did with the words typed so far.

Six steps, as on the teaching page: (1) input tokens and their ids, `<unk>` and padding marked;
(2) the embedding rows as a heat map (tokens × E); (3) the GRU hidden state at each position (H × tokens)
and its last state; (4) the softmax's top 10 as bars; (5) what suggests: the GRU's, the counts' and the
blend's distributions side by side (top 10 each) with the blend's weights; (6) the prediction of the chosen
source. Shapes are printed at each layer. It shows a core `PredictionTrace` and the predictor's
`distributions`; the page decides when to recompute them (throttled).
"""
from __future__ import annotations

import html
from dataclasses import dataclass

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QFrame, QLabel, QSizePolicy, QVBoxLayout, QWidget

MAX_COLUMNS = 40  # positions shown in the heat maps (the most recent ones)
SOURCE_ORDER = ("gru", "counts", "blend")  # left to right: the two parts, then their mix


@dataclass
class SourcesTrace:
    """Each source's top words for the text (completions of `prefix` when a word is half typed)."""

    top: dict  # source -> [(word, probability)], in SOURCE_ORDER; only "gru" without counts
    chosen: str  # the source that fills the chips
    prefix: str
    weights: object  # the blend's core Weights, None without counts
    reason: str = ""  # why there are no counts


def sources_trace(predictor, text: str, reason: str = "", n: int = 10) -> SourcesTrace:
    """The three distributions of design §11 for `text`, top `n` each: one GRU step at most (the predictor's
    cache holds the sentence), one row of counts and the cache's shares — cheap enough for every trace update."""
    dists, ctx = predictor.distributions(text)
    top = {s: [(x.word, x.probability) for x in predictor.top_k(dists[s], ctx.prefix, n)]
           for s in SOURCE_ORDER if s in dists}
    blend = predictor.blend
    return SourcesTrace(top, predictor.source, ctx.prefix, blend.weights if blend is not None else None, reason)


def diverging(values):
    """Blue (negative) – white (0) – red (positive), scaled by the largest magnitude: (h, w, 4) uint8 RGBA."""
    import numpy as np  # here, not at the top: the window must paint before numpy loads (~70 ms)

    scale = float(np.abs(values).max()) or 1.0
    t = np.clip(values / scale, -1, 1)[..., None]  # (h, w, 1)
    white, red, blue = np.array([255, 255, 255]), np.array([214, 39, 40]), np.array([31, 119, 180])
    rgb = np.where(t >= 0, white + (red - white) * t, white + (blue - white) * -t)
    out = np.empty(values.shape + (4,), np.uint8)
    out[..., :3] = rgb.round().astype(np.uint8)
    out[..., 3] = 255
    return out


class HeatMap(QWidget):
    """A matrix drawn as coloured cells (rows × columns), nearest-neighbour scaled to the widget."""

    def __init__(self, name: str, parent=None):
        super().__init__(parent)
        self.setObjectName(name)
        self.setMinimumHeight(60)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.values = None  # (rows, columns) numpy array
        self._image: QImage | None = None

    def set_values(self, values) -> None:
        self.values = values
        if values is None or values.size == 0:
            self._image = None
        else:
            rgba = diverging(values.astype("float32")).copy(order="C")
            h, w = values.shape
            self._image = QImage(rgba.data, w, h, 4 * w, QImage.Format.Format_RGBA8888).copy()
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(300, 90)

    def paintEvent(self, event):
        p = QPainter(self)
        if self._image is None:
            p.setPen(self.palette().color(self.palette().ColorRole.PlaceholderText))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "type to see this layer")
            return
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        p.drawImage(QRectF(self.rect()), self._image)
        p.end()


class TopBars(QWidget):
    """Horizontal bars: the ten most likely next words and their probabilities."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("softmaxBars")
        self.setMinimumHeight(10 * (self.fontMetrics().height() + 3))
        self.top: list[tuple[str, float]] = []

    def set_top(self, top: list[tuple[str, float]]) -> None:
        self.top = list(top)
        self.update()

    def paintEvent(self, event):
        p = QPainter(self)
        text = self.palette().color(self.palette().ColorRole.WindowText)
        fm = p.fontMetrics()
        if not self.top:
            p.setPen(text)
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "no prediction yet")
            return
        row = max(fm.height() + 2, (self.height() - 2) // max(len(self.top), 1))
        label_w = max(fm.horizontalAdvance(w) for w, _ in self.top) + 8
        value_w = fm.horizontalAdvance("100.0%") + 8
        bar_w = max(self.width() - label_w - value_w, 10)
        peak = max(pr for _, pr in self.top) or 1.0
        for i, (word, prob) in enumerate(self.top):
            y = i * row
            p.setPen(text)
            p.drawText(QRectF(0, y, label_w - 6, row), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, word)
            p.fillRect(QRectF(label_w, y + 2, bar_w * prob / peak, row - 4), QColor(31, 119, 180) if i else QColor(214, 39, 40))
            p.drawText(QRectF(label_w + bar_w * prob / peak + 4, y, value_w, row), Qt.AlignmentFlag.AlignVCenter, f"{prob:.1%}")
        p.end()


SOURCE_TITLES = {"gru": "GRU", "counts": "counts", "blend": "blend"}
SOURCE_COLOURS = {"gru": (31, 119, 180), "counts": (255, 127, 14), "blend": (44, 160, 44)}


class SourceColumns(QWidget):
    """The three distributions side by side: per source a column of its ten most likely words, with bars.

    `columns`: [(source, subtitle, [(word, probability), ...])]; `chosen`: the source that suggests."""

    ROWS = 10

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("sourceDistributions")
        line = self.fontMetrics().height() + 3
        self.setMinimumHeight((self.ROWS + 2) * line + 4)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.columns: list[tuple[str, str, list[tuple[str, float]]]] = []
        self.chosen = ""

    def sizeHint(self) -> QSize:
        return QSize(420, self.minimumHeight())

    def set_columns(self, columns, chosen: str) -> None:
        self.columns, self.chosen = list(columns), chosen
        self.update()

    def top(self, source: str) -> list[tuple[str, float]]:
        for s, _, top in self.columns:
            if s == source:
                return top
        return []

    def paintEvent(self, event):
        p = QPainter(self)
        pal = self.palette()
        text, grey = pal.color(pal.ColorRole.WindowText), pal.color(pal.ColorRole.PlaceholderText)
        fm = p.fontMetrics()
        if not self.columns:
            p.setPen(grey)
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "no prediction yet")
            return
        line = fm.height() + 3
        n = len(self.columns)
        gap = 8
        col_w = (self.width() - gap * (n - 1)) / n
        value_w = fm.horizontalAdvance("100.0%") + 4
        bold = p.font()
        bold.setBold(True)
        for c, (source, subtitle, top) in enumerate(self.columns):
            x0 = c * (col_w + gap)
            if source == self.chosen:  # the column that fills the chips
                p.fillRect(QRectF(x0, 0, col_w, self.height()), pal.color(pal.ColorRole.AlternateBase))
            p.setPen(text)
            p.setFont(bold)
            title = SOURCE_TITLES.get(source, source) + ("  ◀ suggests" if source == self.chosen else "")
            p.drawText(QRectF(x0 + 2, 0, col_w - 4, line), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                       p.fontMetrics().elidedText(title, Qt.TextElideMode.ElideRight, int(col_w - 4)))
            p.setFont(self.font())
            p.setPen(grey)
            p.drawText(QRectF(x0 + 2, line, col_w - 4, line), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                       fm.elidedText(subtitle, Qt.TextElideMode.ElideRight, int(col_w - 4)))
            if not top:
                p.drawText(QRectF(x0, 2 * line, col_w, line), Qt.AlignmentFlag.AlignCenter, "no word fits")
                continue
            label_w = min(max(fm.horizontalAdvance(w) for w, _ in top) + 6, col_w * 0.45)
            bar_w = max(col_w - label_w - value_w - 2, 6)
            peak = max(pr for _, pr in top) or 1.0
            colour = QColor(*SOURCE_COLOURS.get(source, (120, 120, 120)))
            for i, (word, prob) in enumerate(top[: self.ROWS]):
                y = (i + 2) * line
                p.setPen(text)
                p.drawText(QRectF(x0, y, label_w - 4, line), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                           fm.elidedText(word, Qt.TextElideMode.ElideRight, int(label_w - 4)))
                w = bar_w * prob / peak
                p.fillRect(QRectF(x0 + label_w, y + 2, w, line - 4), colour)
                p.drawText(QRectF(x0 + label_w + w + 2, y, value_w, line), Qt.AlignmentFlag.AlignVCenter,
                           f"{prob:.1%}")
        p.end()


class PredictionTraceView(QFrame):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("predictionTrace")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.headers: dict[str, QLabel] = {}
        self.tokens = QLabel(wordWrap=True, objectName="traceTokens")
        self.tokens.setTextFormat(Qt.TextFormat.RichText)
        self.padded = QLabel(wordWrap=True, objectName="tracePadded")
        self.setMinimumWidth(260)
        self.padded.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.embedding = HeatMap("embeddingHeatmap")
        self.hidden = HeatMap("hiddenHeatmap")
        self.last_state = HeatMap("lastStateHeatmap")
        self.last_state.setMinimumHeight(14)
        self.last_state.setMaximumHeight(18)
        self.bars = TopBars()
        self.sources = SourceColumns()
        self.weights = QLabel(objectName="blendWeights", wordWrap=True)
        self.weights.setTextFormat(Qt.TextFormat.RichText)
        self.prediction = QLabel(objectName="tracePrediction", wordWrap=True)
        for key, widgets in (
            ("input", [self.tokens, self.padded]),
            ("embedding", [self.embedding]),
            ("gru", [self.hidden, self.last_state]),
            ("dense", [self.bars]),
            ("sources", [self.weights, self.sources]),
            ("prediction", [self.prediction]),
        ):
            header = QLabel(objectName=f"traceHeader_{key}", wordWrap=True)
            header.setTextFormat(Qt.TextFormat.RichText)
            layout.addWidget(header)
            self.headers[key] = header
            for w in widgets:
                layout.addWidget(w)
        self.trace = None
        self.set_trace(None)

    def shape_texts(self) -> dict[str, str]:
        return {k: h.text() for k, h in self.headers.items()}

    def set_trace(self, trace) -> None:
        self.trace = trace
        if trace is None:
            titles = {"input": "1 · input tokens", "embedding": "2 · embedding", "gru": "3 · GRU",
                      "dense": "4 · dense + softmax", "sources": "5 · what suggests: GRU, counts, blend",
                      "prediction": "6 · prediction"}
            for k, h in self.headers.items():
                h.setText(f"<b>{titles[k]}</b>")
            self.tokens.setText("<i>load a trained model and type</i>")
            self.padded.setText("")
            for hm in (self.embedding, self.hidden, self.last_state):
                hm.set_values(None)
            self.bars.set_top([])
            self.set_sources(None)
            self.prediction.setText("")
            return
        s = trace.shapes
        n, E = s["embedding"]
        H, V = s["last_state"][0], s["dense"][0]
        L = s["padded"][0]
        self.headers["input"].setText(f"<b>1 · input tokens</b> <span style='color:gray'>— {n} tokens "
                                      f"(<code>&lt;bos&gt;</code> + this sentence); window of L = {L}: shape ({L},)</span>")
        chips = []
        for tok, i, unk in zip(trace.tokens, trace.ids, trace.unknown, strict=True):
            style = "background:#ffe0b2;" if unk else "background:palette(alternate-base);"
            chips.append(f"<span style='{style} padding:2px'>{html.escape(tok)}<sub>{i}</sub></span>")
        self.tokens.setText(" ".join(chips) + ("  <span style='color:#b26a00'>(orange: unknown word → &lt;unk&gt; = 1)</span>"
                                               if any(trace.unknown) else ""))
        real = len([i for i in trace.padded if i])
        self.padded.setText("padded window: [" + " ".join(str(i) for i in trace.padded) + "]"
                            + (f"  ← {L - real} zeros of padding" if real < L else ""))
        cols = slice(-MAX_COLUMNS, None)
        self.headers["embedding"].setText(f"<b>2 · embedding</b> <span style='color:gray'>— each token's row of the "
                                          f"{V:,} × {E} table: shape ({n}, {E}); red +, blue −</span>")
        self.embedding.set_values(trace.embedding[cols])  # rows = tokens, columns = E
        self.headers["gru"].setText(f"<b>3 · GRU</b> <span style='color:gray'>— hidden state after each token: shape "
                                    f"({H}, {n}) as drawn (H × tokens); last state ({H},) below</span>")
        self.hidden.set_values(trace.hidden[cols].T)  # (H, tokens)
        self.last_state.set_values(trace.last_state[None, :])
        self.headers["dense"].setText(f"<b>4 · dense + softmax</b> <span style='color:gray'>— {H} → {V:,} scores, "
                                      f"softmax to probabilities: shape ({V},); top 10 shown</span>")
        self.bars.set_top(trace.top)
        self.headers["prediction"].setText("<b>6 · prediction</b>")
        if trace.prefix:
            self.prediction.setText(f"completing “{html.escape(trace.prefix)}” → <b>{html.escape(trace.prediction or '(no word in the vocabulary starts like this)')}</b>")
        else:
            self.prediction.setText(f"next word → <b>{html.escape(trace.prediction)}</b>")

    def set_sources(self, sources) -> None:
        """Step 5 and the prediction from a `SourcesTrace` (None: nothing to show)."""
        self.source_trace = sources
        if sources is None:
            self.headers["sources"].setText("<b>5 · what suggests: GRU, counts, blend</b>")
            self.weights.setText("")
            self.sources.set_columns([], "")
            return
        what = (f"completions of “{html.escape(sources.prefix)}” ranked by each" if sources.prefix else
                "the next word's ten most likely by each")
        self.headers["sources"].setText(f"<b>5 · what suggests: GRU, counts, blend</b> <span style='color:gray'>— "
                                        f"{what}; the chips use the shaded one</span>")
        w = sources.weights
        if w is None:
            self.weights.setText(f"<span style='color:#b26a00'>GRU only: {html.escape(sources.reason)}</span>")
        else:
            self.weights.setText(
                f"p = <b>{w.gru:.2f}</b>·GRU + <b>{w.counts:.2f}</b>·counts (Kneser–Ney trigram) + "
                f"<b>{w.cache:.2f}</b>·recency cache (words used earlier in the text) + "
                f"<b>{w.state:.2f}</b>·state cache (words that followed earlier moments whose GRU state was like "
                f"this one); "
                f"λ = a / (a + b) = <b>{w.lam:.2f}</b>, fitted on the run's validation text")
        subtitles = {"gru": "the network", "counts": "last two words",
                     "blend": "the mix above" if w is not None else ""}
        self.sources.set_columns([(s, subtitles.get(s, ""), top) for s, top in sources.top.items()], sources.chosen)
        best = sources.top.get(sources.chosen) or []
        word = best[0][0] if best else ""
        name = SOURCE_TITLES.get(sources.chosen, sources.chosen)
        if sources.prefix:
            self.prediction.setText(f"completing “{html.escape(sources.prefix)}” ({name}) → "
                                    f"<b>{html.escape(word or '(no word in the vocabulary starts like this)')}</b>")
        else:
            self.prediction.setText(f"next word ({name}) → <b>{html.escape(word)}</b>")
