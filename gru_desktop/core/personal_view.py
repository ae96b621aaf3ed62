"""The personal counts as a distribution over one run's vocabulary (design §17).

    p_personal(w | u, v) — Witten–Bell interpolation of the learned trigram, bigram and unigram:
        p_1(w) = c(w) / C
        p_2(w | v) = (c(v, w) + T(v)·p_1(w)) / (C(v) + T(v))
        p_3(w | u, v) = (c(u, v, w) + T(u, v)·p_2(w | v)) / (C(u, v) + T(u, v))
    with decayed counts c, their sum C over the words seen after the context and T the number of those words.

Slots: the run's V ids, then one slot per learned word outside its vocabulary (the "new words"). Mixed with
the blend (over V), the new words' mass sits on `<unk>` — so the mixture stays a distribution and perplexity
compares honestly — while suggestions offer each new word by its own share (`PersonalPart.extras`).

Cost per word boundary: O(V) numpy work for the unigram (kept up to date incrementally, one slot per learn)
plus a Python loop over the words seen after the two contexts (few).
"""
from __future__ import annotations

import numpy as np

from .adapt_weight import OnlineWeight
from .personal import BOS_TOKEN, PersonalCounts
from .vocab import UNK, Vocab, is_word


class PersonalView:
    def __init__(self, counts: PersonalCounts, vocab: Vocab, lowercase: bool = False):
        self.counts, self.vocab, self.lowercase = counts, vocab, lowercase
        self.V = len(vocab)
        self._generation = -1
        self._log_pos = 0

    def _rebuild(self) -> None:
        self.new_words: list[str] = []  # slot V + i → word
        self._new_index: dict[str, int] = {}
        self._variants: dict[int, set[str]] = {}  # slot → stored spellings (case merged for lowercase runs)
        self.uni = np.zeros(self.V + 64, dtype=np.float64)  # eligible inflated unigram counts by slot
        self.uni_types = 0
        self._generation, self._log_pos = self.counts.generation, len(self.counts.log)
        for key in [k for k in self.counts.rows if len(k) == 1]:
            self._update_unigram(key[0])

    def slot(self, word: str) -> int:
        """The slot of a stored word: its vocabulary id, or its new-word slot (made on first sight)."""
        w = word.lower() if self.lowercase else word
        i = self.vocab.stoi.get(w, UNK)
        if i != UNK:
            return i
        j = self._new_index.get(w)
        if j is None:
            j = self._new_index[w] = len(self.new_words)
            self.new_words.append(w)
            if self.V + j >= self.uni.shape[0]:
                self.uni = np.concatenate([self.uni, np.zeros(self.uni.shape[0])])
        return self.V + j

    def _update_unigram(self, word: str) -> None:
        i = self.slot(word)
        names = self._variants.setdefault(i, set())
        names.add(word)
        before = self.uni[i]
        total = 0.0
        for name in names:
            row = self.counts.rows.get((name,))
            if row is not None and self.counts.eligible((name,), row, i < self.V):
                total += row.inflated
        self.uni[i] = total
        self.uni_types += int(total > 0) - int(before > 0)

    def sync(self) -> None:
        """Follow what was learned since the last call (a full rebuild after a forget or prune)."""
        counts = self.counts
        if counts.generation != self._generation:
            self._rebuild()
            return
        for word in counts.log[self._log_pos:]:
            self._update_unigram(word)
        self._log_pos = len(counts.log)

    def row(self, context: list[str]) -> np.ndarray | None:
        """p_personal(· | the last two tokens of `context`) over the slots (V + new words), None when nothing
        is learned yet."""
        self.sync()
        n = self.V + len(self.new_words)
        total = float(self.uni[:n].sum())
        if total <= 0:
            return None
        p = self.uni[:n] / total
        scale = self.counts.decay_scale()
        ctx = ([BOS_TOKEN, BOS_TOKEN] + [w for w in context])[-2:]
        for key in ((ctx[1],), (ctx[0], ctx[1])):
            followers = self.counts.follow.get(key)
            if not followers:
                continue
            slots, values = [], []
            for word, row in followers.items():
                i = self.slot(word)
                if self.counts.eligible(key + (word,), row, i < self.V):
                    slots.append(i)
                    values.append(row.inflated * scale)
            if not slots:
                continue
            c, t = float(sum(values)), len(slots)
            p = p * (t / (c + t))
            np.add.at(p, np.asarray(slots, dtype=np.int64), np.asarray(values) / (c + t))
        return p


class PersonalPart:
    """What a Predictor needs for the fifth part: the view on this run's vocabulary and the fitted weight.

    `extras(row, d)`: the new words (outside the vocabulary) with their share d·p_personal(w), for suggestions."""

    def __init__(self, counts: PersonalCounts, vocab: Vocab, lowercase: bool, weight: OnlineWeight | None = None):
        self.counts = counts
        self.view = PersonalView(counts, vocab, lowercase)
        self.weight = weight if weight is not None else OnlineWeight()
        self.enabled = True  # False: suggestions ignore it (the page's "learning off" and the bench's "off")

    @property
    def d(self) -> float:
        return self.weight.weight if self.enabled else 0.0

    def key(self) -> tuple:
        """Changes whenever the personal part's distribution could (caches of mixed rows key on it)."""
        return (self.counts.version, self.d)

    def mix(self, base: np.ndarray, context: list[str], d: float | None = None
            ) -> tuple[np.ndarray, list[str], np.ndarray]:
        """(1 − d)·base + d·p_personal over V (new words' mass on `<unk>`), the new words and their shares."""
        d = self.d if d is None else d
        row = self.view.row(context) if d > 0 else None
        if row is None:
            return base, [], np.zeros(0)
        V = self.view.V
        out = (1 - d) * base + d * row[:V]
        extra = row[V:] * d
        out[UNK] += float(extra.sum())
        words = self.view.new_words[: len(extra)]
        keep = [k for k, w in enumerate(words) if extra[k] > 0 and is_word(w)]
        return out, [words[k] for k in keep], extra[keep]
