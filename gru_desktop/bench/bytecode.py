"""The app's own modules compiled to `__pycache__`, as a user's first launch leaves them, before a bench that
times a launch or the GUI thread. Where PYTHONDONTWRITEBYTECODE is set (it is on our build machines) nothing
ever writes them, so every launch compiled ~40 modules from source, each compile holding the GIL for 3-7 ms in
the window's first seconds (75 ms in all, measured): a cost users do not have after their first launch."""
from __future__ import annotations

import compileall
from pathlib import Path


def ensure_bytecode() -> bool:
    """Compile `gru_desktop` and `storage` where their bytecode is missing or stale; False when some could not
    be written (a read-only install: then it was compiled at install time, or is compiled at every launch)."""
    import storage

    ok = True
    for package in (Path(__file__).resolve().parents[1], Path(storage.__file__).resolve().parent):
        ok = bool(compileall.compile_dir(package, quiet=2)) and ok
    return ok
