"""Is the process that owns a 'running' run still alive?

A run row records the (host, pid, pid start time) of the process training
it. If that process dies without finishing the run (crash, kill, power
loss) the row would say 'running' forever; these checks let
storage.runs.mark_interrupted tell such orphans from live runs.
"""

from __future__ import annotations

import os
import socket
import sys
from typing import Any

# Windows API constants for _windows_pid_exists.
_PROCESS_QUERY_LIMITED_INFORMATION = 0x1000
_ERROR_ACCESS_DENIED = 5
_STILL_ACTIVE = 259


def process_start_marker(pid: int) -> str | None:
    """The start time of pid (Linux: field 22 of /proc/<pid>/stat), or None.

    PIDs get reused; a pid plus its start time identifies one process for
    good. None where the platform has no cheap equivalent or the process
    cannot be read (for example because it is gone).
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            stat = f.read()
    except OSError:
        return None
    # Field 2 is the command name in parentheses and may itself contain
    # spaces or ')', so split after the last ')'. What follows starts at
    # field 3, which puts field 22 at index 19.
    fields = stat.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else None


def pid_exists(pid: int) -> bool:
    """Whether a process with this pid exists on this machine."""
    if pid <= 0:
        # os.kill(0, ...) and negative pids address process groups.
        return False
    if sys.platform == "win32":
        return _windows_pid_exists(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        # It exists but belongs to someone else.
        return True
    except OSError:
        return False
    return True


def _windows_pid_exists(pid: int) -> bool:
    # os.kill on Windows terminates the target whatever the signal number,
    # so ask the kernel instead.
    import ctypes

    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(_PROCESS_QUERY_LIMITED_INFORMATION, False, pid)
    if not handle:
        return kernel32.GetLastError() == _ERROR_ACCESS_DENIED
    try:
        code = ctypes.c_ulong()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return True
        return code.value == _STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)


def is_alive(run: dict[str, Any]) -> bool:
    """Whether the process recorded in run (host, pid, pid_started) still runs.

    A run from another host is assumed alive: we cannot look at that
    machine's processes, and wrongly declaring a live run dead is worse than
    leaving a dead one marked 'running'.
    """
    if run.get("host") != socket.gethostname():
        return True
    pid = run.get("pid")
    if pid is None or not pid_exists(pid):
        return False
    started = run.get("pid_started")
    return started is None or started == process_start_marker(pid)
