"""SQLite storage layer of GRU Desktop: runs, their metrics, and where files live.

Depends only on the standard library and sqlite-utils, so the CLI, the GUI
and the training worker can all use it without pulling in torch or Qt.
Each thread must open its own connection with open_db (see storage.db).
"""

from . import queue
from .baselines import get_baseline, list_baselines, save_baseline
from .db import open_db
from .faults import StorageError, check_free_space, check_writable, describe, translated
from .paths import checkpoint_path, data_dir, db_path, ensure_data_dir, model_path
from .pause import RunNotRunning, claim_for_resume, pause_requested, pause_run, request_pause, set_checkpoint, truncate_run
from .queue import QueueItemBusy, QueueItemNotFound
from .run_token import epochs_after, run_by_token, set_run_token, steps_after
from .runs import (
    RESUMABLE_STATUSES,
    STATUSES,
    RunIsRunning,
    RunNotFound,
    add_epoch,
    add_steps,
    create_run,
    db_folder,
    delete_run,
    finish_run,
    get_epochs,
    get_run,
    get_steps,
    is_alive,
    list_runs,
    mark_interrupted,
    resolve_run_id,
    set_best,
    set_blend,
    set_evaluation,
    update_run,
)
from .store import is_read_only, open_read_only, open_store, resolve_home

__all__ = [
    "RESUMABLE_STATUSES",
    "QueueItemBusy",
    "QueueItemNotFound",
    "RunNotRunning",
    "checkpoint_path",
    "claim_for_resume",
    "pause_requested",
    "pause_run",
    "queue",
    "request_pause",
    "set_checkpoint",
    "truncate_run",
    "STATUSES",
    "RunIsRunning",
    "StorageError",
    "check_free_space",
    "check_writable",
    "describe",
    "is_read_only",
    "open_read_only",
    "open_store",
    "resolve_home",
    "translated",
    "RunNotFound",
    "add_epoch",
    "add_steps",
    "create_run",
    "db_folder",
    "data_dir",
    "db_path",
    "delete_run",
    "ensure_data_dir",
    "finish_run",
    "get_baseline",
    "get_epochs",
    "get_run",
    "get_steps",
    "is_alive",
    "list_baselines",
    "list_runs",
    "mark_interrupted",
    "model_path",
    "open_db",
    "resolve_run_id",
    "save_baseline",
    "set_best",
    "set_blend",
    "set_evaluation",
    "update_run",
    "epochs_after",
    "run_by_token",
    "set_run_token",
    "steps_after",
]
