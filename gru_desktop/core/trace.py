"""Traces as plain dataclasses for the GUI: the pipeline with real shapes, and one prediction layer by layer."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from .config import TrainConfig
from .data import Dataset
from .model import GRULanguageModel
from .predict import Predictor
from .vocab import BOS, PAD, UNK


@dataclass
class Stage:
    number: int
    name: str
    shape: tuple  # real numbers for this corpus and these settings
    shape_text: str  # e.g. "1,204 windows × 10"
    detail: str  # what happens here, in one sentence
    sample: str  # the sample sentence at this stage


@dataclass
class PipelineTrace:
    stages: list[Stage]
    sentence: list[str] = field(default_factory=list)


def pipeline_trace(dataset: Dataset, config: TrainConfig, model: GRULanguageModel | None = None) -> PipelineTrace:
    """The six stages of design §1 for `dataset`, with the sample sentence followed through each one.

    With no trained model, a freshly initialised one (seeded) shows the shapes and the kind of numbers.
    """
    corpus, vocab, L = dataset.corpus, dataset.vocab, config.seq_len
    E, H, V = config.embed_dim, config.hidden_size, len(vocab)
    if model is None:
        torch.manual_seed(config.seed)
        model = GRULanguageModel.from_config(config, V).eval()
    lengths = corpus.sentence_lengths()
    s = _sample_sentence(lengths, dataset.train_sentences, L)
    words = corpus.sentence_words(s)
    ids = dataset.ids[corpus.starts[s] : corpus.starts[s + 1]].tolist()
    row = ([BOS] + ids)[:L]
    padded = row + [PAD] * (L - len(row))
    N, W = corpus.n_sentences, dataset.train.n_windows + dataset.val.n_windows
    with torch.inference_mode():
        emb = model.embedding(torch.tensor([padded]))[0]  # (L, E)
        out, _, state = model.run(row, None)  # out: (len(row), H)
        probs = torch.softmax(model.logits(out[-1]), 0)
        top = probs.masked_fill(torch.from_numpy(~vocab.suggestable), -1).topk(min(5, V - 3))
    shown = ", ".join(f"{vocab.itos[i]} {p:.1%}" for i, p in zip(top.indices.tolist(), top.values.tolist(), strict=True))
    unk = sum(1 for i in ids if i == UNK)
    stages = [
        Stage(1, "raw text", (N,), f"{N:,} sentences",
              f"{len(corpus.files)} file(s), {corpus.n_tokens:,} words, split at . ! ? and blank lines",
              " ".join(words)),
        Stage(2, "tokenization", (N, None), f"{N:,} sequences × {int(lengths.min())}–{int(lengths.max())} ids (mean {lengths.mean():.1f})",
              f"{V:,} ids: <pad>=0, <unk>=1, <bos>=2 and the {V - 3:,} most frequent words; {dataset.oov_share:.1%} of words become <unk>",
              " ".join(f"{w}={i}" for w, i in zip(words, ids, strict=True)) + (f"  ({unk} unknown)" if unk else "")),
        Stage(3, "padding", (W, L), f"{W:,} windows × {L}",
              f"<bos> first, cut into windows of {L}, zeros after the words; {np.mean(lengths > L):.1%} of sentences are longer than {L}",
              "[" + " ".join(map(str, padded)) + "]"),
        Stage(4, "embedding", (W, L, E), f"{W:,} × {L} × {E}",
              f"each id picks a row of a {V:,} × {E} table of learned numbers",
              f"{vocab.itos[padded[1] if len(row) > 1 else padded[0]]} → [" + ", ".join(f"{x:+.2f}" for x in emb[min(1, len(row) - 1), :6].tolist()) + ", …]"),
        Stage(5, "GRU", (W, L, H), f"{W:,} × {L} × {H} per position, {W:,} × {H} last state",
              f"{config.layers} layer(s) of {H} units read the window left to right, keeping a state",
              "last state [" + ", ".join(f"{x:+.2f}" for x in out[-1, :6].tolist()) + ", …]"),
        Stage(6, "dense + softmax", (W, V), f"{W:,} × {V:,} probabilities",
              (f"a {H} → {E} projection, then each word's embedding row scores it (the embedding is shared with "
               "this layer); softmax turns scores into probabilities") if config.tie_weights else
              f"a {H} → {V:,} layer scores every word; softmax turns scores into probabilities",
              f"after \"{' '.join(words[: len(row) - 1])}\": {shown}"),
    ]
    return PipelineTrace(stages, words)


def _sample_sentence(lengths: np.ndarray, candidates: np.ndarray, L: int) -> int:
    """A typical training sentence: the first with 4..L words, else the first one."""
    for s in candidates[:5000]:
        if 4 <= lengths[s] <= L:
            return int(s)
    return int(candidates[0]) if len(candidates) else 0


@dataclass
class PredictionTrace:
    tokens: list[str]  # <bos> and the current sentence's words
    ids: list[int]
    unknown: list[bool]
    padded: list[int]  # the last L ids, zeros after (the model's input window)
    embedding: np.ndarray  # (tokens, E)
    hidden: np.ndarray  # (tokens, H): top GRU layer's state after each token
    last_state: np.ndarray  # (H,)
    top: list[tuple[str, float]]  # the 10 most likely next words
    prediction: str
    prefix: str
    shapes: dict


def prediction_trace(predictor: Predictor, text: str, top_n: int = 10) -> PredictionTrace:
    cfg, vocab, model = predictor.config, predictor.vocab, predictor.model
    ctx = predictor.context(text)
    ids = [BOS] + ctx.ids
    with torch.inference_mode():
        emb = model.embedding(torch.tensor(ids)).numpy()  # (n, E)
        out, logits, _ = model.run(ids, None)  # out: (n, H)
        probs = torch.softmax(logits, 0)
    top = predictor.top_k(probs, "", top_n)
    best = predictor.top_k(probs, ctx.prefix, 1)
    window = ids[-cfg.seq_len :]
    n, E, H, V = len(ids), cfg.embed_dim, cfg.hidden_size, len(vocab)
    return PredictionTrace(
        tokens=[vocab.itos[BOS]] + ctx.tokens,
        ids=ids,
        unknown=[i == UNK for i in ids],
        padded=window + [PAD] * (cfg.seq_len - len(window)),
        embedding=emb,
        hidden=out.numpy(),
        last_state=out[-1].numpy(),
        top=[(s.word, s.probability) for s in top],
        prediction=best[0].word if best else "",
        prefix=ctx.prefix,
        shapes={"input": (n,), "padded": (cfg.seq_len,), "embedding": (n, E), "gru": (n, H), "last_state": (H,), "dense": (V,)},
    )
