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
