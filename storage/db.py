"""Opening runs.db: connection settings plus schema migrations.

Threads: a connection belongs to the thread that opened it (Python's sqlite3
refuses to use it from another thread). Every thread that touches the
database - the GUI thread, a training worker, a CLI command - must call
open_db itself and close its own connection when done. WAL mode lets those
connections read while one of them writes, and busy_timeout makes a second
writer wait its turn instead of failing with "database is locked".
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Iterator

from sqlite_utils import Database

from .migrations import MIGRATIONS, rename_recorded

# Milliseconds a connection waits for another one's write lock. A training
# worker commits an epoch in milliseconds, so ten seconds is generous.
BUSY_TIMEOUT_MS = 10_000

__all__ = ["MIGRATIONS", "open_db", "write_transaction"]


def open_db(path: str | os.PathLike[str]) -> Database:
    """Open (creating if needed) the database at path and bring its schema up to date."""
    path = os.fspath(path)
    if path != ":memory:":
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    # Plugins are off so the storage layer behaves the same whatever
    # sqlite-utils plugins happen to be installed next to it.
    db = Database(path, execute_plugins=False)
    _configure(db)
    _migrate(db)
    return db


def _configure(db: Database) -> None:
    # busy_timeout first: switching to WAL needs a lock another process
    # may briefly hold.
    db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    _enable_wal(db)
    # SQLite ignores foreign keys (and so ON DELETE CASCADE) unless asked,
    # per connection.
    db.execute("PRAGMA foreign_keys=ON")
    # NORMAL is durable across application crashes in WAL mode; only a power
    # loss can drop the last commits, which costs at most an epoch row.
    db.execute("PRAGMA synchronous=NORMAL")


def _enable_wal(db: Database) -> None:
    # WAL is a property of the file, so only the very first open switches it.
    # That switch needs an exclusive lock and SQLite may refuse it at once
    # (without honouring busy_timeout) when another connection is opening
    # the same new file, so retry for as long as busy_timeout would wait.
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            db.enable_wal()
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _migrate(db: Database) -> None:
    # Cheap read-only check first, so the common case takes no write lock.
    if not MIGRATIONS.pending(db):
        return
    # Two threads or processes opening a fresh file at once would both see
    # the same migrations pending and the loser would crash on "table already
    # exists". BEGIN IMMEDIATE serialises them; the loser then finds nothing
    # pending, because apply() re-checks inside the lock. Migrations.apply
    # nests its own per-migration transactions as savepoints inside this one.
    # Foreign keys are off while migrating (SQLite ignores the pragma inside a transaction, so it is set
    # here): a migration that rebuilds a table (m007) must not cascade-delete the rows that point at it.
    # A database that recorded a migration under its old name (migrations.RENAMED) shows the new name as
    # pending; the record is renamed first, in the same transaction, so nothing runs twice.
    db.execute("PRAGMA foreign_keys=OFF")
    try:
        with write_transaction(db):
            rename_recorded(db)
            MIGRATIONS.apply(db)
            broken = db.execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"migration left {len(broken)} rows pointing nowhere")
    finally:
        db.execute("PRAGMA foreign_keys=ON")


@contextlib.contextmanager
def write_transaction(db: Database) -> Iterator[Database]:
    """A transaction that takes the write lock up front (BEGIN IMMEDIATE).

    Use it for every write that reads first (sqlite-utils' insert/upsert read
    the table schema, delete_run reads the row). In a plain deferred
    transaction the read pins a snapshot; if another connection commits
    before our first write, SQLite fails at once with "database is locked"
    without honouring busy_timeout. Taking the lock first makes us wait
    instead. Inside an already open transaction it nests as a savepoint.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.rollback()
        raise
    db.commit()
