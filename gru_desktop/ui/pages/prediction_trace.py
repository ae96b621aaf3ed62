"""The prediction trace (`predictionTrace`): what each layer did with the words typed so far.

Six steps, as on the teaching page: (1) input tokens and their ids, `<unk>` and padding marked;
(2) the embedding rows as a heat map (tokens × E); (3) the GRU hidden state at each position (H × tokens)
and its last state; (4) the softmax's top 10 as bars; (5) what suggests: the GRU's, the counts' and the
blend's distributions side by side (top 10 each) with the blend's weights; (6) the prediction of the chosen
source. Shapes are printed at each layer. It shows a core `PredictionTrace` and the predictor's
`distributions`; the page decides when to recompute them (throttled). The painting is in
`widgets/trace_painters.py`.
"""
from __future__ import annotations

import html
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout

from ..widgets.trace_painters import SOURCE_TITLES, HeatMap, SourceColumns, TopBars

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
