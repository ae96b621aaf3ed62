"""Which errors reach the user as a message, in one place for the CLI, the GUI's workers and its error dialog.

A UserError (bad file or setting), a StorageError (full disk, read-only or damaged data) and an unknown or
busy run are the user's to fix: the CLI prints one `error:` line and exits 2, the GUI shows the message.
A raw OSError or sqlite3 error that is a disk fault (no space, read-only, a damaged database) is turned
into the same kind of message; anything else is a bug and keeps its traceback (in the log file).
No torch and no Qt (tests/core/test_core_imports.py checks it), so wording an error never loads the engine.
It does load `storage` (sqlite-utils), so the window imports it only when an error comes (ui/threads.py,
ui/errors.py), never before its first paint.
"""
from __future__ import annotations

import os
import sqlite3

import storage

from ..core.errors import UserError

USER_ERRORS = (UserError, storage.StorageError, storage.RunNotFound, storage.RunIsRunning, storage.RunNotRunning,
               storage.QueueItemNotFound, storage.QueueItemBusy)


def user_message(exc: BaseException, home: str | os.PathLike | None = None) -> str | None:
    """The one-line message for an error the user can fix, or None for a bug."""
    if not isinstance(exc, USER_ERRORS) and isinstance(exc, (OSError, sqlite3.Error)):
        exc = disk_fault(exc, home) or exc
    if isinstance(exc, USER_ERRORS):
        text = str(exc).strip()
        return text.splitlines()[0] if text else type(exc).__name__
    return None


def disk_fault(exc: BaseException, home: str | os.PathLike | None = None) -> storage.StorageError | None:
    """The StorageError for an OSError or sqlite3 error met somewhere in a job (runs.db of `home` for
    database errors), or None when it is not a fault of the disk or the data folder."""
    try:
        where = storage.db_path(storage.resolve_home(home))
    except storage.StorageError as error:
        return error
    return storage.describe(exc, where)
