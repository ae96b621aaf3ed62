"""Evaluation on held-out text: perplexity, top-1, top-3 and keystroke savings (design §1).

Keystroke savings = 1 − (keys pressed with suggestions) / (keys pressed without). Without suggestions a
word costs its letters plus a space. With the top-3 suggestions, before each letter the simulated typist
looks at the three most likely words that start with what is typed so far; once the word is there, one
key accepts it (word and space). Words outside the vocabulary are typed in full. Punctuation tokens cost
the same with or without and are left out of both counts.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch

from .config import TrainConfig
from .corpus import Corpus
from .data import make_windows
from .model import GRULanguageModel
from .train import evaluate_windows
from .vocab import BOS, RESERVED, UNK, Vocab, is_word

KEYSTROKE_WORDS = 20_000  # words simulated for keystroke savings (the costliest metric)


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
             sentences: np.ndarray | None = None, keystroke_words: int = KEYSTROKE_WORDS) -> EvalReport:
    """Score `model` on `corpus` (all sentences, or the given indices), which it was not trained on."""
    ids = vocab.remap_table(corpus.words)[corpus.ids]
    if sentences is None:
        sentences = np.arange(corpus.n_sentences)
    windows = make_windows(ids, corpus.starts, sentences, config.seq_len)
    res = evaluate_windows(model, windows, max(config.batch_size, 64))
    saved, typed, words = keystrokes(model, vocab, corpus, ids, sentences, keystroke_words)
    return EvalReport(
        perplexity=res.perplexity, top1=res.accuracy, top3=res.top3,
        keystroke_savings=1.0 - saved / typed if typed else 0.0,
        tokens=res.tokens, loss=res.loss, keystroke_words=words,
    )


@torch.inference_mode()
def keystrokes(model: GRULanguageModel, vocab: Vocab, corpus: Corpus, ids: np.ndarray,
               sentences: np.ndarray, max_words: int) -> tuple[int, int, int]:
    """(keys with suggestions, keys without, words simulated) over the first `max_words` words."""
    model.eval()
    suggestable = vocab.suggestable
    with_keys = without_keys = words = 0
    for s in sentences:
        a, b = int(corpus.starts[s]), int(corpus.starts[s + 1])
        sent_ids = ids[a:b].tolist()
        out, _, _ = model.run([BOS] + sent_ids[:-1], None)  # (n, H): state before each word
        probs = torch.softmax(model.logits(out), dim=1).numpy()  # (n, V)
        for pos, target in enumerate(sent_ids):
            word = corpus.words[corpus.ids[a + pos]]
            if not is_word(word) or word in RESERVED:
                continue
            cost = len(word) + 1
            without_keys += cost
            if target != UNK and suggestable[target]:
                p = probs[pos]
                higher = (p > p[target]) & suggestable  # words ranked above the target
                for k in range(len(word)):
                    rivals = higher.sum() if k == 0 else higher[vocab.ids_with_prefix(word[:k])].sum()
                    if rivals < 3:
                        cost = k + 1  # k letters typed, one key to accept
                        break
            with_keys += cost
            words += 1
            if words >= max_words:
                return with_keys, without_keys, words
    return with_keys, without_keys, words
