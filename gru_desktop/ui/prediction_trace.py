"""The prediction trace (`predictionTrace`): what each layer did with the words typed so far.

Five layers, as on the teaching page: (1) input tokens and their ids, `<unk>` and padding marked;
(2) the embedding rows as a heat map (tokens × E); (3) the GRU hidden state at each position (H × tokens)
and its last state; (4) the softmax's top 10 as bars; (5) the prediction. Shapes are printed at each
layer. It shows a core `PredictionTrace`; the page decides when to recompute it (throttled).
"""
from __future__ import annotations

import html

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QFrame, QLabel, QSizePolicy, QVBoxLayout, QWidget

MAX_COLUMNS = 40  # positions shown in the heat maps (the most recent ones)


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
        self.prediction = QLabel(objectName="tracePrediction", wordWrap=True)
        for key, widgets in (
            ("input", [self.tokens, self.padded]),
            ("embedding", [self.embedding]),
            ("gru", [self.hidden, self.last_state]),
            ("dense", [self.bars]),
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
                      "dense": "4 · dense + softmax", "prediction": "5 · prediction"}
            for k, h in self.headers.items():
                h.setText(f"<b>{titles[k]}</b>")
            self.tokens.setText("<i>load a trained model and type</i>")
            self.padded.setText("")
            for hm in (self.embedding, self.hidden, self.last_state):
                hm.set_values(None)
            self.bars.set_top([])
            self.prediction.setText("")
            return
        s = trace.shapes
        n, E = s["embedding"]
        H, V = s["last_state"][0], s["dense"][0]
        L = s["padded"][0]
        self.headers["input"].setText(f"<b>1 · input tokens</b> <span style='color:gray'>— {n} tokens "
                                      f"(<code>&lt;bos&gt;</code> + this sentence); window of L = {L}: shape ({L},)</span>")
        chips = []
        for tok, i, unk in zip(trace.tokens, trace.ids, trace.unknown):
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
                                      f"softmax to probabilities: shape ({V:,},); top 10 shown</span>")
        self.bars.set_top(trace.top)
        self.headers["prediction"].setText("<b>5 · prediction</b>")
        if trace.prefix:
            self.prediction.setText(f"completing “{html.escape(trace.prefix)}” → <b>{html.escape(trace.prediction or '(no word in the vocabulary starts like this)')}</b>")
        else:
            self.prediction.setText(f"next word → <b>{html.escape(trace.prediction)}</b>")
