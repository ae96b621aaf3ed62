"""The run queue (design §14): runs waiting to be trained one after another, kept in runs.db.

An item holds a run's settings (config JSON) and corpus files, a place in the order, and an optional
sweep name (a sweep is the named group of items queued from one grid of settings). It is 'queued' until
a worker claims it ('running', with the worker's process recorded like a run's), then 'done' or
'failed'. A worker that dies leaves its item 'running'; `claim_next` hands such an orphan out first, so
the queue goes on with it (its run resumed from its checkpoint) after a restart.
"""

from __future__ import annotations

import json
import os
import socket
from typing import Any

from sqlite_utils import Database

from .db import write_transaction
from .liveness import is_alive, process_start_marker
from .runs import now_iso

ITEM_STATES = ("queued", "running", "done", "failed")

__all__ = ["ITEM_STATES", "QueueItemNotFound", "QueueItemBusy", "add_items", "list_items", "get_item",
           "remove_item", "move_item", "claim_next", "orphaned_items", "set_item_run", "finish_item"]


class QueueItemNotFound(LookupError):
    def __init__(self, item_id: int) -> None:
        self.item_id = item_id
        super().__init__(f"no queued run with id {item_id}")


class QueueItemBusy(RuntimeError):
    def __init__(self, item_id: int) -> None:
        self.item_id = item_id
        super().__init__(f"queue item {item_id} is training now; pause or cancel its run first")


def add_items(db: Database, items: list[dict[str, Any]], *, sweep: str | None = None) -> list[int]:
    """Append items ({"config": dict, "corpus_paths": list, "name": str|None}) in one transaction."""
    ids = []
    with write_transaction(db):
        (last,) = db.execute("SELECT COALESCE(MAX(position), 0) FROM queue").fetchone()
        for k, item in enumerate(items, start=1):
            row = {"position": last + k, "created_at": now_iso(), "name": item.get("name") or None, "sweep": sweep,
                   "config": json.dumps(item["config"], sort_keys=True),
                   "corpus_paths": json.dumps(list(item.get("corpus_paths") or [])), "state": "queued"}
            item_id = db.table("queue").insert(row).last_pk
            assert isinstance(item_id, int)  # the rowid of the row just inserted
            ids.append(item_id)
    return ids


def _parse(row: dict[str, Any]) -> dict[str, Any]:
    row["config"] = json.loads(row["config"]) if row.get("config") else {}
    row["corpus_paths"] = json.loads(row["corpus_paths"]) if row.get("corpus_paths") else []
    return row


def list_items(db: Database, *, finished: bool = False) -> list[dict[str, Any]]:
    """Items in queue order: running and queued ones; with `finished`, done and failed ones too (first)."""
    where = "" if finished else "WHERE state IN ('queued', 'running')"
    order = "CASE state WHEN 'done' THEN 0 WHEN 'failed' THEN 0 WHEN 'running' THEN 1 ELSE 2 END, position"
    return [_parse(r) for r in db.query(f"SELECT * FROM queue {where} ORDER BY {order}")]


def get_item(db: Database, item_id: int) -> dict[str, Any]:
    rows = list(db.query("SELECT * FROM queue WHERE id = ?", [item_id]))
    if not rows:
        raise QueueItemNotFound(item_id)
    return _parse(rows[0])


def remove_item(db: Database, item_id: int) -> dict[str, Any]:
    """Take an item out of the queue (refused while a live worker trains it)."""
    with write_transaction(db):
        item = get_item(db, item_id)
        if item["state"] == "running" and is_alive(item):
            raise QueueItemBusy(item_id)
        db.execute("DELETE FROM queue WHERE id = ?", [item_id])
    return item


def move_item(db: Database, item_id: int, delta: int) -> None:
    """Move a queued item `delta` places (negative: earlier) among the queued items."""
    with write_transaction(db):
        ids = [r[0] for r in db.execute("SELECT id FROM queue WHERE state = 'queued' ORDER BY position")]
        if item_id not in ids:
            get_item(db, item_id)  # QueueItemNotFound, or it is not waiting: nothing to move
            return
        i = ids.index(item_id)
        j = min(max(i + delta, 0), len(ids) - 1)
        ids.insert(j, ids.pop(i))
        positions = sorted(r[0] for r in db.execute("SELECT position FROM queue WHERE state = 'queued'"))
        for pos, qid in zip(positions, ids, strict=True):
            db.execute("UPDATE queue SET position = ? WHERE id = ?", [pos, qid])


def orphaned_items(db: Database) -> list[dict[str, Any]]:
    """'running' items whose worker process is gone (the app or `queue run` was closed or killed)."""
    return [_parse(r) for r in db.query("SELECT * FROM queue WHERE state = 'running' ORDER BY position")
            if not is_alive(r)]


def claim_next(db: Database) -> dict[str, Any] | None:
    """Make this process the worker of the next item: an orphaned running one first (to resume its run),
    else the first queued one. None when there is nothing to do. One write transaction, so two workers
    never take the same item."""
    pid = os.getpid()
    mine = {"pid": pid, "host": socket.gethostname(), "pid_started": process_start_marker(pid)}
    with write_transaction(db):
        orphans = orphaned_items(db)
        if orphans:
            item = orphans[0]
        else:
            rows = list(db.query("SELECT * FROM queue WHERE state = 'queued' ORDER BY position LIMIT 1"))
            if not rows:
                return None
            item = _parse(rows[0])
        db.execute("UPDATE queue SET state = 'running', pid = ?, host = ?, pid_started = ? WHERE id = ?",
                   [mine["pid"], mine["host"], mine["pid_started"], item["id"]])
    item.update(mine)
    item["resuming"] = item["state"] == "running"
    item["state"] = "running"
    return item


def set_item_run(db: Database, item_id: int, run_id: int) -> None:
    db.execute("UPDATE queue SET run_id = ? WHERE id = ?", [run_id, item_id])


def finish_item(db: Database, item_id: int, state: str, message: str | None = None) -> None:
    """End an item 'done' or 'failed', or put it back as 'queued' (its run paused: resumed when next worked)."""
    if state not in ITEM_STATES or state == "running":
        raise ValueError(f"state must be queued, done or failed; got {state!r}")
    db.execute("UPDATE queue SET state = ?, message = ?, pid = NULL, host = NULL, pid_started = NULL WHERE id = ?",
               [state, message, item_id])
