"""Opening the data folder's database for a job or command, without importing torch (the CLI's `runs`
and `queue` listings answer in a fraction of a second that way)."""
from __future__ import annotations

import os
from pathlib import Path

import storage


def open_store(home: str | os.PathLike | None = None):
    """This thread's connection to the runs database, after marking runs whose process died."""
    home = storage.ensure_data_dir(Path(home) if home else None)
    db = storage.open_db(storage.db_path(home))
    storage.mark_interrupted(db)
    return home, db
