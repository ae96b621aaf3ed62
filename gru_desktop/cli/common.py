"""What every command shares: the exit codes, the user's error, JSON without NaN."""
from __future__ import annotations

import math

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


def user_error(message: str):
    from ..core.errors import UserError

    return UserError(message)


def finite(row: dict) -> dict:
    """JSON has no NaN/Infinity: write them as null."""
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()}


def check_run(home, ref) -> None:
    """A run reference that names no run (`suggest 999`, `serve latest` with no run yet) is one error line
    before torch is imported: ~0.2 s instead of ~2.5 s of CPU. Resolved as jobs.recorded_run.load_run_model
    does ("latest": the newest run with a usable model), so the message is the same one."""
    import storage

    _, db = storage.open_store(home, write=False)
    try:
        storage.resolve_run_id(db, ref, completed_only=str(ref) == "latest")
    finally:
        db.close()
