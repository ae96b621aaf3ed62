"""Progress of a training run for the window's bar: the share of the planned work done, an ETA and the
recent tokens/s, from the StepResults seen so far (plain arithmetic, no Qt)."""
from __future__ import annotations

import time
from collections import deque


class Progress:
    """Share of the planned work done, ETA and recent tokens/s from the StepResults seen so far."""

    RATE_WINDOW = 3.0  # seconds of steps behind the tokens/s figure

    def __init__(self, epochs: int, time_limit: float = 0.0):
        self.epochs, self.time_limit = epochs, time_limit
        self.fraction, self.eta, self.elapsed, self.epoch = 0.0, None, 0.0, 1
        self._recent: deque = deque()  # (elapsed, tokens)
        self.started = time.monotonic()

    def update(self, step) -> None:
        self.epoch = step.epoch
        self.elapsed = step.elapsed
        # Epochs auto (epochs = 0) has no planned count: only its time budget tells how far it may go.
        frac = (step.epoch - 1 + step.batch / step.batches) / self.epochs if self.epochs else 0.0
        if self.time_limit > 0:
            frac = max(frac, min(step.elapsed / self.time_limit, 1.0))
        self.fraction = min(frac, 1.0)
        self.eta = step.elapsed * (1 - self.fraction) / self.fraction if self.fraction > 0 else None
        self._recent.append((step.elapsed, step.tokens))
        while len(self._recent) > 2 and self._recent[-1][0] - self._recent[0][0] > self.RATE_WINDOW:
            self._recent.popleft()

    @property
    def tokens_per_s(self) -> float | None:
        if len(self._recent) < 2:
            return None
        (t0, n0), (t1, n1) = self._recent[0], self._recent[-1]
        return (n1 - n0) / (t1 - t0) if t1 > t0 else None

    def text(self) -> str:
        if not self.epochs:  # auto: it may stop any epoch; the budget is the most it can take
            left = "" if not self.time_limit else f" · at most {format_seconds(max(self.time_limit - self.elapsed, 0))} left"
            return f"epoch {self.epoch} (auto: until validation stops improving){left}"
        eta = "ETA …" if self.eta is None else f"ETA {format_seconds(self.eta)}"
        return f"epoch {self.epoch}/{self.epochs} · {self.fraction:.0%} · {eta}"


def format_seconds(s: float) -> str:
    s = int(round(s))
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"
