"""The personal counts (design §17): rows of what the user typed, kept per data folder.

A row is (ngram, count, seen, tick, last_seen) with `ngram` a tuple of 1–3 words, stored as a JSON array;
`personal_meta` keeps the word clock ("tick"), whether learning is paused, and the personal part's weight
state per run (JSON). Plain data in and out: the core's PersonalCounts builds itself from them.

Faults: a personal table that cannot be read or holds rows that make no sense is rebuilt empty, and the
reader gets a warning instead of rows — suggestions never wait on it. *Forget all* deletes every row and the
clock in one transaction: all or nothing. Every write that deletes rows also counts up `deletions` in
`personal_meta` (same transaction), so a process holding the counts (`lsp --learn`) notices a forget.
"""
from __future__ import annotations

import json
import math
import sqlite3
from typing import Any

from sqlite_utils import Database

from .db import write_transaction

__all__ = ["load_personal", "save_personal", "forget_all_personal", "set_personal_meta", "get_personal_meta",
           "personal_deletions"]

Row = tuple[tuple[str, ...], float, int, int, float]

# The table as m012_personal_counts made it: used to rebuild a damaged one.
_TABLE_SQL = """
    CREATE TABLE personal_ngrams (
        ngram TEXT PRIMARY KEY,
        n INTEGER NOT NULL,
        count REAL NOT NULL,
        seen INTEGER NOT NULL,
        tick INTEGER NOT NULL,
        last_seen REAL NOT NULL
    )
"""


def load_personal(db: Database) -> tuple[list[Row], int, bool, str | None]:
    """(rows, word clock, paused, warning). A damaged table is rebuilt empty (when the folder is writable)
    and the warning says so; the rows are then []."""
    paused = get_personal_meta(db, "paused") == "1"
    try:
        raw = db.execute("SELECT ngram, n, count, seen, tick, last_seen FROM personal_ngrams").fetchall()
        tick = int(get_personal_meta(db, "tick") or 0)
        rows = [_checked(r) for r in raw]
    except (sqlite3.DatabaseError, ValueError, TypeError) as exc:
        return [], 0, paused, _rebuild(db, exc)
    return rows, max([tick] + [r[3] for r in rows]), paused, None


def _checked(r: Any) -> Row:
    ngram, n, count, seen, tick, last_seen = r
    key = json.loads(ngram)
    if (not isinstance(key, list) or not 1 <= len(key) <= 3 or len(key) != n
            or not all(isinstance(w, str) and w for w in key)):
        raise ValueError(f"a learned n-gram that is not 1-3 words: {ngram!r}")
    count, last_seen = float(count), float(last_seen)
    if not math.isfinite(count) or count < 0 or not isinstance(seen, int) or seen < 1 or not isinstance(tick, int):
        raise ValueError(f"a learned row with impossible numbers: {r!r}")
    return tuple(key), count, seen, tick, last_seen


def _rebuild(db: Database, exc: Exception) -> str:
    why = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    try:
        with write_transaction(db):
            db.execute("DROP TABLE IF EXISTS personal_ngrams")
            db.execute(_TABLE_SQL)
            db.execute("DELETE FROM personal_meta WHERE key = 'tick'")
    except sqlite3.DatabaseError as again:
        return (f"what it learned from your typing could not be read ({why}) and could not be rebuilt "
                f"({again}); learning starts empty for this session")
    return f"what it learned from your typing was damaged ({why}); it was rebuilt empty"


def save_personal(db: Database, rows: list[Row], deleted: list[tuple[str, ...]], tick: int) -> None:
    """Write changed rows and delete removed ones, with the word clock, in one transaction."""
    with write_transaction(db):
        db.conn.executemany(
            "INSERT INTO personal_ngrams (ngram, n, count, seen, tick, last_seen) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(ngram) DO UPDATE SET count = excluded.count, seen = excluded.seen, tick = excluded.tick, "
            "last_seen = excluded.last_seen",
            [(_key(k), len(k), c, s, t, ls) for k, c, s, t, ls in rows])
        db.conn.executemany("DELETE FROM personal_ngrams WHERE ngram = ?", [(_key(k),) for k in deleted])
        _set(db, "tick", str(int(tick)))
        if deleted:
            _bump_deletions(db)


def forget_all_personal(db: Database) -> None:
    """Every learned row and the word clock gone, atomically."""
    with write_transaction(db):
        db.execute("DELETE FROM personal_ngrams")
        db.execute("DELETE FROM personal_meta WHERE key = 'tick' OR key LIKE 'weight:%'")
        _bump_deletions(db)


def personal_deletions(db: Database) -> int:
    """How many writes so far deleted learned rows (a forget, forget all, a prune): another process holding
    the counts in memory (`lsp --learn`) reads it to notice that rows it holds were removed here."""
    try:
        return int(get_personal_meta(db, "deletions") or 0)
    except ValueError:
        return 0


def _bump_deletions(db: Database) -> None:
    db.execute("INSERT INTO personal_meta (key, value) VALUES ('deletions', '1') "
               "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1")


def set_personal_meta(db: Database, key: str, value: str) -> None:
    with write_transaction(db):
        _set(db, key, value)


def get_personal_meta(db: Database, key: str) -> str | None:
    try:
        row = db.execute("SELECT value FROM personal_meta WHERE key = ?", [key]).fetchone()
    except sqlite3.DatabaseError:
        return None
    return row[0] if row else None


def _set(db: Database, key: str, value: str) -> None:
    db.execute("INSERT INTO personal_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
               [key, value])


def _key(key: tuple[str, ...]) -> str:
    return json.dumps(list(key), ensure_ascii=False)
