"""Training runs: their lifecycle in the runs table and how callers find them.

A run is created 'running' by the process that trains it, gets epochs and a
best checkpoint recorded while it trains, and ends with finish_run. If its
process dies first, mark_interrupted (called at start-up) tidies it up.
Epoch/step metrics live in storage.metrics and are re-exported here; how model paths are kept in
storage.stored_paths; pausing and resuming in storage.pause.
"""

from __future__ import annotations

import json
import os
import socket
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from .db import write_transaction
from .liveness import is_alive, process_start_marker
from .metrics import add_epoch, add_steps, get_epochs, get_steps
from .stored_paths import db_folder, resolved_model_path, stored_model_path
from .text import storable

STATUSES = ("running", "completed", "cancelled", "failed", "interrupted", "paused", "queued")
FINAL_STATUSES = ("completed", "cancelled", "failed", "interrupted")
# A run that ended in one of these may have a usable best model; a
# failed run's model is not trusted.
MODEL_STATUSES = ("completed", "cancelled", "interrupted", "paused")
# Runs in these states can be resumed as the same run from their checkpoint.
RESUMABLE_STATUSES = ("paused", "interrupted")
INTERRUPTED_ERROR = "the process that was training it stopped (crash, kill or power loss)"

# Columns update_run may change. status/finished_at go through finish_run,
# best_* through set_best, and the liveness triple (pid, host, pid_started)
# belongs to the creating process, so all of those stay out.
UPDATABLE_COLUMNS = frozenset(
    {
        "name", "notes", "error", "corpus", "corpus_sha256", "config",
        "vocab_size", "epochs_planned", "train_tokens", "val_tokens",
        "model_path", "parent_run_id", "tags", "starred",
    }
)

_SELECT_RUNS = """
    SELECT runs.*,
           (SELECT COUNT(*) FROM epochs WHERE epochs.run_id = runs.id) AS epochs_done,
           (SELECT AVG(cpu_percent) FROM epochs WHERE epochs.run_id = runs.id) AS cpu_percent,
           (SELECT MAX(peak_rss_mb) FROM epochs WHERE epochs.run_id = runs.id) AS peak_rss_mb
    FROM runs
"""

__all__ = [
    "STATUSES", "RunNotFound", "RunIsRunning", "create_run", "add_epoch",
    "add_steps", "set_best", "set_evaluation", "finish_run", "update_run", "get_run", "list_runs",
    "get_epochs", "get_steps", "resolve_run_id", "delete_run", "db_folder",
    "process_start_marker", "is_alive", "mark_interrupted", "RESUMABLE_STATUSES",
]


class RunNotFound(LookupError):
    """No run matches what the caller asked for."""

    def __init__(self, ref: str | int, message: str | None = None) -> None:
        self.ref = ref
        super().__init__(message or f"no run with id {ref}")


class RunIsRunning(RuntimeError):
    """The run is still being trained by a live process."""

    def __init__(self, run_id: int, message: str | None = None) -> None:
        self.run_id = run_id
        super().__init__(message or f"run {run_id} is still training; stop it first")


def now_iso() -> str:
    """Current UTC time as ISO-8601 with seconds precision."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def create_run(
    db: Database,
    *,
    name: str | None,
    config: dict[str, Any],
    corpus: str,
    corpus_sha256: str,
    vocab_size: int,
    epochs_planned: int,
    train_tokens: int | None = None,
    val_tokens: int | None = None,
    parent_run_id: int | None = None,
    corpus_paths: list[str] | None = None,
    device: str = "cpu",
    processes: int = 1,
) -> int:
    """Insert a new 'running' run owned by this process; return its id."""
    pid = os.getpid()
    row = {
        "name": name or None,
        "created_at": now_iso(),
        "status": "running",
        "corpus": corpus,
        "corpus_sha256": corpus_sha256,
        "config": json.dumps(config, sort_keys=True),
        "vocab_size": vocab_size,
        "epochs_planned": epochs_planned,
        "train_tokens": train_tokens,
        "val_tokens": val_tokens,
        "parent_run_id": parent_run_id,
        "corpus_paths": json.dumps(list(corpus_paths)) if corpus_paths is not None else None,
        "device": device,
        "processes": processes,
        "pid": pid,
        "host": socket.gethostname(),
        "pid_started": process_start_marker(pid),
    }
    row = {key: storable(value) for key, value in row.items()}
    # One transaction so nobody ever sees the run without its name.
    with write_transaction(db):
        run_id = db.table("runs").insert(row).last_pk
        assert isinstance(run_id, int)  # the rowid of the row just inserted
        if not name:
            _update(db, run_id, {"name": f"run {run_id}"})
    return run_id


def set_best(
    db: Database,
    run_id: int,
    *,
    epoch: int,
    val_loss: float,
    val_accuracy: float,
    val_top3: float,
    val_perplexity: float,
    model_path: str | os.PathLike[str],
) -> None:
    """Record the epoch whose checkpoint was saved as the run's best model."""
    values = {
        "best_epoch": epoch,
        "best_val_loss": val_loss,
        "best_val_accuracy": val_accuracy,
        "best_val_top3": val_top3,
        "best_val_perplexity": val_perplexity,
        "model_path": stored_model_path(model_path, db_folder(db)),
    }
    _update(db, run_id, values)


def set_evaluation(db: Database, run_id: int, *, perplexity: float, top1: float, top3: float,
                   keystroke_savings: float, tokens: int, source: str = "gru", gru: dict[str, Any] | None = None,
                   counts: dict[str, Any] | None = None) -> None:
    """Record the typing-quality numbers of what suggests for the run (`source`: "blend" or "gru") on its
    validation text; with a blend, also the GRU's own numbers (`gru`) and the counts' (`counts`) on the
    same positions (dicts with perplexity, top1, top3, keystroke_savings)."""
    values: dict[str, Any] = {"eval_perplexity": perplexity, "eval_top1": top1, "eval_top3": top3,
                              "eval_keystroke_savings": keystroke_savings, "eval_tokens": tokens,
                              "eval_at": now_iso(), "eval_source": source}
    own = {"perplexity": perplexity, "top1": top1, "top3": top3, "keystroke_savings": keystroke_savings}
    for key in own:  # the GRU's own numbers: given, or these when the GRU is what suggests
        values[f"eval_gru_{key}"] = (gru or {}).get(key, own[key] if source == "gru" else None)
    values["eval_counts_perplexity"] = (counts or {}).get("perplexity")
    values["eval_counts_top3"] = (counts or {}).get("top3")
    _update(db, run_id, values)


def set_blend(db: Database, run_id: int, weights: dict[str, float] | None, lam: float | None) -> None:
    """Record the fitted blend weights of a run's suggestions (None: the run suggests with the GRU alone).

    What suggests reads the weights from the counts file beside the model; `blend_weights` here is the
    record that `runs show` and `runs --json` report without loading that file (tests/cli/test_cli_blend.py,
    tests/jobs/test_jobs_recorded_run.py check the two agree)."""
    _update(db, run_id, {"blend_weights": json.dumps(weights) if weights is not None else None, "blend_lambda": lam})


def finish_run(db: Database, run_id: int, status: str, error: str | None = None, stop_reason: str | None = None) -> None:
    """End a run with a final status (ValueError for 'running' or unknown ones).

    `stop_reason` says in words why training ended ("finished 5 epochs", "stopped early: …").
    """
    if status not in FINAL_STATUSES:
        raise ValueError(f"status must be one of {', '.join(FINAL_STATUSES)}; got {status!r}")
    _update(db, run_id, {"status": status, "error": error, "stop_reason": stop_reason, "finished_at": now_iso()})


def update_run(db: Database, run_id: int, **fields: Any) -> None:
    """Change user-editable columns of a run (ValueError for any other column)."""
    unknown = sorted(set(fields) - UPDATABLE_COLUMNS)
    if unknown:
        raise ValueError(f"update_run cannot change: {', '.join(unknown)}")
    if isinstance(fields.get("config"), dict):
        fields["config"] = json.dumps(fields["config"], sort_keys=True)
    if isinstance(fields.get("tags"), (list, tuple)):
        fields["tags"] = json.dumps(list(fields["tags"]))
    if "starred" in fields:
        fields["starred"] = int(bool(fields["starred"]))
    if fields:
        _update(db, run_id, fields)


def _update(db: Database, run_id: int, values: dict[str, Any]) -> None:
    # Column names only ever come from this module's constants or from
    # keys checked against UPDATABLE_COLUMNS, never from raw user input.
    assignments = ", ".join(f"[{column}] = ?" for column in values)
    sql = f"UPDATE runs SET {assignments} WHERE id = ?"
    if db.execute(sql, [*map(storable, values.values()), run_id]).rowcount == 0:
        raise RunNotFound(run_id)


def get_run(db: Database, run_id: int) -> dict[str, Any] | None:
    """One run with config parsed and an epochs_done count, or None."""
    # list() so the cursor is finished at once rather than left open.
    rows = list(db.query(f"{_SELECT_RUNS} WHERE runs.id = ?", [run_id]))
    return _parse(rows[0], db_folder(db)) if rows else None


def list_runs(db: Database) -> list[dict[str, Any]]:
    """All runs, newest first, shaped like get_run."""
    folder = db_folder(db)
    return [_parse(row, folder) for row in db.query(f"{_SELECT_RUNS} ORDER BY runs.id DESC")]


def _parse(row: dict[str, Any], folder: Path | None) -> dict[str, Any]:
    row["model_path"] = resolved_model_path(row.get("model_path"), folder)
    row["config"] = json.loads(row["config"]) if row["config"] else {}
    row["corpus_paths"] = json.loads(row["corpus_paths"]) if row.get("corpus_paths") else None
    row["tags"] = json.loads(row["tags"]) if row.get("tags") else []
    row["starred"] = bool(row.get("starred"))
    row["blend_weights"] = json.loads(row["blend_weights"]) if row.get("blend_weights") else None
    return row


def resolve_run_id(db: Database, ref: str | int, *, completed_only: bool = False) -> int:
    """Turn a user's run reference (id, "12", "latest") into an existing run id.

    completed_only restricts "latest" to runs with a loadable best model;
    an explicit id is only checked for existence.
    """
    if isinstance(ref, str):
        text = ref.strip()
        if text.lower() == "latest":
            return _latest_id(db, completed_only)
        if not text.isdecimal():
            raise RunNotFound(ref, f"no run matches {ref!r}; give a run id or 'latest'")
        run_id = int(text)
    else:
        run_id = int(ref)
    if db.execute("SELECT 1 FROM runs WHERE id = ?", [run_id]).fetchone() is None:
        raise RunNotFound(ref)
    return run_id


def _latest_id(db: Database, completed_only: bool) -> int:
    if completed_only:
        marks = ", ".join("?" for _ in MODEL_STATUSES)
        sql = (
            "SELECT id FROM runs WHERE model_path IS NOT NULL AND best_epoch IS NOT NULL"
            f" AND status IN ({marks}) ORDER BY id DESC LIMIT 1"
        )
        found = db.execute(sql, MODEL_STATUSES).fetchone()
        if found is None:
            raise RunNotFound("latest", "no finished run with a saved model yet")
    else:
        found = db.execute("SELECT MAX(id) FROM runs").fetchone()
        if found[0] is None:
            raise RunNotFound("latest", "no runs yet")
    return found[0]


def delete_run(db: Database, run_id: int) -> dict[str, Any]:
    """Delete a run with its epochs and steps; return the row it had.

    The model file is left alone: the caller removes it, so storage never
    deletes files.
    """
    with write_transaction(db):
        run = get_run(db, run_id)
        if run is None:
            raise RunNotFound(run_id)
        if run["status"] == "running" and is_alive(run):
            raise RunIsRunning(run_id)
        db.execute("DELETE FROM runs WHERE id = ?", [run_id])
    return run


def mark_interrupted(db: Database) -> list[int]:
    """Set every 'running' run whose process is gone to 'interrupted'; return their ids.

    Epochs and the best checkpoint stay: an interrupted run is still usable
    up to its last recorded epoch.
    """
    running = db.query("SELECT id, pid, host, pid_started FROM runs WHERE status = 'running'")
    dead = [run["id"] for run in running if not is_alive(run)]
    finished_at = now_iso()
    marked = []
    with write_transaction(db):
        for run_id in dead:
            # status is re-checked so a run that finished since the query
            # above keeps its real outcome.
            cursor = db.execute(
                "UPDATE runs SET status = 'interrupted', finished_at = ?, error = ?"
                " WHERE id = ? AND status = 'running'",
                [finished_at, INTERRUPTED_ERROR, run_id],
            )
            if cursor.rowcount:
                marked.append(run_id)
    return marked
