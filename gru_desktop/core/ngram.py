"""Count-based baselines: an interpolated Kneser–Ney trigram and a unigram model over vocabulary ids.

They answer one question for the runs table: does the GRU beat counting? So they are trained on the run's
training sentences and scored on exactly the positions the GRU is validated on (design §1): every word of
a sentence is a target once, its history is `<bos>` plus the previous words of the same sentence, `<unk>`
is a target like any other word, and `<pad>`/`<bos>` are never predicted (candidates: every id but 0, 2).

Kneser–Ney (Chen & Goodman's interpolated, modified form, three discounts per order):
    P3(w|u,v) = max(c(uvw) − D3(c), 0) / c(uv·) + γ(uv) · P2(w|v)       (raw trigram counts)
    P2(w|v)   = max(n(·vw) − D2(n), 0) / n(·v·) + γ(v) · P1(w)          (continuation counts)
    P1(w)     = max(n(·w) − D1(n), 0) / n(··) + γ · 1/(V − 2)           (continuation counts, uniform floor)
γ(context) = (D1·N1 + D2·N2 + D3·N3+) / total of that context, so each distribution sums to 1; a context
never seen in training passes all its mass down. The first word's history is (`<pad>`, `<bos>`): `<pad>`
marks "no word before"; bigrams after `<bos>` keep raw counts, as they cannot be extended to the left
(KenLM does the same). A literal "<pad>"/"<bos>" in the text (ids 0/2) is counted as `<unk>`.

Top-k without the full V-wide distribution: outside the words seen after (u,v), P3 is γ(uv)·P2(w|v), so the
top-k of P3 lies in (followers of uv) ∪ top-k of P2(·|v); likewise top-k of P2(·|v) lies in (followers of v)
∪ top-k of P1. Both steps are computed once per distinct context, vectorised over all contexts.
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass

import numpy as np

from .vocab import BOS, PAD, UNK


@dataclass
class NgramReport:
    perplexity: float
    top1: float
    top3: float  # share of targets among the model's `top_k` most probable ids (top_k = 3 by default)
    tokens: int  # targets scored
    seconds: float  # scoring time
    train_tokens: int = 0  # targets the model was fitted on
    fit_seconds: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


_BLOCK = 1 << 16  # sentences whose positions are computed at once: temporaries stay a few MB on any corpus


def positions(ids: np.ndarray, starts: np.ndarray, sentences: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(u, v, w) int64 arrays, one entry per target: the two previous tokens and the target itself.

    Same order and count as data.make_windows' real positions; u = PAD, v = BOS before a sentence's first word.
    Filled a block of sentences at a time: the three arrays are all it holds (the run's end counts a few
    million words; whole-array temporaries there were several times the arrays, design §12)."""
    sentences = np.asarray(sentences)
    total = int((starts[sentences + 1] - starts[sentences]).sum()) if sentences.size else 0
    u, v, w = (np.empty(total, dtype=np.int64) for _ in range(3))
    done = 0
    for a in range(0, sentences.size, _BLOCK):
        uu, vv, ww = _block_positions(ids, starts, sentences[a : a + _BLOCK])
        u[done : done + ww.size], v[done : done + ww.size], w[done : done + ww.size] = uu, vv, ww
        done += ww.size
    return u, v, w


def targets(ids: np.ndarray, starts: np.ndarray, sentences: np.ndarray) -> np.ndarray:
    """`positions(...)[2]` alone (the targets, int64), without the two history arrays."""
    sentences = np.asarray(sentences)
    total = int((starts[sentences + 1] - starts[sentences]).sum()) if sentences.size else 0
    w = np.empty(total, dtype=np.int64)
    done = 0
    for a in range(0, sentences.size, _BLOCK):
        ww = _block_positions(ids, starts, sentences[a : a + _BLOCK])[2]
        w[done : done + ww.size] = ww
        done += ww.size
    return w


def _block_positions(ids: np.ndarray, starts: np.ndarray, sentences: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    sentences = np.asarray(sentences, dtype=np.int64)
    s0, s1 = starts[sentences], starts[sentences + 1]
    n = (s1 - s0).astype(np.int64)  # (S,) words per sentence
    total = int(n.sum())
    offset = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(n) - n, n)  # position within its sentence
    w = ids[np.repeat(s0, n) + offset].astype(np.int64)
    w[(w == PAD) | (w == BOS)] = UNK
    v = np.empty_like(w)
    v[1:] = w[:-1]
    v[offset == 0] = BOS
    u = np.empty_like(w)
    u[1:] = v[:-1]
    u[offset == 0] = PAD
    u[offset == 1] = BOS
    return u, v, w


def _unique_counts(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`np.unique(keys, return_counts=True)`, sorting `keys` in place (it is consumed): no sorted copy."""
    keys.sort()
    if keys.size == 0:
        return keys, np.zeros(0, dtype=np.int64)
    new = np.empty(keys.size, dtype=bool)
    new[0] = True
    np.not_equal(keys[1:], keys[:-1], out=new[1:])
    first = np.flatnonzero(new)
    del new
    counts = np.diff(np.append(first, keys.size)).astype(np.int64)
    return keys[first], counts


def _discounts(counts: np.ndarray) -> np.ndarray:
    """D[c] for c = 0..3 (index 3 = "3 or more") from the counts-of-counts n1..n4 (Chen & Goodman)."""
    n = [int(np.count_nonzero(counts == k)) for k in range(1, 5)]
    y = n[0] / (n[0] + 2 * n[1]) if n[0] + n[1] > 0 else 0.5
    d1 = 1 - 2 * y * n[1] / n[0] if n[0] else 0.5
    d2 = 2 - 3 * y * n[2] / n[1] if n[1] else d1
    d3 = 3 - 4 * y * n[3] / n[2] if n[2] else d2
    # Tiny corpora give odd counts-of-counts: keep 0 < D_k <= k so every context leaves mass to back off to.
    return np.array([0.0, min(max(d1, 0.01), 1.0), min(max(d2, 0.01), 2.0), min(max(d3, 0.01), 3.0)])


def _expand(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For ranges [lo_i, hi_i): (group i of every element, index of every element), concatenated."""
    size = hi - lo
    group = np.repeat(np.arange(len(lo)), size)
    index = np.repeat(lo - (np.cumsum(size) - size), size) + np.arange(int(size.sum()))
    return group, index


def _topk_groups(group: np.ndarray, cand: np.ndarray, prob: np.ndarray, n_groups: int, k: int) -> np.ndarray:
    """(n_groups, k) most probable candidates per group, -1 where a group has fewer; ties: lower id first."""
    order = np.lexsort((cand, -prob, group))
    group, cand = group[order], cand[order]
    keep = np.ones(len(group), dtype=bool)  # a candidate listed twice has the same probability: adjacent
    keep[1:] = (group[1:] != group[:-1]) | (cand[1:] != cand[:-1])
    group, cand = group[keep], cand[keep]
    first = np.searchsorted(group, np.arange(n_groups))
    rank = np.arange(len(group)) - first[group]
    out = np.full((n_groups, k), -1, dtype=np.int64)
    top = rank < k
    out[group[top], rank[top]] = cand[top]
    return out


class _Order:
    """One order's counts: sorted keys context·V + w, the counts used at this order, stats per context."""

    def __init__(self, keys: np.ndarray, counts: np.ndarray, V: int):
        self.V, self.keys, self.counts = V, keys, counts  # (n-grams,) sorted int64, (n-grams,) int64
        self.D = _discounts(counts)
        ctx = keys // V
        self.contexts, first = np.unique(ctx, return_index=True)  # (C,) sorted
        self.total = np.add.reduceat(counts, first).astype(np.float64)  # (C,) count after each context
        d = self.D[np.minimum(counts, 3)]
        self.gamma = np.add.reduceat(d, first) / self.total  # (C,) mass handed to the lower order
        # (n-grams,) each n-gram's own discounted share of its context, for whole distributions (`dense`)
        self.own = np.maximum(counts - d, 0.0) / np.repeat(self.total, np.diff(np.append(first, len(keys))))

    def count(self, ctx: np.ndarray, w: np.ndarray) -> np.ndarray:
        key = ctx * self.V + w
        i = np.minimum(np.searchsorted(self.keys, key), len(self.keys) - 1)
        return np.where(self.keys[i] == key, self.counts[i], 0)

    def prob(self, ctx: np.ndarray, w: np.ndarray, lower: np.ndarray) -> np.ndarray:
        """Interpolated P(w | ctx) given the lower order's P(w | shorter context) for the same pairs."""
        j = np.minimum(np.searchsorted(self.contexts, ctx), len(self.contexts) - 1)
        seen = self.contexts[j] == ctx
        c = self.count(ctx, w)
        own = np.maximum(c - self.D[np.minimum(c, 3)], 0.0) / self.total[j]
        return np.where(seen, own + self.gamma[j] * lower, lower)

    def followers(self, ctx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(group, w) for every word seen after each of the given contexts."""
        group, index = self.follower_index(ctx)
        return group, self.keys[index] % self.V

    def follower_index(self, ctx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(group, n-gram index) for every n-gram that starts with each of the given contexts."""
        lo = np.searchsorted(self.keys, ctx * self.V)
        hi = np.searchsorted(self.keys, (ctx + 1) * self.V)
        return _expand(lo, hi)

    def follower_span(self, ctx: int) -> tuple[int, int]:
        """[lo, hi): the n-grams that start with one context (scalars: a typist's row, without the arrays of
        `follower_index`, whose per-call cost is most of a keystroke's counts row)."""
        keys = self.keys
        return int(keys.searchsorted(ctx * self.V)), int(keys.searchsorted((ctx + 1) * self.V))

    def gamma_one(self, ctx: int) -> float:
        """`gamma_of` for one context."""
        j = int(self.contexts.searchsorted(ctx))
        return float(self.gamma[j]) if j < len(self.contexts) and self.contexts[j] == ctx else 1.0

    def gamma_of(self, ctx: np.ndarray) -> np.ndarray:
        """γ(ctx) per context, 1 for a context never seen (all its mass goes to the lower order)."""
        j = np.minimum(np.searchsorted(self.contexts, ctx), len(self.contexts) - 1)
        return np.where(self.contexts[j] == ctx, self.gamma[j], 1.0)


class KneserNeyTrigram:
    """Interpolated modified Kneser–Ney over word ids; fit on training sentences, score held-out ones."""

    def fit(self, ids: np.ndarray, starts: np.ndarray, sentences: np.ndarray, vocab_size: int) -> "KneserNeyTrigram":
        t0 = time.perf_counter()
        V = self.V = int(vocab_size)
        u, v, w = positions(ids, starts, sentences)
        self.train_tokens = int(w.size)
        # Keys computed in place over u and v (each (tokens,) int64): the run's end fits this on millions of
        # words, where every whole-array temporary is tens of MB (design §12).
        # Trigrams: raw counts. Key (u·V + v)·V + w < V³, fits int64 for V up to ~2 million.
        u *= V
        u += v
        u *= V
        u += w
        v *= V
        v += w  # v·V + w: the bigram keys
        del w
        tri_keys, tri_counts = _unique_counts(u)
        del u
        raw_keys, raw_counts = _unique_counts(v)  # same key set as bi_keys
        del v, raw_keys
        # Bigrams: distinct left words per (v, w); after <bos> the raw count (nothing can precede <bos>).
        bi_keys, bi_cont = _unique_counts(tri_keys % (V * V))
        bi_counts = np.where(bi_keys // V == BOS, raw_counts, bi_cont).astype(np.int64)
        self._build(V, tri_keys, tri_counts, bi_keys, bi_counts)
        self.fit_seconds = time.perf_counter() - t0
        return self

    @classmethod
    def from_arrays(cls, vocab_size: int, tri_keys: np.ndarray, tri_counts: np.ndarray, bi_keys: np.ndarray,
                    bi_counts: np.ndarray, train_tokens: int = 0) -> "KneserNeyTrigram":
        """The model from the counts `arrays()` returned (a stored blend file); everything else is derived."""
        self = cls()
        self.train_tokens, self.fit_seconds = int(train_tokens), 0.0
        self._build(int(vocab_size), tri_keys.astype(np.int64), tri_counts.astype(np.int64),
                    bi_keys.astype(np.int64), bi_counts.astype(np.int64))
        return self

    def arrays(self) -> dict[str, np.ndarray]:
        """What the model is: the sorted trigram and bigram keys with the counts used at each order."""
        return {"tri_keys": self.tri.keys, "tri_counts": self.tri.counts, "bi_keys": self.bi.keys,
                "bi_counts": self.bi.counts}

    def _build(self, V: int, tri_keys: np.ndarray, tri_counts: np.ndarray, bi_keys: np.ndarray,
               bi_counts: np.ndarray) -> None:
        self.V = V
        self.tri = _Order(tri_keys, tri_counts, V)
        self.bi = _Order(bi_keys, bi_counts, V)
        # Unigrams: distinct left words per w, interpolated with the uniform over the V − 2 target ids.
        cont = np.bincount(bi_keys % V, minlength=V).astype(np.int64)
        self.targets = np.ones(V, dtype=bool)
        self.targets[[PAD, BOS]] = False
        D1 = _discounts(cont[cont > 0])
        total = float(cont.sum())
        gamma = float(D1[np.minimum(cont, 3)][cont > 0].sum()) / total
        self.p1 = np.where(self.targets, np.maximum(cont - D1[np.minimum(cont, 3)], 0.0) / total
                           + gamma / self.targets.sum(), 0.0)  # (V,) sums to 1

    def dense(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """P(· | u, v) over the whole vocabulary for each of n contexts: (n, V) float64, rows sum to 1.

        P3 = own3 + γ3·(own2 + γ2·P1): the unigram floor scaled by both back-off weights, plus the few
        words actually seen after v and after (u, v) — O(V + followers) per context, no loop over V."""
        V = self.V
        u, v = np.asarray(u, dtype=np.int64), np.asarray(v, dtype=np.int64)
        ctx3 = u * V + v
        g3 = self.tri.gamma_of(ctx3)  # (n,)
        out = (g3 * self.bi.gamma_of(v))[:, None] * self.p1[None, :]  # (n, V)
        group, index = self.bi.follower_index(v)
        out[group, self.bi.keys[index] % V] += g3[group] * self.bi.own[index]
        group, index = self.tri.follower_index(ctx3)
        out[group, self.tri.keys[index] % V] += self.tri.own[index]
        return out

    ROW_CACHE_BYTES = 16_000_000  # bigram parts of recent contexts kept for `row` (typing)

    def row(self, u: int, v: int) -> np.ndarray:
        """P(· | u, v) (V,) for one context: `dense` for a typist, who asks after every word. The part that
        depends on v alone, γ2(v)·P1 + own2(·|v), is remembered for recent v: after "the" or "of" it has
        thousands of followers, and those words come back all the time."""
        V = self.V
        cache = self.__dict__.setdefault("_rows", {})
        base = cache.pop(v, None)
        if base is None:
            base = self.bi.gamma_one(v) * self.p1
            lo, hi = self.bi.follower_span(v)
            base[self.bi.keys[lo:hi] % V] += self.bi.own[lo:hi]
            while len(cache) >= max(8, self.ROW_CACHE_BYTES // (8 * V)):
                del cache[next(iter(cache))]  # the least recently used
        cache[v] = base
        ctx = u * V + v
        out = base * self.tri.gamma_one(ctx)
        lo, hi = self.tri.follower_span(ctx)
        out[self.tri.keys[lo:hi] % V] += self.tri.own[lo:hi]  # (followers are distinct: no repeated index)
        return out

    def prob(self, u: np.ndarray, v: np.ndarray, w: np.ndarray) -> np.ndarray:
        """P(w | u, v) for arrays of equal shape (int64)."""
        p2 = self.bi.prob(v, w, self.p1[w])
        return self.tri.prob(u * self.V + v, w, p2)

    def topk(self, u: np.ndarray, v: np.ndarray, k: int = 3) -> tuple[np.ndarray, np.ndarray]:
        """For the distinct contexts among (u, v): (inverse index per position, (contexts, k) top ids)."""
        V = self.V
        cand = np.flatnonzero(self.targets)
        t1 = cand[np.lexsort((cand, -self.p1[cand]))[:k]]  # (k,) top of P1
        # Top-k of P2(·|v) per distinct v: followers of v ∪ t1.
        vs, v_inv = np.unique(v, return_inverse=True)
        g, f = self.bi.followers(vs)
        g = np.concatenate([g, np.repeat(np.arange(len(vs)), len(t1))])
        f = np.concatenate([f, np.tile(t1, len(vs))])
        t2 = _topk_groups(g, f, self.bi.prob(vs[g], f, self.p1[f]), len(vs), k)  # (n_v, k)
        # Top-k of P3(·|u,v) per distinct (u, v): followers of uv ∪ t2[v].
        ctx, inv = np.unique(u * V + v, return_inverse=True)
        ctx_v = np.searchsorted(vs, ctx % V)
        g, f = self.tri.followers(ctx)
        t2c = t2[ctx_v]  # (contexts, k)
        real = t2c >= 0
        g = np.concatenate([g, np.nonzero(real)[0]])
        f = np.concatenate([f, t2c[real]])
        p = self.prob(ctx[g] // V, ctx[g] % V, f)
        return inv.reshape(-1), _topk_groups(g, f, p, len(ctx), k)

    def score(self, ids: np.ndarray, starts: np.ndarray, sentences: np.ndarray, top_k: int = 3) -> NgramReport:
        t0 = time.perf_counter()
        u, v, w = positions(ids, starts, sentences)
        p = self.prob(u, v, w)
        inv, top = self.topk(u, v, max(top_k, 1))
        hits = top[inv] == w[:, None]  # (tokens, k)
        return _report(p, hits, top_k, time.perf_counter() - t0, self)


class UnigramModel:
    """Add-one unigram over the V − 2 target ids: the same top-k words everywhere, for comparison."""

    def fit(self, ids: np.ndarray, starts: np.ndarray, sentences: np.ndarray, vocab_size: int) -> "UnigramModel":
        t0 = time.perf_counter()
        self.V = int(vocab_size)
        _, _, w = positions(ids, starts, sentences)
        self.train_tokens = int(w.size)
        counts = np.bincount(w, minlength=self.V).astype(np.float64) + 1.0
        counts[[PAD, BOS]] = 0.0
        self.p = counts / counts.sum()  # (V,)
        self.fit_seconds = time.perf_counter() - t0
        return self

    def score(self, ids: np.ndarray, starts: np.ndarray, sentences: np.ndarray, top_k: int = 3) -> NgramReport:
        t0 = time.perf_counter()
        _, _, w = positions(ids, starts, sentences)
        ranked = np.lexsort((np.arange(self.V), -self.p))[: max(top_k, 1)]  # (k,) ties: lower id first
        hits = ranked[None, :] == w[:, None]
        return _report(self.p[w], hits, top_k, time.perf_counter() - t0, self)


def _report(p: np.ndarray, hits: np.ndarray, top_k: int, seconds: float, model) -> NgramReport:
    n = int(p.size)
    if n == 0:
        return NgramReport(math.nan, 0.0, 0.0, 0, seconds, model.train_tokens, model.fit_seconds)
    nll = float(-np.log(p).mean())
    return NgramReport(
        perplexity=math.exp(min(nll, 700.0)),
        top1=float(hits[:, 0].mean()),
        top3=float(hits[:, :top_k].any(axis=1).mean()),
        tokens=n, seconds=seconds, train_tokens=model.train_tokens, fit_seconds=model.fit_seconds,
    )
