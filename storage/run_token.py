"""Finding a run by the token its launcher gave it (m013), and reading a run's metrics incrementally.

A process that starts training in a child (the window's several-processes path) gives it a fresh token
(`train --run-token T`); the child stores it on the run row it creates. The launcher then follows the run
whose token is T, whatever other runs other processes create meanwhile.
"""

from __future__ import annotations

import json
from typing import Any

from sqlite_utils import Database

from .db import write_transaction


def set_run_token(db: Database, run_id: int, token: str) -> None:
    with write_transaction(db):
        db.execute("UPDATE runs SET run_token = ? WHERE id = ?", [token, run_id])


def run_by_token(db: Database, token: str) -> int | None:
    """The id of the run created with `token`, or None while there is none."""
    row = db.execute("SELECT id FROM runs WHERE run_token = ? ORDER BY id LIMIT 1", [token]).fetchone()
    return int(row[0]) if row else None


def steps_after(db: Database, run_id: int, step: int) -> list[dict[str, Any]]:
    """The run's recorded steps after `step`, in step order (a follower reads only what is new)."""
    return list(db.query("SELECT * FROM steps WHERE run_id = ? AND step > ? ORDER BY step", [run_id, step]))


def epochs_after(db: Database, run_id: int, epoch: int) -> list[dict[str, Any]]:
    """The run's recorded epochs after `epoch`, in order (`samples` parsed, as get_epochs)."""
    rows = list(db.query("SELECT * FROM epochs WHERE run_id = ? AND epoch > ? ORDER BY epoch", [run_id, epoch]))
    for row in rows:
        row["samples"] = json.loads(row["samples"]) if row.get("samples") else []
    return rows
