"""What torchrun tells a process through its environment, read without importing torch: a command decides
how to start (one process, or one of several) before it pays for torch's import (~2.5 s of CPU here), so a
mistyped setting is refused at once (design §12)."""
from __future__ import annotations

import os


def launched_by_torchrun() -> bool:
    """Whether this process is one of several started by torchrun (WORLD_SIZE > 1)."""
    try:
        return int(os.environ.get("WORLD_SIZE", "1")) > 1
    except ValueError:
        return False
