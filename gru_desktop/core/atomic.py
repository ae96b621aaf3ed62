"""One way to write a file so that nobody ever sees half of it: a temporary file beside the target,
flushed and fsynced, then renamed over it (`os.replace` is atomic on one file system). On any error,
or Ctrl-C, the temporary file is removed and the target is left as it was.

- `atomic_write(path)`: a context manager for exports, the launcher and the counts file.
- `stage` / `commit` / `discard`: the same in two steps, for model files: between them the caller records the
  file elsewhere (the runs database) first, so a failure of that record leaves the old file in place.
- `create_beside`: just the new temporary file, for a writer that needs a path of its own to fill (SQLite);
  it then fsyncs and `commit`s it.

Every file written here gets the permissions any new file gets from the process umask (0o644 under the
usual 022), model files and checkpoints as much as exports; `perms=0o600` makes a private one. The temporary
file is created with those permissions (os.open's mode, which the kernel masks), so the umask is never read
or changed: changing it is process-wide, and a file another thread created meanwhile would come out
world-writable.

Stdlib only (the GUI and `storage`-side code may use it without loading torch).
"""
from __future__ import annotations

import errno
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


def create_beside(path: str | os.PathLike, perms: int = 0o666) -> tuple[int, Path]:
    """(descriptor, name) of a new empty temporary file beside `path`, open for writing, created with `perms`
    masked by the umask. O_EXCL: the name is never someone else's file (nor a link planted there)."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = folder / f"{path.name}.{secrets.token_hex(4)}.tmp"
        try:
            return os.open(tmp, flags, perms), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary file name", str(folder))


@contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb", *, newline: str | None = None,
                 perms: int = 0o666) -> Iterator[IO[Any]]:
    """`with atomic_write(path, "w") as fh: fh.write(...)`: the file appears whole when the block ends.

    Text mode is UTF-8. The new file gets `perms` masked by the umask (0o644 by default under 022; 0o600 for
    a private file). OSError (a missing folder, no permission, a full disk) is raised as is, for the caller
    to word.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_write: mode {mode!r} (only 'w' or 'wb')")
    path = Path(path)
    fd, tmp = create_beside(path, perms)
    try:
        fh = os.fdopen(fd, mode) if "b" in mode else os.fdopen(fd, mode, encoding="utf-8", newline=newline)
        with fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def stage(path: str | os.PathLike, data: bytes, perms: int = 0o666) -> Path:
    """Write `data` to a new temporary file beside `path` (`perms` masked by the umask, as atomic_write);
    return it. Nothing is left behind on failure (OSError with errno ENOSPC for a full disk, EACCES/EROFS for
    a read-only folder)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = create_beside(path, perms)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


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


__all__ = ["create_beside", "atomic_write", "stage", "commit", "discard", "write_atomic"]
