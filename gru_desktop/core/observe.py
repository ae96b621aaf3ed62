"""The one-sentence observation for each epoch, in plain words (shown in the epoch table and the CLI)."""
from __future__ import annotations

import math


def observe(prev: dict | None, cur: dict) -> str:
    """Compare an epoch's metrics with the previous epoch's. Both are dicts with train_loss, val_loss, accuracies."""
    if not all(math.isfinite(cur.get(k, 0.0)) for k in ("train_loss", "val_loss")):
        return "diverged: the loss is no longer a number; lower the learning rate"
    if prev is None:
        return "learning: first epoch done, the baseline for the next ones"
    d_train = prev["train_loss"] - cur["train_loss"]  # > 0: falling
    d_val = prev["val_loss"] - cur["val_loss"]
    rel_val = d_val / max(abs(prev["val_loss"]), 1e-9)
    if rel_val < -0.005:
        if d_train > 0:
            return "validation loss rising: overfitting (training loss still falls)"
        return "loss rising: learning rate may be too high"
    if rel_val > 0.01:
        if cur["val_accuracy"] >= prev["val_accuracy"]:
            return "improving: loss falling, accuracy rising"
        return "improving: loss falling"
    if rel_val > 0.002:
        return "converging: gains are getting small"
    return "plateau: no real improvement on validation"
