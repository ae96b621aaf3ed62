"""Opening the data folder for work: writers need it writable, readers make do with what is there.

`open_store(home, write=True)` is what a job calls: it finds the data folder, opens runs.db with its
schema up to date, and marks runs whose process died as interrupted. Every fault on the way is a
StorageError with a readable message (storage.faults).

Reading never needs writing: with `write=False` a data folder that is read-only (a read-only mount, a
folder without write permission) or on a full disk is opened through a read-only SQLite connection
instead, and marking interrupted runs is skipped. A folder without runs.db gives an empty in-memory
database, so listing says "no runs yet". A damaged database is never opened for writing or repaired.
"""
from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from sqlite_utils import Database

from .db import open_db
from .faults import StorageError, check_writable, damaged, read_only, translated
from .paths import HOME_ENV, data_dir, db_path
from .runs import mark_interrupted

# Faults a reader works around by opening read-only; anything else (a damaged file) is reported.
_READABLE_KINDS = ("read_only", "no_space", "io")


def resolve_home(home: str | os.PathLike | None = None) -> Path:
    """The data folder (`home`, else $GRU_DESKTOP_HOME, else the platform's), checked to be usable as one."""
    if home:
        folder, source = Path(home).expanduser(), "the data folder"
    else:
        source = f"{HOME_ENV} points to a file:" if os.environ.get(HOME_ENV) else "the data folder"
        try:
            folder = data_dir()
        except (RuntimeError, KeyError):  # Path.home() with no HOME and no passwd entry
            raise StorageError("folder", "there is no data folder: this user has no home directory; set "
                                         f"{HOME_ENV} (or --home) to a folder") from None
    if folder.exists() and not folder.is_dir():
        if source.endswith(":"):
            raise StorageError("folder", f"{source} {folder}; point it to a folder")
        raise StorageError("folder", f"{source} {folder} is a file, not a folder; choose a folder with --home "
                                     f"or {HOME_ENV}")
    return folder


def open_store(home: str | os.PathLike | None = None, *, write: bool = True) -> tuple[Path, Database]:
    """(data folder, this thread's connection). `write=False` for work that only reads (see the module doc)."""
    folder = resolve_home(home)
    try:
        db = _open_writable(folder)
    except StorageError as exc:
        if write or exc.kind not in _READABLE_KINDS:
            raise
        return folder, open_read_only(folder)
    try:
        with translated(db_path(folder)):
            mark_interrupted(db)
    except StorageError as exc:
        if write or exc.kind not in _READABLE_KINDS:
            raise
    return folder, db


def _open_writable(folder: Path) -> Database:
    with translated(folder):
        (folder / "models").mkdir(parents=True, exist_ok=True)
    path = db_path(folder)
    new = not path.exists()
    if new:
        check_writable(folder)  # SQLite would only say "unable to open database file"
    try:
        with translated(path):
            return open_db(path)
    except StorageError:
        if new:  # e.g. a full disk: do not leave an empty runs.db behind
            with contextlib.suppress(OSError):
                if path.stat().st_size == 0:
                    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
                        leftover.unlink(missing_ok=True)
        raise


def open_read_only(folder: Path) -> Database:
    """A connection that cannot write (PRAGMA query_only), to runs.db or, if there is none, an empty one."""
    path = db_path(folder)
    if not path.exists():
        db = open_db(":memory:")
    else:
        db = Database(_connect_read_only(path), execute_plugins=False)
        with translated(path):
            db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # a damaged file fails here
    db.execute("PRAGMA query_only=1")
    return db


def _connect_read_only(path: Path) -> sqlite3.Connection:
    # mode=ro still needs the WAL index (runs.db-shm) to exist or be creatable; on a read-only folder or a
    # full disk it may be neither, and then immutable=1 reads the file as it is (without a leftover -wal).
    uri = Path(path).resolve().as_uri()
    last: sqlite3.Error | None = None
    for flags in ("mode=ro", "mode=ro&immutable=1"):
        try:
            conn = sqlite3.connect(f"{uri}?{flags}", uri=True)
            conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            return conn
        except sqlite3.DatabaseError as exc:
            text = str(exc).lower()
            if "not a database" in text or "malformed" in text:
                raise damaged(path, "not a SQLite database" if "not a database" in text
                              else "its contents are malformed") from None
            last = exc
    raise read_only(path.parent) from last


def is_read_only(db: Database) -> bool:
    """Whether this connection was opened read-only (open_read_only)."""
    return bool(db.execute("PRAGMA query_only").fetchone()[0])
