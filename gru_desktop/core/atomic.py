"""One way to write a file so that nobody ever sees half of it: a temporary file beside the target,
flushed and fsynced, then renamed over it (`os.replace` is atomic on one file system). On any error,
or Ctrl-C, the temporary file is removed and the target is left as it was.

- `atomic_write(path)`: a context manager for exports, the launcher and the counts file.
- `stage` / `commit` / `discard`: the same in two steps, for model files: between them the caller records the
  file elsewhere (the runs database) first, so a failure of that record leaves the old file in place.

Stdlib only (the GUI and `storage`-side code may use it without loading torch).
"""
from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


def file_mode() -> int:
    """The permissions a new file gets under the process umask (0o644 with the usual 022)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb", *, newline: str | None = None) -> Iterator[IO[Any]]:
    """`with atomic_write(path, "w") as fh: fh.write(...)`: the file appears whole when the block ends.

    Text mode is UTF-8. The new file gets the umask's permissions (mkstemp's would be private). OSError
    (a missing folder, no permission, a full disk) is raised as is, for the caller to word.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_write: mode {mode!r} (only 'w' or 'wb')")
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent if str(path.parent) else ".")
    try:
        fh = os.fdopen(fd, mode) if "b" in mode else os.fdopen(fd, mode, encoding="utf-8", newline=newline)
        with fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, file_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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


__all__ = ["file_mode", "atomic_write", "stage", "commit", "discard", "write_atomic"]
