"""What the memorisation audit keeps with a run (m012): how many canaries it was trained with, and its last
audit (JSON whose secrets are already masked: the database never holds a secret the corpus had)."""
from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from .db import write_transaction


def set_canaries(db: Database, run_id: int, n: int) -> None:
    with write_transaction(db):
        db.execute("UPDATE runs SET canaries = ? WHERE id = ?", [int(n), run_id])


def set_audit(db: Database, run_id: int, audit: dict[str, Any] | None) -> None:
    """Store (or with None, forget) the run's last audit."""
    with write_transaction(db):
        db.execute("UPDATE runs SET audit = ? WHERE id = ?", [None if audit is None else json.dumps(audit), run_id])


def get_audit(db: Database, run_id: int) -> dict[str, Any] | None:
    rows = list(db.query("SELECT audit FROM runs WHERE id = ?", [run_id]))
    if not rows or not rows[0]["audit"]:
        return None
    try:
        return json.loads(rows[0]["audit"])
    except ValueError:
        return None
