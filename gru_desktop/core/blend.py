"""What suggests (design §11): the GRU, the Kneser–Ney counts and a recency cache, mixed with fitted weights.

    p(w | text) = a·p_GRU(w | sentence so far) + b·p_KN(w | last two words) + c·p_cache(w | recent words)
                  + d·p_state(w | earlier moments like this one)

- p_GRU is the network's softmax; p_KN the interpolated modified Kneser–Ney trigram of `ngram.py`, fitted on
  the run's training sentences; p_cache the share of w among the last `CACHE_WINDOW` suggestable words of the
  text (Presage's recency predictor, Kuhn & De Mori's cache): a name or topic word used earlier in a text
  tends to come back. Before any word was seen, the cache part falls back to the counts.
- p_state the continuous cache of Grave et al. (2017): the GRU outputs h_i of the last `STATE_WINDOW`
  positions of the text are kept with the word w_i that came next; now, with output h, each earlier word gets
  the share softmax(θ·h·h_i) — words that followed moments the network saw as like this one. It copies a
  rare name or phrase from earlier in the text where the GRU's softmax and the counts spread thin. θ (how
  sharply "alike" is judged) is fitted with the weights. Before any earlier position it falls back to the counts.
- a + b + c = 1 and each is ≥ 0, so the blend is a distribution whenever its parts are. The weights are fitted
  on the run's validation sentences (read in corpus order, as one text) by EM, which lowers the mixture's
  cross-entropy at every step: the fitted blend is never worse than any single part on that text.
- λ, the number the picker shows, is the GRU's share of the two model parts: a / (a + b).

Here: the weights, the mixture and fitting it. Each part's distributions over a text (the GRU, the cache,
the state cache) are computed in `blend_stream`; the counts and weights are stored in `counts_file`.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from .ngram import KneserNeyTrigram

CACHE_WINDOW = 500  # recent words the cache counts (measured: see README "The blend")
STATE_WINDOW = 2000  # earlier positions the state cache compares with (measured: see README "The blend")
THETAS = (0.5, 1.0, 2.0, 4.0)  # the state cache's sharpness θ, tried when fitting (the best on validation kept)
SOURCES = ("blend", "gru", "counts")


@dataclass(frozen=True)
class Weights:
    gru: float
    counts: float
    cache: float = 0.0
    state: float = 0.0

    @property
    def lam(self) -> float:
        """The GRU's share of the two model parts, a / (a + b)."""
        total = self.gru + self.counts
        return self.gru / total if total > 0 else 1.0

    def for_source(self, source: str) -> "Weights":
        """The weights that `source` means: the fitted blend, or one part alone."""
        if source == "gru":
            return Weights(1.0, 0.0)
        if source == "counts":
            return Weights(0.0, 1.0)
        return self

    def without_missing(self, cache: bool, state: bool) -> "Weights":
        """These weights where the cache or state part has nothing to go on yet: its share goes to the counts."""
        moved = (0.0 if cache else self.cache) + (0.0 if state else self.state)
        return Weights(self.gru, self.counts + moved, self.cache if cache else 0.0, self.state if state else 0.0)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Blend:
    """The counts and the fitted weights: with a run's GRU, everything the blend needs."""

    counts: KneserNeyTrigram
    weights: Weights
    report: dict = field(default_factory=dict)  # the sources' validation numbers when it was fitted
    theta: float = 1.0  # the state cache's sharpness (fitted with the weights)


# --- the mixture --------------------------------------------------------------------------------------
def mix(weights: Weights, gru: np.ndarray, counts: np.ndarray | None, cache: np.ndarray | None,
        state: np.ndarray | None = None) -> np.ndarray:
    """a·gru + b·counts + c·cache + d·state for (n, V) or (V,) arrays; parts with weight 0 may be None."""
    out = gru * weights.gru if weights.gru else 0.0
    parts = ((counts, weights.counts, "counts"), (cache if cache is not None else counts, weights.cache, "cache"),
             (state if state is not None else counts, weights.state, "state"))
    for part, w, name in parts:
        if w:
            term = _given(part, name) * w
            if isinstance(out, np.ndarray) and out.dtype == np.float64 and out.shape == term.shape:
                out += term  # in place: the same sums, one array fewer per part (a keystroke's mixture)
            else:
                out = out + term
    return np.asarray(out, dtype=np.float64)


def _given(part: np.ndarray | None, name: str) -> np.ndarray:
    if part is None:
        raise ValueError(f"mix: the {name} part has a weight but no distribution")
    return part


def fit_weights(p_gru: np.ndarray, p_counts: np.ndarray, p_cache: np.ndarray | None = None,
                iterations: int = 200, tol: float = 1e-7) -> Weights:
    """EM for the mixture weights from each part's probability of the true next word (n,) per position.

    Every EM step lowers (or keeps) the mean −log p of the mixture; with one part far better, its weight goes
    to ~1, so the blend cannot be worse than the best part on these positions."""
    fitted, _ = _em([p for p in (p_gru, p_counts, p_cache) if p is not None], iterations, tol)
    return _weights(fitted, p_cache is not None)


def _weights(fitted: np.ndarray, with_cache: bool, with_state: bool = False) -> Weights:
    """EM's weights (gru, counts[, cache][, state]) as Weights."""
    w = [float(x) for x in fitted]
    return Weights(w[0], w[1], w[2] if with_cache else 0.0, w[-1] if with_state else 0.0)


def _em(parts: list[np.ndarray], iterations: int = 200, tol: float = 1e-7) -> tuple[np.ndarray, float]:
    """Mixture weights (k,) and the mixture's mean −log p on these positions."""
    P = np.maximum(np.stack([np.asarray(p, dtype=np.float64) for p in parts], axis=1), 1e-300)  # (n, k)
    if P.shape[0] == 0:
        w = np.zeros(P.shape[1])
        w[:2] = 0.5
        return w, math.inf
    w = np.full(P.shape[1], 1.0 / P.shape[1])
    prev = math.inf
    for _ in range(iterations):
        mixed = P @ w  # (n,)
        nll = float(-np.log(mixed).mean())
        w = (P * w / mixed[:, None]).mean(axis=0)
        w /= w.sum()
        if prev - nll < tol:
            break
        prev = nll
    return w, float(-np.log(P @ w).mean())


def fit_with_state(p_gru: np.ndarray, p_counts: np.ndarray, p_cache: np.ndarray | None,
                   p_state: np.ndarray | None, thetas=THETAS) -> tuple[Weights, float]:
    """The weights and the state cache's θ that fit best: EM once per θ (`p_state` is (n, len(thetas)), the
    state cache's probability of the true word at each θ); the θ whose mixture has the lowest −log p wins,
    and the state cache is left out (weight 0) unless it lowers it."""
    base = [p for p in (p_gru, p_counts, p_cache) if p is not None]
    fitted, best = _em(base)
    weights, theta = _weights(fitted, p_cache is not None), thetas[0] if len(thetas) else 1.0
    if p_state is None:
        return weights, theta
    for k, th in enumerate(thetas):
        w, nll = _em(base + [p_state[:, k]])
        if nll < best - 1e-6:
            best, theta = nll, float(th)
            weights = _weights(w, p_cache is not None, with_state=True)
    return weights, theta


def cache_row(words: list[int], suggestable: np.ndarray, V: int) -> np.ndarray | None:
    """The cache distribution after these ids (the text so far): shares of the last CACHE_WINDOW suggestable
    ones, or None when there is none yet."""
    recent = [i for i in words if 0 <= i < V and suggestable[i]][-CACHE_WINDOW:]
    if not recent:
        return None
    row = np.bincount(np.asarray(recent, dtype=np.int64), minlength=V).astype(np.float64)
    return row / row.sum()
