"""How the database keeps a run's model path: relative to the data folder when the file lies inside it, so a
data folder that is copied or moved keeps working; read back as a path under the folder the database is in.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlite_utils import Database


def db_folder(db: Database) -> Path | None:
    """The data folder: where this connection's runs.db lies (None for an in-memory database)."""
    for row in db.execute("PRAGMA database_list").fetchall():
        if row[1] == "main" and row[2]:
            return Path(row[2]).parent
    return None


def stored_model_path(path: str | os.PathLike[str], folder: Path | None) -> str:
    """A model path as the database keeps it: relative to the data folder when inside it ("models/3.pt"),
    so a data folder that is copied or moved keeps working."""
    path = Path(path)
    if folder is not None:
        try:
            return path.resolve().relative_to(folder.resolve()).as_posix()
        except ValueError:
            pass
    return os.fspath(path)


def resolved_model_path(stored: str | None, folder: Path | None) -> str | None:
    """The model file of a stored path: relative ones under the data folder; an old absolute one that is
    gone but whose file name exists in this folder's models/ (the folder was moved) there."""
    if not stored or folder is None:
        return stored
    path = Path(stored)
    if not path.is_absolute():
        return os.fspath(folder / path)
    if path.parent.name == "models" and not path.exists() and (folder / "models" / path.name).exists():
        return os.fspath(folder / "models" / path.name)
    return stored
