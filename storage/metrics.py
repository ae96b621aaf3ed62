"""Per-epoch and per-step training metrics of a run.

Both tables are keyed by (run_id, epoch|step) and cascade-delete with their
run, so writers never need to clean them up. Writes are upserts: a
resumed or retried epoch simply overwrites what was recorded before.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlite_utils import Database

from .db import write_transaction

# Columns a caller may set through add_epoch; anything else in the dict
# (trainer-internal keys, for example) is ignored rather than rejected so the
# trainer can pass its metrics dict through unchanged.
EPOCH_COLUMNS = (
    "epoch",
    "train_loss",
    "train_accuracy",
    "val_loss",
    "val_accuracy",
    "val_top3",
    "val_perplexity",
    "seconds",
    "tokens_per_s",
    "observation",
    "lr",
    # the system monitor (m007): the training process during the epoch
    "cpu_percent",
    "peak_rss_mb",
    "threads",
    "device",
    "samples",
    "canary_exposure",  # m012: {"by_repeats": {...}, "canaries": [...]} as JSON
)


def add_epoch(db: Database, run_id: int, epoch: dict[str, Any]) -> None:
    """Record (or overwrite the given columns of) one epoch of a run."""
    if epoch.get("epoch") is None:
        raise ValueError("add_epoch needs an 'epoch' number in its dict")
    row = {key: epoch[key] for key in EPOCH_COLUMNS if key in epoch}
    if isinstance(row.get("samples"), list):  # [{"prefix": ..., "suggestions": [...]}, ...] as JSON
        row["samples"] = json.dumps(row["samples"])
    if isinstance(row.get("canary_exposure"), (dict, list)):
        row["canary_exposure"] = json.dumps(row["canary_exposure"])
    row["run_id"] = run_id
    with write_transaction(db):
        db.table("epochs").upsert(row, pk=("run_id", "epoch"))


def add_steps(
    db: Database, run_id: int, steps: Iterable[tuple[int, int, float]]
) -> None:
    """Record a batch of (step, epoch, loss) rows; a repeated step replaces the old row."""
    rows = [
        {"run_id": run_id, "step": step, "epoch": epoch, "loss": loss}
        for step, epoch, loss in steps
    ]
    if not rows:
        return
    # One transaction for the whole batch: one fsync instead of one per row,
    # and a reader never sees half a batch.
    with write_transaction(db):
        db.table("steps").insert_all(rows, replace=True)


def get_epochs(db: Database, run_id: int) -> list[dict[str, Any]]:
    """All recorded epochs of a run, in epoch order (`samples` parsed: a list, empty when none)."""
    rows = list(db.query("SELECT * FROM epochs WHERE run_id = ? ORDER BY epoch", [run_id]))
    for row in rows:
        row["samples"] = json.loads(row["samples"]) if row.get("samples") else []
        if row.get("canary_exposure"):
            row["canary_exposure"] = json.loads(row["canary_exposure"])
    return rows


def get_steps(db: Database, run_id: int) -> list[dict[str, Any]]:
    """All recorded steps of a run, in step order."""
    return list(
        db.query("SELECT * FROM steps WHERE run_id = ? ORDER BY step", [run_id])
    )

