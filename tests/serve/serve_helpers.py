"""Shared by the serve tests: the texts every surface is compared on, and `python -m gru_desktop` in a subprocess."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).parents[2]
TEXTS = ("thank you for your ", "thank you for yo", "The children were playing in the ")


def env(home: Path) -> dict:
    e = dict(os.environ)
    e.update(GRU_DESKTOP_HOME=str(home), OMP_NUM_THREADS="1")
    e.pop("PYTHONWARNINGS", None)
    return e


def cli(home: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gru_desktop", *map(str, args)], cwd=REPO, env=env(home),
                          capture_output=True, text=True, timeout=timeout)
