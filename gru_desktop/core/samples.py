"""Sample suggestions while training: the GRU's top-3 next words for a few prefixes, once per epoch.

Five prefixes are drawn from the validation text (fixed for the run by its seed), so a learner watches the
network's guesses for text it never trains on get better (or worse) epoch by epoch; the user can add their
own ("thank you for your"). They show the network alone: the blend is fitted only when training ends.
"""
from __future__ import annotations

import numpy as np
import torch

from .config import TrainConfig
from .model import GRULanguageModel
from .predict import Predictor
from .vocab import Vocab, is_word


def validation_prefixes(words: list[str], ids: np.ndarray, starts: np.ndarray, val_sentences: np.ndarray,
                        seed: int, n: int = 5) -> list[str]:
    """`n` prefixes of validation sentences (2–6 words, ending before a word), chosen by the run's seed."""
    rng = np.random.default_rng(seed + 7919)
    lengths = starts[val_sentences + 1] - starts[val_sentences]
    usable = val_sentences[lengths >= 3]
    if usable.size == 0:
        return []
    picks = rng.choice(usable, size=min(n * 3, usable.size), replace=False)
    out: list[str] = []
    for s in picks.tolist():
        a, b = int(starts[s]), int(starts[s + 1])
        k = int(rng.integers(2, min(6, b - a - 1) + 1))
        tokens = [words[i] for i in ids[a:a + k].tolist()]
        if not is_word(words[int(ids[a + k])]):
            continue  # the next token is punctuation: not a word worth suggesting
        text = " ".join(tokens)
        if text not in out:
            out.append(text)
        if len(out) == n:
            break
    return out


def epoch_samples(model: GRULanguageModel, vocab: Vocab, config: TrainConfig, prefixes: list[str],
                  k: int = 3) -> list[dict]:
    """[{"prefix": ..., "suggestions": [word, ...]}] with the model as it is now (evaluated without dropout)."""
    if not prefixes:
        return []
    was_training = model.training
    try:
        predictor = Predictor(model.eval(), vocab, config)
        with torch.inference_mode():
            return [{"prefix": p, "suggestions": [s.word for s in predictor.suggest(p + " ", k)]} for p in prefixes]
    finally:
        model.train(was_training)
