"""Pause and resume (design §14): a run's checkpoint, a pause asked for from any process, and one process
at a time taking a paused or interrupted run up again.
"""

from __future__ import annotations

import os
import socket
from typing import Any

from sqlite_utils import Database

from .db import write_transaction
from .liveness import is_alive, process_start_marker
from .runs import RESUMABLE_STATUSES, RunIsRunning, RunNotFound, _update, get_run, now_iso

__all__ = ["RunNotRunning", "set_checkpoint", "truncate_run", "pause_run", "request_pause", "pause_requested",
           "claim_for_resume"]


def set_checkpoint(db: Database, run_id: int, path: str | os.PathLike[str] | None) -> None:
    """Record where the run's latest resumable checkpoint is (None: it has none any more)."""
    _update(db, run_id, {"checkpoint_path": os.fspath(path) if path is not None else None})


def truncate_run(db: Database, run_id: int, *, epochs_kept: int, steps_kept: int) -> None:
    """Forget epochs after `epochs_kept` and steps after `steps_kept`: what a resumed run trains again."""
    with write_transaction(db):
        db.execute("DELETE FROM epochs WHERE run_id = ? AND epoch > ?", [run_id, epochs_kept])
        db.execute("DELETE FROM steps WHERE run_id = ? AND step > ?", [run_id, steps_kept])


def pause_run(db: Database, run_id: int, message: str) -> None:
    """The training process stopped at a checkpoint: the run is 'paused' until it is resumed."""
    _update(db, run_id, {"status": "paused", "stop_reason": message, "error": None, "pause_requested": 0,
                         "finished_at": now_iso()})


def request_pause(db: Database, run_id: int) -> None:
    """Ask the process training the run (maybe another one) to pause it after its current batch."""
    run = get_run(db, run_id)
    if run is None:
        raise RunNotFound(run_id)
    if run["status"] != "running" or not is_alive(run):
        raise RunNotRunning(run_id, run["status"])
    _update(db, run_id, {"pause_requested": 1})


def pause_requested(db: Database, run_id: int) -> bool:
    row = db.execute("SELECT pause_requested FROM runs WHERE id = ?", [run_id]).fetchone()
    return bool(row and row[0])


def claim_for_resume(db: Database, run_id: int) -> dict[str, Any]:
    """Make this process the one training a paused or interrupted run again; return the run as it was.

    One transaction with the write lock, so of two processes resuming the same run the second finds it
    'running' (by the first, alive) and is refused with RunIsRunning.
    """
    with write_transaction(db):
        run = get_run(db, run_id)
        if run is None:
            raise RunNotFound(run_id)
        if run["status"] == "running" and is_alive(run):
            raise RunIsRunning(run_id, f"run {run_id} is already running (process {run.get('pid')}); it cannot be resumed twice")
        if run["status"] not in RESUMABLE_STATUSES + ("running",):
            raise RunNotRunning(run_id, run["status"],
                                f"run {run_id} is {run['status']}: only paused or interrupted runs can be resumed")
        pid = os.getpid()
        _update(db, run_id, {"status": "running", "error": None, "finished_at": None, "pause_requested": 0,
                             "pid": pid, "host": socket.gethostname(), "pid_started": process_start_marker(pid)})
    return run


class RunNotRunning(RuntimeError):
    """The run is not in a state that allows what was asked (pause a finished run, resume a completed one)."""

    def __init__(self, run_id: int, status: str, message: str | None = None) -> None:
        self.run_id, self.status = run_id, status
        super().__init__(message or f"run {run_id} is not training (it is {status})")
