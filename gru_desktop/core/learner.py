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

from collections import deque

import numpy as np

from .adapt_weight import Observation
from .personal_view import NewWords, PersonalPart
from .time_saved import THRESHOLDS
from .vocab import PARTIAL_WORD_RE, RESERVED, UNK, Vocab, is_word

RECENT_WORDS = 500  # finished words the page's typing numbers (time saved, thresholds) are measured over
SENTENCE_ENDS = ".,;:!?"
MAX_FINISHED_INSERT = 48  # an edit adding more characters than this at once is a paste, not a finished word
LONGEST_WORD = 256  # characters: the finished word is looked for only this far back (a document can be long)


def finished_word(old: str, new: str) -> tuple[str, str] | None:
    """(text before the word, the word) when `new` is `old` with a word just finished — a space or punctuation
    typed after it, or a suggestion accepted (the word and a space at once); None otherwise (an edit, a paste).
    `old` and `new` end where the edit ends: the Autocomplete box's whole text, or a document's text up to
    the end of an editor's change (the Language Server's `--learn`)."""
    if (len(new) <= len(old) or len(new) - len(old) > MAX_FINISHED_INSERT
            or not (new[-1].isspace() or new[-1] in SENTENCE_ENDS)):
        return None
    lo = max(0, len(new) - 1 - LONGEST_WORD)
    m = PARTIAL_WORD_RE.search(new, lo, len(new) - 1)  # `$` matches at the end position: before the space
    if not m or (m.start() == lo and lo > 0):  # nothing, or a "word" as long as the window: not learned
        return None
    before = new[: m.start()]
    if not (new[:-1].startswith(old) or (old.startswith(before) and new.startswith(old))):
        return None
    return before, m.group(0)


def typing_keys(probs: np.ndarray, word: str, vocab: Vocab, new: NewWords | None = None,
                thresholds=(0.0,)) -> list[tuple[int, int]] | None:
    """For each threshold p: (keys to type `word` then a space, wrong suggestions shown meanwhile), with the
    top-3 suggestions of `probs` (V,) plus learned new words, showing only those with probability ≥ p.
    Before each letter the simulated typist looks at what is shown; once the word is there, one key accepts
    it. None for a token that is not a word (punctuation)."""
    if not is_word(word) or word in RESERVED:
        return None
    target = vocab.id(word)
    suggestable = vocab.suggestable
    p_t = -1.0  # never shown
    if target != UNK and suggestable[target]:
        p_t = float(probs[target])
    elif new is not None:
        found = new.probability(word)
        p_t = found if found is not None and found > 0 else -1.0
    # Only how many shown words beat the target (fewer than 3?) and how many are shown (at most 3) matter,
    # so each prefix's three most likely suggestable words, and its three most likely new words with p > 0,
    # answer every threshold: found once per prefix (k letters typed), not once per threshold, and only for
    # the prefixes a threshold reaches; the counts are then over at most six numbers.
    tops: list[list[float]] = []

    def top(k: int) -> list[float]:
        while len(tops) <= k:
            j = len(tops)
            if j == 0:
                q = probs[suggestable]
            else:
                ids = vocab.ids_with_prefix(word[:j])
                q = probs[ids[suggestable[ids]]]
            found = (q if q.size <= 3 else np.partition(q, q.size - 3)[q.size - 3:]).tolist()
            if new is not None:
                found += new.top_values(word[:j], 3)
            tops.append(found)
        return tops[k]

    out = []
    for thr in thresholds:
        wrong, keys = 0, len(word) + 1
        for k in range(len(word)):
            shown_p = [x for x in top(k) if x >= thr]
            rivals = sum(1 for x in shown_p if x > p_t)
            shown = min(3, len(shown_p))
            if p_t >= thr and p_t >= 0 and rivals < 3:
                wrong += shown - 1  # the chips beside it
                keys = k + 1  # k letters typed, one key to accept
                break
            wrong += shown
        out.append((keys, wrong))
    return out


def word_cost(probs: np.ndarray, word: str, vocab: Vocab, new: NewWords | None = None) -> int | None:
    """Keys to type `word` (then a space) with top-3 suggestions from `probs` (V,) plus learned new words;
    None for a token that is not a word (punctuation)."""
    r = typing_keys(probs, word, vocab, new)
    return None if r is None else r[0][0]


class Learner:
    """Learns finished words into a predictor's personal part, checking it first (see the module doc)."""

    def __init__(self, part: PersonalPart | None):
        self.part = part
        # what suggests for the user's last words, per threshold: (letters + space, keys, wrong shown); for the
        # page's time saved and its threshold table (kept in memory only, also while paused)
        self.recent: deque[tuple[int, list[tuple[int, int]]]] = deque(maxlen=RECENT_WORDS)

    def finished(self, predictor, text_before: str, word: str, learn: bool = True,
                 paused: bool | None = None) -> list[tuple]:
        """Check the personal part on `word` (typed after `text_before`), then learn it (`learn` False: only
        the check — the bench's and tests' way to hold the personal part fixed). `paused`: whether learning
        was paused when the word was typed (None: the counts' state now). Returns the changed keys."""
        part = self.part
        ctx = predictor.context(text_before)
        token = word.lower() if predictor.config.lowercase else word
        probs = predictor.mixed(predictor.advance(ctx.ids), ctx)  # what suggested it (cached: the chips' own)
        tally = typing_keys(probs.numpy(), token, predictor.vocab, predictor.new_words(probs), THRESHOLDS)
        if tally is not None:
            self.recent.append((len(token) + 1, tally))
        if part is None or part.counts.paused or paused:
            return []
        counts = part.counts
        tokens = list(ctx.tokens)
        if part.enabled and is_word(token):
            self._check(predictor, ctx, token)
        return counts.learn(tokens, token) if learn else []

    def typing_numbers(self, threshold: float = 0.0) -> dict:
        """Over the last finished words, with suggestions shown from probability `threshold` on: words,
        letters + spaces, keys, suggestions accepted, wrong suggestions shown."""
        k = min(range(len(THRESHOLDS)), key=lambda i: abs(THRESHOLDS[i] - threshold))
        plain = sum(r[0] for r in self.recent)
        keys = sum(r[1][k][0] for r in self.recent)
        accepted = sum(1 for r in self.recent if r[1][k][0] < r[0])
        wrong = sum(r[1][k][1] for r in self.recent)
        return {"words": len(self.recent), "plain": plain, "keys": keys, "accepted": accepted, "wrong": wrong,
                "threshold": THRESHOLDS[k]}

    def _check(self, predictor, ctx, word: str) -> None:
        part, vocab = self.part, predictor.vocab
        assert part is not None
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
        with_, new = part.mix(base, ctx.tokens, d=d)
        keys_with = word_cost(with_, word, vocab, new)
        keys_without = word_cost(base, word, vocab)
        if keys_with is None or keys_without is None:
            return
        part.weight.observe(Observation(float(base[target]), float(p_personal_v[target]), keys_with, keys_without,
                                        len(word) + 1))
