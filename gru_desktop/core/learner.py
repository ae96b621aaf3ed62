"""Learning a finished word: predict it first (held out), record that for the weight, then learn it.

`Learner.finished(predictor, text_before, word)` is called when the user finishes a word (types a space or
punctuation after it, or accepts a suggestion). It
1. reads the blend's and the personal part's distributions for the context *before* learning the word
   (so every word checks the personal part on text it has not seen: a rolling held-out window),
2. counts the keys the word would have cost with the personal part (at the fitted weight) and without it,
   with the same simulated typist as keystroke savings (design §1, `core/evaluate.py`): before each letter
   the three most likely words with the letters so far are shown, and one key accepts,
3. hands that to the online weight (`adapt_weight.py`) and learns the word into the counts (`personal.py`).
Returns the keys of the rows that changed, for storage to write (off the GUI thread). Paused: nothing.
"""
from __future__ import annotations

import numpy as np

from .adapt_weight import Observation
from .personal_view import PersonalPart
from .vocab import RESERVED, UNK, Vocab, is_word


def word_cost(probs: np.ndarray, word: str, vocab: Vocab, extra_words: list[str] | None = None,
              extra_p: np.ndarray | None = None) -> int | None:
    """Keys to type `word` (then a space) with top-3 suggestions from `probs` (V,) plus learned new words
    (`extra_words` with their probabilities); None for a token that is not a word (punctuation)."""
    if not is_word(word) or word in RESERVED:
        return None
    target = vocab.id(word)
    suggestable = vocab.suggestable
    p_t = None
    if target != UNK and suggestable[target]:
        p_t = float(probs[target])
    elif extra_words and word in extra_words:
        p_t = float(extra_p[extra_words.index(word)])  # type: ignore[index]
    if p_t is None:
        return len(word) + 1  # never suggested: typed in full
    higher = (probs > p_t) & suggestable  # (V,) words ranked above it
    rivals_new = [w for w, p in zip(extra_words or [], extra_p if extra_p is not None else [], strict=True)
                  if p > p_t and w != word]
    for k in range(len(word)):
        prefix = word[:k]
        rivals = int(higher.sum()) if k == 0 else int(higher[vocab.ids_with_prefix(prefix)].sum())
        rivals += sum(1 for w in rivals_new if w.startswith(prefix))
        if rivals < 3:
            return k + 1  # k letters typed, one key to accept
    return len(word) + 1


class Learner:
    """Learns finished words into a predictor's personal part, checking it first (see the module doc)."""

    def __init__(self, part: PersonalPart):
        self.part = part

    def finished(self, predictor, text_before: str, word: str, learn: bool = True) -> list[tuple]:
        """Check the personal part on `word` (typed after `text_before`), then learn it (`learn` False: only
        the check — the bench's and tests' way to hold the personal part fixed). Returns the changed keys."""
        part = self.part
        counts = part.counts
        if counts.paused:
            return []
        ctx = predictor.context(text_before)
        tokens = list(ctx.tokens)
        if not predictor.config.lowercase or word == word.lower():
            token = word
        else:
            token = word.lower()
        if part.enabled and is_word(token):
            self._check(predictor, ctx, token)
        return counts.learn(tokens, token) if learn else []

    def _check(self, predictor, ctx, word: str) -> None:
        part, vocab = self.part, predictor.vocab
        gru = predictor.advance(ctx.ids)
        base = predictor.mixed(gru, ctx, personal=False).numpy().astype(np.float64)
        d = part.weight.fitted
        row = part.view.row(ctx.tokens)
        if row is None:  # nothing learned yet: the personal part cannot say anything about this word
            return
        V = part.view.V
        target = vocab.id(word)
        p_personal_v = row[:V].copy()
        p_personal_v[UNK] += float(row[V:].sum())
        with_, words, shares = part.mix(base, ctx.tokens, d=d)
        keys_with = word_cost(with_, word, vocab, words, shares)
        keys_without = word_cost(base, word, vocab)
        if keys_with is None or keys_without is None:
            return
        part.weight.observe(Observation(float(base[target]), float(p_personal_v[target]), keys_with, keys_without,
                                        len(word) + 1))
