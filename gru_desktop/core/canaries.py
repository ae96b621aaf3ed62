"""Canaries (Carlini et al. 2019): random secret-like sentences put into the training text on purpose, whose
exposure after each epoch shows how fast and how much this model memorises (`train --canaries N`).

N canaries at each of 16, 4 and 1 repetitions are added to the training sentences — after the split, so
never to the validation text — plus N drawn the same way and never trained on (0 repetitions: the
control, whose exposure stays near its chance level of about 1.4 bits). A canary reads
"my pin is 4 8 2 1 9 3": a fixed prefix and six random digits written apart, so that with the words
tokenizer (which keeps a number whole) every random choice is a token of the vocabulary, as Carlini et al.
did for word-level models; a 6-digit number would be one rare token, `<unk>` outside the vocabulary. The
digits and the prefixes' words are counted with the training text when the vocabulary is built, so they
have ids. Canaries are drawn from the run's seed: the same seed gives the same canaries, which is how the
audit finds them again.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from .config import TrainConfig
from .errors import UserError
from .secrets import candidates, mask_text
from .vocab import Vocab, tokenize_sentence

if TYPE_CHECKING:  # torch is imported when canaries are made into data or scored, not to check `--canaries`
    from .corpus import Corpus
    from .data import Dataset

REPEATS = (16, 4, 1, 0)
DIGITS = 6
TEMPLATES = ("my pin is", "the door code is", "my account number is", "the alarm code is", "my card number is",
             "the safe combination is")
MAX_CANARIES = 100


@dataclass(frozen=True)
class Canary:
    index: int
    reps: int  # times in the training text (0: the control, never trained on)
    prefix: str
    secret: str  # "4 8 2 1 9 3"

    @property
    def text(self) -> str:
        return f"{self.prefix} {self.secret}"

    @property
    def masked(self) -> str:
        return mask_text(self.text)


def check_count(n: int) -> int:
    if not isinstance(n, int) or not 1 <= n <= MAX_CANARIES:
        raise UserError(f"--canaries must be a whole number from 1 to {MAX_CANARIES} (canaries per repetition "
                        f"count: {', '.join(map(str, REPEATS[:-1]))} and a control never trained on), not {n}")
    return n


def make_canaries(n: int, seed: int) -> list[Canary]:
    """n canaries per repetition count in REPEATS, drawn from `seed` (the run's)."""
    check_count(n)
    rng = np.random.default_rng([seed, 0xCA9A])
    out: list[Canary] = []
    for reps in REPEATS:
        for _ in range(n):
            k = len(out)
            digits = " ".join(str(d) for d in rng.integers(0, 10, DIGITS))
            out.append(Canary(k, reps, TEMPLATES[k % len(TEMPLATES)], digits))
    return out


def with_canaries(corpus: Corpus, config: TrainConfig, canaries: list[Canary]) -> Dataset:
    """The dataset of `corpus` with the canaries added to its training sentences (its split and validation
    text exactly as without them). The ids are held in memory (a memory-mapped corpus is copied)."""
    from .data import build_dataset, make_windows  # here: `train --canaries -1` is refused before torch loads

    words, counts = list(corpus.words), corpus.counts.astype(np.int64).tolist()
    table = {w: i for i, w in enumerate(words)}
    sentences = []
    for c in canaries:
        toks = tokenize_sentence(c.text, corpus.tokenizer, corpus.lowercase)
        for t in toks:
            if t not in table:
                table[t] = len(words)
                words.append(t)
                counts.append(0)
            counts[table[t]] += c.reps
        sentences += [toks] * c.reps
    vocab = Vocab.build(words, np.asarray(counts), config.vocab_size, config.min_count)
    missing = [str(d) for d in range(10) if str(d) not in vocab.stoi]
    if missing:  # a vocabulary too small for them: the digits take the places of its rarest words
        if len(vocab) - len(missing) <= 3:
            raise UserError("the vocabulary is too small to hold the canaries' digits; raise --vocab-size")
        vocab = Vocab(vocab.itos[: len(vocab) - len(missing)] + missing)
    base = build_dataset(corpus, config, vocab=vocab)
    extra = np.asarray([vocab.id(t) for s in sentences for t in s], dtype=base.ids.dtype)
    ids = np.concatenate([np.asarray(base.ids), extra])
    ends = corpus.starts[-1] + np.cumsum([len(s) for s in sentences], dtype=np.int64)
    starts = np.concatenate([corpus.starts, ends])
    train_s = np.concatenate([base.train_sentences, corpus.n_sentences + np.arange(len(sentences))])
    # `train_sentences` stays the corpus's own (the count-based baseline is fitted on them); the canaries'
    # sentences are in the training windows only.
    return replace(base, ids=ids, canaries=list(canaries),
                   train=make_windows(ids, starts, train_s, config.seq_len),
                   val=make_windows(ids, starts, base.val_sentences, config.seq_len))


def canary_exposures(model, vocab: Vocab, config: TrainConfig, canaries: list[Canary],
                     n_candidates: int = 1000) -> list[dict]:
    """[{"index", "reps", "masked", "exposure", "max_exposure"}] with the model as it is now. Each canary's
    candidates (same prefix, other digits) are drawn from the seed and its index: the same every epoch."""
    from .audit import SpanScorer  # here: torch (audit's scorer) only once canaries are scored, not checked

    scorer = SpanScorer(model, vocab, config.tokenizer, config.lowercase)
    out = []
    for c in canaries:
        rng = np.random.default_rng([config.seed, 0xCA9B, c.index])
        e = scorer.exposure(c.prefix, c.secret, candidates(c.secret, "number", n_candidates, rng))
        out.append({"index": c.index, "reps": c.reps, "masked": c.masked, "exposure": round(e.exposure, 3),
                    "max_exposure": round(e.max_exposure, 3)})
    return out


def by_repeats(exposures: list[dict]) -> dict[str, float]:
    """Mean exposure (bits) per repetition count, e.g. {"16": 9.1, "4": 4.0, "1": 1.9, "0": 1.2}."""
    out = {}
    for reps in REPEATS:
        values = [e["exposure"] for e in exposures if e["reps"] == reps]
        if values:
            out[str(reps)] = round(float(np.mean(values)), 2)
    return out


def canary_line(by_reps: dict[str, float]) -> str:
    """"16×: 9.1 · 4×: 4.0 · 1×: 1.9 · never: 1.2 bits" (the epoch table's column, the CLI's line)."""
    return " · ".join(f"{'never' if k == '0' else k + '×'}: {v:.1f}" for k, v in by_reps.items()) + " bits"
