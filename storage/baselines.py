"""Count-based baselines (e.g. a Kneser-Ney trigram) per corpus and split, for comparison with the runs.

One row per (kind, corpus_sha256, split_key): the split key is whatever changes the training/validation
split or the vocabulary, so a baseline is computed once per corpus and settings and then reused. Saving
the same key again replaces the row (a newer computation of the same thing).
"""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from .db import write_transaction
from .runs import now_iso
from .text import storable

__all__ = ["save_baseline", "get_baseline", "list_baselines"]


def save_baseline(
    db: Database,
    *,
    kind: str,
    corpus: str,
    corpus_sha256: str,
    split_key: str,
    perplexity: float,
    top1: float,
    top3: float,
    tokens: int,
    train_tokens: int,
    seconds: float,
    keystroke_savings: float | None = None,
) -> int:
    """Insert the baseline, replacing any row with the same (kind, corpus_sha256, split_key); return its id."""
    row = {
        "kind": kind,
        "corpus": storable(corpus),
        "corpus_sha256": corpus_sha256,
        "split_key": split_key,
        "created_at": now_iso(),
        "perplexity": perplexity,
        "top1": top1,
        "top3": top3,
        "keystroke_savings": keystroke_savings,
        "tokens": tokens,
        "train_tokens": train_tokens,
        "seconds": seconds,
    }
    columns = ", ".join(f"[{c}]" for c in row)
    marks = ", ".join("?" for _ in row)
    with write_transaction(db):
        # INSERT OR REPLACE deletes the old row on the UNIQUE conflict: the replacement gets a new id,
        # so "newest first" by id stays true.
        cursor = db.execute(f"INSERT OR REPLACE INTO baselines ({columns}) VALUES ({marks})", list(row.values()))
        assert cursor.lastrowid is not None  # set by the INSERT just made
        return int(cursor.lastrowid)


def get_baseline(db: Database, kind: str, corpus_sha256: str, split_key: str) -> dict[str, Any] | None:
    """The stored baseline for this kind, corpus and split, or None."""
    rows = list(
        db.query(
            "SELECT * FROM baselines WHERE kind = ? AND corpus_sha256 = ? AND split_key = ?",
            [kind, corpus_sha256, split_key],
        )
    )
    return rows[0] if rows else None


def list_baselines(db: Database) -> list[dict[str, Any]]:
    """All baselines, newest first."""
    return list(db.query("SELECT * FROM baselines ORDER BY id DESC"))
