"""Python's faulthandler for the desktop app: a segmentation fault or another fatal signal writes every
thread's Python stack, so a crash at launch or close names where it happened instead of ending silently
with exit code 139.

`enable_early()` runs first thing in `app.main` (stderr: the log file's location needs the data folder,
which is resolved later); `to_log_file(home)` then points it at the data folder's log file
(`gru-desktop.log`, appended, a line saying so first), where the rest of the app's warnings go too.
"""
from __future__ import annotations

import faulthandler
import os
import sys
import time

_file = None  # the log file faulthandler writes to; kept open (faulthandler holds only its descriptor)


def enable_early() -> None:
    try:
        faulthandler.enable(file=sys.stderr, all_threads=True)
    except (AttributeError, ValueError, OSError):  # no usable stderr (pythonw): the log file comes later
        pass


def to_log_file(home=None) -> str | None:
    """Make fatal errors write to the data folder's log file; its path, or None when it cannot be opened."""
    global _file
    from ... import logs

    path = logs.log_path(home)
    if path is None:
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(path, "a", encoding="utf-8")  # noqa: SIM115 - kept open for the process's life
        fh.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} INFO gru_desktop.crash_log [{os.getpid()}]: "
                 "a fatal error (segmentation fault, abort) would write every thread's stack below\n")
        fh.flush()
        faulthandler.enable(file=fh, all_threads=True)
    except OSError:
        return None
    old, _file = _file, fh
    if old is not None:
        old.close()
    return str(path)
