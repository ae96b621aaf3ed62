"""The k largest values of a small array by k + 1 argmax scans, for a keystroke's suggestions.

A keystroke's top three over V ≈ 5,000 probabilities in torch (masked_fill, then topk) or numpy (argpartition)
costs ~20-50 µs of operator overhead; k + 1 = 4 argmax scans over one masked copy cost a few µs. Each scan
returns the first index of the largest value left. The answer is taken only when the k values and the next
one are strictly decreasing: then the top k are the same words in the same order whatever the algorithm,
so it equals torch's `topk` (and `argpartition`'s set). With a tie the order would be the algorithm's own
choice, so callers then ask their old way (`None` here) and suggestions never change.
"""
from __future__ import annotations

import numpy as np


def top_distinct(values: np.ndarray, k: int, dropped: float | None = None) -> list[int] | None:
    """Indices of the k largest of `values` (1-D, its own copy: it is overwritten), largest first, or None when
    they are not strictly decreasing down to the (k+1)-th, or there are not k + 1 values. `dropped`: the
    caller drops values ≤ this one, so the scan stops there (ties among them do not matter) and only the
    values above it come back."""
    if values.shape[0] <= k:
        return None
    found: list[int] = []
    last = None
    for _ in range(k + 1):
        i = int(values.argmax())
        v = values[i]
        if dropped is not None and v <= dropped:
            return found[:k]
        if last is not None and not v < last:  # a tie (or NaN): the order is the algorithm's choice
            return None
        found.append(i)
        last = v
        values[i] = -np.inf
    return found[:k]
