"""Family `parameters`: how many parameters the run's embedding, GRU and dense layers have, tied or not —
`numel()` of core/model.py's own modules (built on the meta device: any size, no memory). The wrong options are
the usual slips: biases forgotten, LSTM's four gates for GRU's three, every layer reading E, the tied matrix
counted twice."""
from __future__ import annotations

import functools
import random

import torch

from ..model import GRULanguageModel
from .material import Material
from .modules import device_for
from .question import Question, Skip, Wrong, make_question


@functools.lru_cache(maxsize=512)
def counts(V: int, E: int, H: int, layers: int, tied: bool) -> dict[str, int]:
    """numel() per part of the model; `total` counts a tied matrix once (as model.parameters() does)."""
    with torch.device(device_for(V, E, H, layers)):
        m = GRULanguageModel(V, E, H, layers, tie_weights=tied)
    dense = [m.fc.bias] + ([m.proj.weight] if m.proj is not None else [m.fc.weight])  # the shared (V, E) is the embedding's
    return {"embedding": m.embedding.weight.numel(), "gru": sum(p.numel() for p in m.gru.parameters()),
            "dense": sum(p.numel() for p in dense), "total": sum(p.numel() for p in m.parameters())}


def _n(x: int) -> str:
    return f"{x:,}"


def _question(material: Material, rng: random.Random, qid: str, part: str) -> Question:
    c, V = material.config, material.vocab_size
    E, H, n, tied = c.embed_dim, c.hidden_size, c.layers, c.tie_weights
    if V < 4:
        raise Skip("vocabulary too small")
    got = counts(V, E, H, n, tied)
    truth = got[part]
    gru_wrong = [
        Wrong(_n(3 * H * (E + H) + 3 * H * 2 * H * (n - 1)), "no-biases", "each gate has two bias vectors of H "
              "(input side and hidden side): 6·H per layer"),
        Wrong(_n(4 * H * (E + H + 2) + 4 * H * (2 * H + 2) * (n - 1)), "lstm-gates", "a GRU has three blocks "
              "(reset, update, new), an LSTM four"),
        Wrong(_n(3 * H * (E + H + 2) * n), "every-layer-reads-E", "only the first layer reads E; layers above "
              "read the H-wide output below"),
        Wrong(_n(3 * H * (E + H + 1) + 3 * H * (2 * H + 1) * (n - 1)), "one-bias", "PyTorch's GRU has two bias "
              "vectors per gate, b_ih and b_hh"),
    ]
    if part == "embedding":
        wrongs = [Wrong(_n((V - 3) * E), "reserved-not-counted", "<pad>, <unk> and <bos> have rows too"),
                  Wrong(_n(V * H), "hidden-for-embed", "the rows are E wide, not H"),
                  Wrong(_n(V * E + V), "embedding-has-bias", "an embedding is a plain table: no bias"),
                  Wrong(_n(V + E), "sizes-added", "one row of E numbers per id: V × E")]
        what, formula = "the embedding layer have", f"V × E = {V:,} × {E}"
        difficulty = "easy"
    elif part == "dense":
        if tied:
            wrongs = [Wrong(_n(V * E + H * E + V), "tied-counted-twice", "the (V, E) output matrix is the "
                            "embedding's own: it is counted once, with the embedding"),
                      Wrong(_n(H * V + V), "tied-ignored", "with tied weights there is no V × H matrix"),
                      Wrong(_n(H * E + E), "wrong-bias", "the bias is one per word (V), after the "
                            "projection, which has none"),
                      Wrong(_n(H * E), "no-biases", "the output layer keeps its bias of V")]
            formula = f"projection H × E + bias V = {H} × {E} + {V:,} (the V × E matrix is the embedding's)"
        else:
            wrongs = [Wrong(_n(H * V), "no-biases", "nn.Linear has a bias of V"),
                      Wrong(_n(E * V + V), "embed-for-hidden", "the dense layer reads H numbers, not E"),
                      Wrong(_n(H * E + V), "tied-assumed", "this run's output layer is untied: its own V × H matrix"),
                      Wrong(_n(H * (V - 3) + V - 3), "reserved-not-scored", "the reserved ids are scored too")]
            formula = f"H × V + V = {H} × {V:,} + {V:,}"
        what, difficulty = "the dense (output) layer have, not counting what it shares with the embedding", "medium"
    elif part == "gru":
        wrongs = gru_wrong
        what, difficulty = "the GRU have", "hard"
        formula = f"3·H·(E + H + 2) for the first layer = 3·{H}·({E} + {H} + 2)" + (
            f", plus 3·H·(2H + 2) = 3·{H}·({2 * H} + 2) for each of the {n - 1} above" if n > 1 else "")
    else:
        wrongs = [Wrong(_n(truth + V * E) if tied else _n(truth - V),
                        "tied-counted-twice" if tied else "no-biases",
                        "the tied matrix is one tensor: model.parameters() yields it once" if tied
                        else "the dense layer's bias (V) counts too"),
                  Wrong(_n(got["embedding"] + got["dense"] + 3 * H * (E + H + 2) * n), "every-layer-reads-E",
                        "only the first GRU layer reads E"),
                  Wrong(_n(got["embedding"] + got["dense"]), "gru-forgotten", "the GRU has parameters too"),
                  Wrong(_n(got["embedding"] + got["gru"] + H * V + V), "tied-ignored" if tied else "tied-assumed",
                        "this run ties its output layer" if tied else "this run's output layer is untied")]
        what, difficulty = "the whole model have", "hard"
        formula = (f"embedding {got['embedding']:,} + GRU {got['gru']:,} + dense {got['dense']:,}")
    text = (f"V = {V:,}, E = {E}, H = {H}, {n} GRU layer{'s' if n > 1 else ''}, "
            f"{'tied' if tied else 'untied'} output layer. How many parameters does {what}?")
    steps = [f"Step 1: {formula}.",
             "Step 2: " + {"embedding": "an embedding is a table: one row of E per id, no bias.",
                           "dense": "nn.Linear(in, out) has in × out weights and out biases.",
                           "gru": "each of the 3 gates has an input matrix, a hidden matrix and two biases.",
                           "total": "a tied matrix is one tensor and counts once."}[part],
             f"Final answer: {truth:,}.",
             f"Quick check: numel() of core/model.py's {part if part != 'total' else 'parameters()'} = {truth:,}."]
    return make_question(qid=qid, family="parameters", difficulty=difficulty, text=text, correct=_n(truth),
                         wrongs=[w for w in wrongs if not w.text.startswith("-")], hint={
                             "embedding": "One row per id.", "dense": "Weights plus biases; what does it share?",
                             "gru": "Three gates, each with W_i (H × in), W_h (H × H) and two biases.",
                             "total": "Add the parts; shared tensors once."}[part],
                         solution=steps, rng=rng, is_true=lambda o: int(o.replace(",", "")) == truth,
                         given={"vocab": V, "embed": E, "hidden": H, "layers": n, "tied": tied, "part": part,
                                "count": truth})


def variants() -> dict:
    return {p: (d, functools.partial(_part, p)) for p, d in
            (("embedding", "easy"), ("dense", "medium"), ("gru", "hard"), ("total", "hard"))}


def _part(part: str, material: Material, rng: random.Random, qid: str) -> Question:
    return _question(material, rng, qid, part)
