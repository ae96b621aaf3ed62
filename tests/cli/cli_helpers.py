"""Shared by the CLI tests: run `python -m gru_desktop` in a subprocess against a given data folder."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).parents[2]


def _env(home: Path) -> dict:
    env = dict(os.environ)
    env["GRU_DESKTOP_HOME"] = str(home)
    env["OMP_NUM_THREADS"] = "1"
    env.pop("PYTHONWARNINGS", None)
    return env


def cli(home: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gru_desktop", *map(str, args)], cwd=REPO, env=_env(home),
                          capture_output=True, text=True, timeout=timeout)


def runs_json(home: Path) -> list[dict]:
    r = cli(home, "runs", "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)
