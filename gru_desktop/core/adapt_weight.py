"""The personal part's weight in the blend, fitted online and checked on held-out typing (design §17).

    p(w) = (1 − d)·p_blend(w) + d·p_personal(w)

Each word the user finishes is first *predicted* (before it is learned, so it is held out from what the
personal part knows) and then recorded in a rolling window of the last `WINDOW` words:
- the blend's and the personal part's probability of it, from which d is fitted by EM (the mixture's
  −log p over the window can only go down with each EM step);
- the keys it would have cost with the personal part (at the d fitted *before* this word) and without it.

The held-out check: once the window holds `MIN_EVIDENCE` words, the personal part is used only while its
keystroke savings over the window are higher than without it (equal savings: while it makes the window's
words likelier); otherwise it weighs zero (`weight` is 0
and `helping` False) until the window says otherwise again — the fitted d goes on being checked.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

WINDOW = 500  # words in the rolling held-out window (measured: README "Learning as you type")
MIN_EVIDENCE = 30  # words before the held-out check decides
START_WEIGHT = 0.1  # d before any word was seen
EM_STEPS = 10  # per word, warm-started from the last d
PRIOR_WORDS = 10.0  # d is fitted as if the window also held this many words at START_WEIGHT (MAP-EM with a
                    # Beta prior), so a few unlucky first words cannot pin it at 0, where EM would stay


@dataclass
class Observation:
    p_blend: float
    p_personal: float
    keys_with: int
    keys_without: int
    keys_plain: int  # the word's letters and a space: the keys without any suggestions


class OnlineWeight:
    """The fitted d, the rolling window and the held-out verdict."""

    def __init__(self, window: int = WINDOW, min_evidence: int = MIN_EVIDENCE, start: float = START_WEIGHT):
        self.window: deque[Observation] = deque(maxlen=window)
        self.min_evidence = min_evidence
        self.fitted = start
        self._verdict: bool | None = None  # `helping`, cached until the next observation
        self._keys = [0, 0, 0]  # the window's keys with, without, plain: kept as words come and go

    def observe(self, obs: Observation) -> None:
        """A finished word (in the page's deferred work after its keystroke): the window, d and the verdict
        are brought up to date here, so a keystroke only reads them (design §17: the keystroke budget)."""
        self._add(obs)
        self._fit()
        self._verdict = self._helping()

    def _add(self, obs: Observation) -> None:
        if self.window.maxlen is not None and len(self.window) == self.window.maxlen:
            old = self.window[0]  # leaves the window as this one comes in
            self._keys = [self._keys[0] - old.keys_with, self._keys[1] - old.keys_without, self._keys[2] - old.keys_plain]
        self.window.append(obs)
        self._keys = [self._keys[0] + obs.keys_with, self._keys[1] + obs.keys_without, self._keys[2] + obs.keys_plain]

    def _fit(self) -> None:
        a = np.array([o.p_blend for o in self.window], dtype=np.float64)
        b = np.array([o.p_personal for o in self.window], dtype=np.float64)
        d = min(max(self.fitted, 1e-3), 1 - 1e-3)  # EM cannot leave 0 or 1: start inside
        for _ in range(EM_STEPS):
            mixed = np.maximum((1 - d) * a + d * b, 1e-300)
            d = (float(np.sum(d * b / mixed)) + PRIOR_WORDS * START_WEIGHT) / (len(a) + PRIOR_WORDS)
        self.fitted = d
        self._verdict = None

    # --- the verdict ----------------------------------------------------------------------------
    def savings(self) -> tuple[float, float, int]:
        """(keystroke savings with the personal part, without it, words) over the window."""
        with_, without, plain = self._keys
        if not plain:
            return 0.0, 0.0, 0
        return 1 - with_ / plain, 1 - without / plain, len(self.window)

    @property
    def decided(self) -> bool:
        return len(self.window) >= self.min_evidence

    @property
    def helping(self) -> bool:
        """True until the held-out window has evidence, then whether it saves at least as many keys."""
        if self._verdict is None:
            self._verdict = self._helping()
        return self._verdict

    def _helping(self) -> bool:
        if not self.decided:
            return True
        with_, without, _ = self.savings()
        if with_ != without:
            return with_ > without
        # the same keys either way: it helps if it makes the typed words likelier (held-out log-likelihood)
        a = np.array([o.p_blend for o in self.window])
        b = np.array([o.p_personal for o in self.window])
        d = self.fitted
        return bool(np.log(np.maximum((1 - d) * a + d * b, 1e-300)).sum() > np.log(np.maximum(a, 1e-300)).sum())

    @property
    def weight(self) -> float:
        """The d used for suggestions: the fitted one while it helps, else 0."""
        return self.fitted if self.helping else 0.0

    def verdict(self) -> str:
        """What the page says about the personal part."""
        with_, without, n = self.savings()
        if not self.decided:
            return (f"learning: weight {self.fitted:.2f}; checked on your next words "
                    f"({n} of {self.min_evidence} so far)")
        if self.helping:
            return (f"helps: weight {self.fitted:.2f}; keystroke savings on your last {n} words "
                    f"{with_:.1%} with it, {without:.1%} without")
        return (f"not helping, so it weighs 0: on your last {n} words it would save {with_:.1%} of keys, "
                f"{without:.1%} without it")

    # --- plain data (kept with the personal counts) ----------------------------------------------
    def to_dict(self) -> dict:
        return {"fitted": self.fitted, "window": [[o.p_blend, o.p_personal, o.keys_with, o.keys_without,
                                                   o.keys_plain] for o in self.window]}

    @classmethod
    def from_dict(cls, data: dict) -> "OnlineWeight":
        w = cls()
        w.fitted = min(max(float(data.get("fitted", START_WEIGHT)), 0.0), 1.0)
        for item in data.get("window", [])[-w.window.maxlen:] if w.window.maxlen else []:
            a, b, kw, ko, kp = item
            w._add(Observation(float(a), float(b), int(kw), int(ko), int(kp)))
        return w
