"""core/topk.py: the keystroke's top three by argmax scans equals torch's topk whenever it answers, and
answers None (the caller asks topk) exactly when a tie would leave the order to the algorithm."""
from __future__ import annotations

import numpy as np
import torch

from gru_desktop.core.topk import top_distinct


def test_top_distinct_equals_topk_or_declines_on_a_tie():
    rng = np.random.default_rng(0)
    answered = declined = 0
    for trial in range(400):
        n = int(rng.integers(4, 60))
        # few distinct values in some trials: ties at the top are common there
        values = rng.integers(0, 6, n).astype(np.float32) if trial % 2 else rng.random(n).astype(np.float32)
        got = top_distinct(values.copy(), 3)
        top = torch.from_numpy(values).topk(4)
        tie = len(set(top.values.tolist())) < 4
        if got is None:
            assert tie
            declined += 1
        else:
            assert not tie
            assert got == top.indices[:3].tolist()
            answered += 1
    assert answered > 100 and declined > 100


def test_dropped_values_may_tie():
    """Values the caller drops (≤ `dropped`) end the scan: ties among them do not matter."""
    values = np.array([0.0, 0.5, -1.0, 0.0, -1.0, 0.25], dtype=np.float32)
    assert top_distinct(values.copy(), 3, dropped=0.0) == [1, 5]
    assert top_distinct(values.copy(), 3, dropped=-1.0) is None  # the zeros tie for third: kept values
    assert top_distinct(np.array([0.3, 0.2, 0.1, -1.0, -1.0]), 3, dropped=-1.0) == [0, 1, 2]
    assert top_distinct(np.array([0.3, 0.2]), 3) is None  # fewer than k + 1 values: topk's way
