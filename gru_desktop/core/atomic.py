"""One way to write a file so that nobody ever sees half of it: a temporary file beside the target,
flushed and fsynced, then renamed over it (`os.replace` is atomic on one file system). On any error,
or Ctrl-C, the temporary file is removed and the target is left as it was.

Used for model files, exports and the launcher. Stdlib only (the GUI and `storage`-side code may use it
without loading torch).
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
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8", "newline": newline})) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, file_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


__all__ = ["file_mode", "atomic_write"]
