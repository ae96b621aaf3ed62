"""Files written so that a crash or a full disk never leaves half of one: stage beside, then rename over.

`stage` writes the bytes to a temporary file in the target's folder and flushes them to the disk; `commit`
renames it over the target (atomic on one file system). Between the two the caller can record the file
elsewhere (the runs database) first, so a failure of that record leaves the old file in place.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


def stage(path: str | os.PathLike, data: bytes) -> Path:
    """Write `data` to a new temporary file beside `path`; return it. Nothing is left behind on failure
    (OSError with errno ENOSPC for a full disk, EACCES/EROFS for a read-only folder)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def commit(tmp: str | os.PathLike, path: str | os.PathLike) -> None:
    """Put the staged file in place of `path` (removing the staged file if that fails)."""
    try:
        os.replace(tmp, path)
    except BaseException:
        discard(tmp)
        raise


def discard(tmp: str | os.PathLike) -> None:
    Path(tmp).unlink(missing_ok=True)


def write_atomic(path: str | os.PathLike, data: bytes) -> None:
    commit(stage(path, data), path)
