"""Evaluation on held-out text: perplexity, top-1, top-3 and keystroke savings (design §1).

Keystroke savings = 1 − (keys pressed with suggestions) / (keys pressed without). Without suggestions a
word costs its letters plus a space. With the top-3 suggestions, before each letter the simulated typist
looks at the three most likely words that start with what is typed so far; once the word is there, one
key accepts it (word and space). Words outside the vocabulary are typed in full. Punctuation tokens cost
the same with or without and are left out of both counts.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import torch

from .blend import SOURCES, THETAS, Blend, Weights, fit_with_state, mix
from .blend_stream import stream
from .config import TrainConfig
from .corpus import Corpus
from .model import GRULanguageModel
from .ngram import KneserNeyTrigram
from .vocab import RESERVED, UNK, Vocab, is_word

KEYSTROKE_WORDS = 20_000  # words simulated for keystroke savings (the costliest metric)
FIT_TOKENS = 300_000  # validation words a run's blend is fitted and scored on (the first ones, in text order)


def first_tokens(sentences: np.ndarray, starts: np.ndarray, n: int = FIT_TOKENS) -> np.ndarray:
    """The first of these sentences (in their order) holding about n words between them (all, when fewer): on a
    big corpus the blend is fitted and scored on a fixed slice of validation, not on all of it."""
    lengths = (starts[sentences + 1] - starts[sentences]).astype(np.int64)
    k = int(np.searchsorted(np.cumsum(lengths), n)) + 1
    return sentences[:k]


@dataclass
class EvalReport:
    perplexity: float
    top1: float
    top3: float
    keystroke_savings: float
    tokens: int
    loss: float
    keystroke_words: int

    def to_dict(self) -> dict:
        return asdict(self)


def evaluate(model: GRULanguageModel, vocab: Vocab, config: TrainConfig, corpus: Corpus,
             sentences: np.ndarray | None = None, keystroke_words: int = KEYSTROKE_WORDS,
             blend: Blend | None = None) -> EvalReport:
    """Score what suggests — the blend when `blend` is given, else the GRU — on `corpus` (all sentences, or
    the given indices), which it was not trained on."""
    parts = evaluate_parts(model, vocab, config, corpus, sentences, keystroke_words, blend,
                           sources=("blend",) if blend is not None else ("gru",))
    return parts["blend" if blend is not None else "gru"]


def evaluate_parts(model: GRULanguageModel, vocab: Vocab, config: TrainConfig, corpus: Corpus,
                   sentences: np.ndarray | None = None, keystroke_words: int = KEYSTROKE_WORDS,
                   blend: Blend | None = None, sources: tuple[str, ...] = SOURCES) -> dict[str, EvalReport]:
    """Each source's numbers ("blend", "gru", "counts") on exactly the same positions (design §11).

    The text is read in order, as one text: the GRU from each sentence's `<bos>`, the counts from the last
    two words, the cache from the words before. Without `blend` only "gru" can be scored."""
    ids = vocab.remap_table(corpus.words)[corpus.ids]
    if sentences is None:
        sentences = np.arange(corpus.n_sentences)
    if blend is None:
        sources = tuple(s for s in sources if s == "gru")
    acc = {s: _Tally() for s in sources}
    counts = blend.counts if blend is not None else None
    with_cache = blend is not None and blend.weights.cache > 0 and "blend" in sources
    theta = blend.theta if blend is not None and blend.weights.state > 0 and "blend" in sources else None
    for sl in stream(model, ids, corpus.starts, sentences, counts, vocab.suggestable, with_cache, theta=theta):
        words = [corpus.words[i] for i in corpus.ids[sl.src].tolist()]
        for source in sources:
            w = blend.weights.for_source(source) if blend is not None else Weights(1.0, 0.0)
            acc[source].add(mix(w, sl.gru, sl.counts, sl.cache, sl.state), sl.w, words, vocab, keystroke_words)
    return {s: t.report() for s, t in acc.items()}


class _Tally:
    """Running sums for one source: −log p of the targets, top-1/top-3 hits, keystrokes with and without."""

    def __init__(self):
        self.nll = 0.0
        self.top1 = self.top3 = self.n = 0
        self.with_keys = self.without_keys = self.words = 0

    def add(self, probs: np.ndarray, targets: np.ndarray, words: list[str], vocab: Vocab, max_words: int) -> None:
        rows = np.arange(len(targets))
        self.nll -= float(np.log(np.maximum(probs[rows, targets], 1e-300)).sum())
        top = torch.from_numpy(probs).topk(3, dim=1).indices.numpy()  # (n, 3)
        hit = top == targets[:, None]
        self.top1 += int(hit[:, 0].sum())
        self.top3 += int(hit.any(axis=1).sum())
        self.n += len(targets)
        if self.words < max_words:
            self._keystrokes(probs, targets, words, vocab, max_words)

    def _keystrokes(self, probs, targets, words, vocab: Vocab, max_words: int) -> None:
        suggestable = vocab.suggestable
        for p, target, word in zip(probs, targets.tolist(), words, strict=True):
            if not is_word(word) or word in RESERVED:
                continue
            cost = len(word) + 1
            self.without_keys += cost
            if target != UNK and suggestable[target]:
                higher = (p > p[target]) & suggestable  # words ranked above the target
                for k in range(len(word)):
                    rivals = higher.sum() if k == 0 else higher[vocab.ids_with_prefix(word[:k])].sum()
                    if rivals < 3:
                        cost = k + 1  # k letters typed, one key to accept
                        break
            self.with_keys += cost
            self.words += 1
            if self.words >= max_words:
                return

    def report(self) -> EvalReport:
        loss = self.nll / self.n if self.n else math.nan
        return EvalReport(
            perplexity=math.exp(min(loss, 700.0)) if self.n else math.nan,
            top1=self.top1 / max(self.n, 1), top3=self.top3 / max(self.n, 1),
            keystroke_savings=1.0 - self.with_keys / self.without_keys if self.without_keys else 0.0,
            tokens=self.n, loss=loss, keystroke_words=self.words)


def fit_blend(model: GRULanguageModel, vocab: Vocab, corpus: Corpus, ids: np.ndarray, train_sentences: np.ndarray,
              val_sentences: np.ndarray) -> Blend:
    """Fit the counts on the training sentences and the weights on the validation sentences (design §11)."""
    counts = KneserNeyTrigram().fit(ids, corpus.starts, train_sentences, len(vocab))
    parts: list[list[np.ndarray]] = [[], [], [], []]
    for sl in stream(model, ids, corpus.starts, val_sentences, counts, vocab.suggestable, True, targets_only=True,
                     theta=THETAS):
        for k, p in enumerate((sl.gru, sl.counts, sl.cache, sl.state)):
            parts[k].append(p)
    a, b, c = (np.concatenate(p) if p else np.zeros(0) for p in parts[:3])
    d = np.concatenate(parts[3]) if parts[3] else np.zeros((0, len(THETAS)))
    weights, theta = fit_with_state(a, b, c, d)
    return Blend(counts, weights, theta=theta)
