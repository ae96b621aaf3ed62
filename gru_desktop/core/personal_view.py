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

import bisect
from dataclasses import dataclass
from itertools import repeat
from operator import attrgetter

import numpy as np

from .adapt_weight import OnlineWeight
from .personal import BOS_TOKEN, PersonalCounts
from .topk import top_distinct
from .vocab import UNK, Vocab, is_word

ROWS_KEPT = 4  # rows remembered (PersonalView.row)
# contexts with at least this many followers get their arrays when the view is built (the load worker) rather
# than at the first keystroke after them: "the" or "of" has thousands, ~1-2 ms to gather on a busy machine
PREBUILT_FOLLOWERS = 100
_INFLATED, _SEEN = attrgetter("inflated"), attrgetter("seen")


class _Followers:
    """The words seen after one context, as arrays the query reads without a Python loop: slot, inflated
    count and sightings per follower (grown by doubling)."""

    def __init__(self):
        self.index: dict[str, int] = {}
        self.slots = np.zeros(8, dtype=np.int64)
        self.inflated = np.zeros(8, dtype=np.float64)
        self.seen = np.zeros(8, dtype=np.int64)
        self.n = 0

    @classmethod
    def of(cls, rows: dict, slots: list[int]) -> "_Followers":
        """The followers `rows` ({word: Row}) with their slots, built array by array (a context such as "the"
        has thousands: a Python loop per follower at a keystroke cost milliseconds)."""
        f = cls()
        n = len(rows)
        f.index = dict(zip(rows, range(n), strict=True))
        size = max(8, n)
        f.slots, f.inflated, f.seen = np.zeros(size, np.int64), np.zeros(size), np.zeros(size, np.int64)
        f.slots[:n] = slots
        f.inflated[:n] = np.fromiter(map(_INFLATED, rows.values()), np.float64, n)
        f.seen[:n] = np.fromiter(map(_SEEN, rows.values()), np.int64, n)
        f.n = n
        return f

    def set(self, word: str, slot: int, inflated: float, seen: int) -> None:
        k = self.index.get(word)
        if k is None:
            k = self.index[word] = self.n
            self.n += 1
            if self.n > self.slots.shape[0]:
                for name in ("slots", "inflated", "seen"):
                    a = getattr(self, name)
                    setattr(self, name, np.concatenate([a, np.zeros_like(a)]))
            self.slots[k] = slot
        self.inflated[k], self.seen[k] = inflated, seen


class PersonalView:
    def __init__(self, counts: PersonalCounts, vocab: Vocab, lowercase: bool = False):
        self.counts, self.vocab, self.lowercase = counts, vocab, lowercase
        self.V = len(vocab)
        self._generation = -1
        self._log_pos = 0
        self._rows: list[tuple] = []  # the last few rows: ((counts version, context), row), most recent last

    def _rebuild(self) -> None:
        self.new_words: list[str] = []  # slot V + i → word
        self._new_index: dict[str, int] = {}
        self._variants: dict[int, set[str]] = {}  # slot → stored spellings (case merged for lowercase runs)
        self.uni = np.zeros(self.V + 64, dtype=np.float64)  # eligible inflated unigram counts by slot
        self.uni_seen = np.zeros(self.V + 64, dtype=np.int64)  # sightings of the word by slot
        self._followers: dict[tuple, _Followers] = {}  # built when a context is first asked for
        self.sorted_words: list[str] = []  # the new words that are words (not punctuation), sorted: prefix
        self.sorted_slots = np.zeros(0, dtype=np.int64)  # look-ups by bisection; their slots alongside
        self._generation, self._log_pos = self.counts.generation, len(self.counts.log)
        for key in [k for k in self.counts.rows if len(k) == 1]:
            self._update_unigram(key[0])
        for ctx, rows in self.counts.follow.items():
            if ctx and len(rows) >= PREBUILT_FOLLOWERS:
                self._followers_of(ctx)

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
            if is_word(w):
                k = bisect.bisect_left(self.sorted_words, w)
                self.sorted_words.insert(k, w)
                self.sorted_slots = np.insert(self.sorted_slots, k, self.V + j)
            if self.V + j >= self.uni.shape[0]:
                self.uni = np.concatenate([self.uni, np.zeros(self.uni.shape[0])])
                self.uni_seen = np.concatenate([self.uni_seen, np.zeros(self.uni_seen.shape[0], dtype=np.int64)])
        return self.V + j

    def _slots(self, words) -> list[int]:
        """`slot` of each word: one dictionary look-up each for the run's words, `slot` for the others."""
        get, slot = self.vocab.stoi.get, self.slot
        if self.lowercase:
            return [slot(w) for w in words]
        return [i if i != UNK else slot(w) for w, i in zip(words, map(get, words, repeat(UNK)), strict=True)]

    def _update_unigram(self, word: str) -> None:
        i = self.slot(word)
        names = self._variants.setdefault(i, set())
        names.add(word)
        total, seen = 0.0, 0
        for name in names:
            row = self.counts.rows.get((name,))
            if row is not None:
                seen = max(seen, row.seen)
                if self.counts.eligible((name,), row, i < self.V):
                    total += row.inflated
        self.uni[i], self.uni_seen[i] = total, seen

    def _followers_of(self, ctx: tuple) -> _Followers | None:
        f = self._followers.get(ctx)
        if f is None:
            rows = self.counts.follow.get(ctx)
            if not rows:
                return None
            f = self._followers[ctx] = _Followers.of(rows, self._slots(rows))
        return f

    def sync(self) -> None:
        """Follow what was learned, forgotten or pruned since the last call (a full rebuild only when everything
        changed: forget all, a rescale, a load — and the first time, which the GUI does in its load worker)."""
        counts = self.counts
        if counts.generation != self._generation:
            self._rebuild()
            return
        for key in counts.log[self._log_pos:]:
            if len(key) == 1:
                self._update_unigram(key[0])
            f = self._followers.get(key[:-1])
            if f is not None:
                row = counts.rows.get(key)  # None: forgotten or pruned, and then it counts no more
                f.set(key[-1], self.slot(key[-1]), row.inflated if row else 0.0, row.seen if row else 0)
        self._log_pos = len(counts.log)

    def row(self, context: list[str]) -> np.ndarray | None:
        """p_personal(· | the last two tokens of `context`) over the slots (V + new words), None when nothing
        is learned yet. (The same context and counts again: the same array, not recomputed.)"""
        ctx = tuple(([BOS_TOKEN, BOS_TOKEN] + [w for w in context])[-2:])
        key = (self.counts.version, ctx)
        for k, (was, p) in enumerate(self._rows):  # the chips' context and the learner's, a word apart
            if was == key:
                self._rows.append(self._rows.pop(k))
                return p
        self.sync()
        n = self.V + len(self.new_words)
        uni = self.uni[:n]
        total = float(uni.sum())
        if total <= 0:
            return None
        scale = self.counts.decay_scale()
        counts = self.counts
        # p = ((p_1·f_v + own_v)·f_uv + own_uv) with f = T/(C+T) and own the followers' shares, computed as
        # p_1·(f_v·f_uv) + own_v·f_uv + own_uv: one V-sized product, the followers added where they are
        coef = 1.0 / total
        adds: list[tuple[np.ndarray, np.ndarray]] = []  # (slots, shares) per context
        for c in ((ctx[1],), ctx):
            f = self._followers_of(c)
            if f is None:
                continue
            slots, seen = f.slots[: f.n], f.seen[: f.n]
            ok = (seen >= counts.phrase_seen) & ((slots < self.V) | (self.uni_seen[slots] >= counts.new_word_seen))
            if not ok.any():
                continue
            values = f.inflated[: f.n][ok] * scale
            c_sum, t = float(values.sum()), int(ok.sum())
            keep = t / (c_sum + t)
            coef *= keep
            adds = [(s, w * keep) for s, w in adds]
            adds.append((slots[ok], values / (c_sum + t)))
        p = uni * coef
        for s, w in adds:  # (two spellings may share a slot: add.at sums them)
            np.add.at(p, s, w)
        self._rows.append((key, p))
        del self._rows[:-ROWS_KEPT]
        return p


@dataclass
class NewWords:
    """Learned words outside the run's vocabulary with their share of the mixture, sorted by word so the
    ones with a prefix are found by bisection (a few thousand of them cost no Python loop per keystroke)."""

    words: list[str]
    p: np.ndarray  # (len(words),) aligned with words

    def span(self, prefix: str) -> tuple[int, int]:
        if not prefix:
            return 0, len(self.words)
        return (bisect.bisect_left(self.words, prefix), bisect.bisect_left(self.words, prefix + "\U0010ffff"))

    def probability(self, word: str) -> float | None:
        k = bisect.bisect_left(self.words, word)
        return float(self.p[k]) if k < len(self.words) and self.words[k] == word else None

    def top(self, prefix: str, k: int) -> list[tuple[str, float]]:
        lo, hi = self.span(prefix)
        seg = self.p[lo:hi]
        if seg.size == 0:
            return []
        found = top_distinct(seg.copy(), k, 0.0) if seg.size > k else None  # (no tie: the same set, faster)
        best = found if found is not None else (np.argsort(-seg)[:k] if seg.size <= k else np.argpartition(-seg, k)[:k])
        return [(self.words[lo + int(i)], float(seg[i])) for i in best if seg[i] > 0]

    def top_values(self, prefix: str, k: int) -> list[float]:
        """The k largest probabilities above 0 of the new words with this prefix (fewer if there are fewer)."""
        lo, hi = self.span(prefix)
        seg = self.p[lo:hi]
        seg = seg[seg > 0]
        return (seg if seg.size <= k else np.partition(seg, seg.size - k)[seg.size - k:]).tolist()

    def count(self, prefix: str, above: float, at_least: float) -> tuple[int, int]:
        """(how many with this prefix have p > above and ≥ at_least, how many have p > 0 and ≥ at_least)."""
        lo, hi = self.span(prefix)
        seg = self.p[lo:hi]
        shown = (seg > 0) & (seg >= at_least)
        return int((shown & (seg > above)).sum()), int(shown.sum())


class PersonalPart:
    """What a Predictor needs for the fifth part: the view on this run's vocabulary and the fitted weight.

    `mix` also gives the new words (outside the vocabulary) with their share d·p_personal(w), for suggestions."""

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

    def mix(self, base: np.ndarray, context: list[str], d: float | None = None) -> tuple[np.ndarray, NewWords | None]:
        """(1 − d)·base + d·p_personal over V (the new words' mass on `<unk>`), and the new words' shares."""
        d = self.d if d is None else d
        row = self.view.row(context) if d > 0 else None
        if row is None:
            return base, None
        view, V = self.view, self.view.V
        out = (1 - d) * base
        out += d * row[:V]  # (in place: the same sums, one array fewer)
        out[UNK] += d * float(row[V:].sum())
        if not view.sorted_words:
            return out, None
        return out, NewWords(view.sorted_words, d * row[view.sorted_slots])
