"""Faults of the disk and the data folder, in words the user can act on.

A full disk, a read-only folder or mount, a damaged runs.db and a data folder that is not a folder all
reach Python as OSError or sqlite3.Error with terse texts ("disk I/O error", "unable to open database
file"). `describe` turns them into a StorageError naming the path and what to do; `translated` does that
around a block of code; `check_free_space` and `check_writable` find the fault before any work is done.

Standard library only (the storage layer's rule), so the CLI and the GUI can use it without torch.
"""
from __future__ import annotations

import contextlib
import errno
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

MB = 1_000_000
# Kept free beyond what a write needs: the database's own growth (epochs, steps) and the file system's
# metadata, so a check that passes leaves room for the rows that record the work.
MARGIN_BYTES = 4 * MB

_DATA_FOLDER_PARTS = ("the data folder", "the models folder", "the database")
_NO_SPACE_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
_READ_ONLY_ERRNOS = {errno.EROFS, errno.EACCES, errno.EPERM}
# sqlite3 primary result codes (the low byte of sqlite_errorcode).
_SQLITE_PERM, _SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_CORRUPT = 3, 8, 10, 11
_SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_NOTADB = 13, 14, 26


class StorageError(Exception):
    """A fault of the disk or the data folder the user has to fix (CLI: one `error:` line, exit 2).

    `kind`: "no_space", "read_only", "damaged", "folder" or "io". Readers fall back to a read-only
    connection on "no_space", "read_only" and "io"; nothing falls back on "damaged".
    """

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


def no_space(path: str | os.PathLike, needed: int | None = None) -> StorageError:
    need = f" (needs about {_mb(needed)} MB)" if needed else ""
    return StorageError("no_space", f"no space left on the disk holding {os.fsdecode(path)}{need}; "
                                    "free some space and try again")


def read_only(path: str | os.PathLike, what: str = "the data folder") -> StorageError:
    # The data folder's own parts can be moved with --home; any other folder (an export's) is the user's choice.
    other = ("another data folder with --home or GRU_DESKTOP_HOME" if what in _DATA_FOLDER_PARTS
             else "another folder")
    return StorageError("read_only", f"{what} {os.fsdecode(path)} is read-only; make it writable, or choose {other}")


def damaged(path: str | os.PathLike, why: str) -> StorageError:
    return StorageError("damaged", f"{os.fsdecode(path)} is damaged ({why}); it was left untouched — "
                                   "move it away to start a new one")


def describe(exc: BaseException, path: str | os.PathLike, needed: int | None = None,
             what: str = "the data folder") -> StorageError | None:
    """The StorageError that explains `exc` met while working on `path`, or None when it is no disk fault.

    `path` is the file or folder being written (for a database: runs.db); `needed` the bytes the write
    needed, if known; `what` names the folder in a read-only message.
    """
    if isinstance(exc, StorageError):
        return exc
    if isinstance(exc, sqlite3.Error):
        return _describe_sqlite(exc, Path(path))
    if isinstance(exc, OSError):
        where = Path(os.fsdecode(exc.filename)) if exc.filename else Path(path)
        if exc.errno in _NO_SPACE_ERRNOS:
            return no_space(where, needed)
        if exc.errno in _READ_ONLY_ERRNOS:
            folder = where if where.is_dir() else where.parent
            return read_only(folder, what)
        if exc.errno == errno.ENOTDIR:
            return StorageError("folder", f"{where} cannot be used: a part of that path is a file, not a folder")
        if exc.errno == errno.EIO:
            return StorageError("io", f"the disk holding {where} reported an input/output error")
    return None


def _describe_sqlite(exc: sqlite3.Error, path: Path) -> StorageError | None:
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    text = str(exc).lower()
    if code == _SQLITE_NOTADB or "file is not a database" in text:
        return damaged(path, "not a SQLite database")
    if code == _SQLITE_CORRUPT or "malformed" in text:
        return damaged(path, "its contents are malformed")
    if code == _SQLITE_FULL or "disk is full" in text:
        return no_space(path)
    if code in (_SQLITE_READONLY, _SQLITE_PERM) or "readonly database" in text:
        if _writable_dir(path.parent):
            return read_only(path, "the database")
        return read_only(path.parent)
    if code in (_SQLITE_CANTOPEN, _SQLITE_IOERR) or "unable to open" in text or "disk i/o error" in text:
        # SQLite cannot say why; the folder can. A full disk shows up here when the WAL index cannot grow.
        folder = path.parent
        if folder.is_dir() and not _writable_dir(folder):
            return read_only(folder)
        free = free_bytes(folder)
        if free is not None and free < MARGIN_BYTES // 4:
            return no_space(path)
        return StorageError("io", f"cannot use the database {path}: {exc}")
    return None


@contextlib.contextmanager
def translated(path: str | os.PathLike, needed: int | None = None, what: str = "the data folder") -> Iterator[None]:
    """Re-raise a disk fault met inside the block as a StorageError (the original is kept as its cause)."""
    try:
        yield
    except (OSError, sqlite3.Error) as exc:
        error = describe(exc, path, needed, what)
        if error is None or error is exc:
            raise
        raise error from exc


def free_bytes(path: str | os.PathLike) -> int | None:
    """Free bytes on the disk holding `path` (or its nearest existing parent), None if unknown."""
    p = Path(path)
    for candidate in (p, *p.parents):
        try:
            return shutil.disk_usage(candidate).free
        except OSError:
            continue
    return None


def check_free_space(path: str | os.PathLike, needed: int, margin: int = MARGIN_BYTES) -> None:
    """StorageError("no_space") unless the disk holding `path` has `needed` bytes plus the margin free."""
    free = free_bytes(path)
    if free is not None and free < needed + margin:
        raise no_space(path, needed + margin)


def check_writable(folder: str | os.PathLike, what: str = "the data folder") -> None:
    """StorageError unless a file can be created in `folder` (a probe file, removed at once). The one check
    of a folder before writing: the data folder's, the models folder's, an export's (jobs.exports.check_target).

    os.access is not enough: it answers from permission bits (root passes them all), so it says nothing of a
    disk without free inodes or space, or of a network mount that refuses what the bits allow.
    """
    with translated(folder, what=what):
        fd, probe = tempfile.mkstemp(prefix=".write-check.", dir=folder)
        os.close(fd)
        os.unlink(probe)


def _writable_dir(folder: Path) -> bool:
    try:
        check_writable(folder)
    except (StorageError, OSError):
        return False
    return True


def _mb(n: int) -> str:
    return f"{max(1, round(n / MB)):,}"
