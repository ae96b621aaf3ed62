"""Shared by the CLI tests: run `python -m gru_desktop` in a subprocess against a given data folder."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).parents[2]


def _env(home: Path) -> dict:
    env = dict(os.environ)
    env["GRU_DESKTOP_HOME"] = str(home)
    env["OMP_NUM_THREADS"] = "1"
    env.pop("PYTHONWARNINGS", None)
    return env


def cli(home: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    # surrogateescape: a file name that is not UTF-8 is printed as its own bytes
    return subprocess.run([sys.executable, "-m", "gru_desktop", *map(str, args)], cwd=REPO, env=_env(home),
                          capture_output=True, text=True, errors="surrogateescape", timeout=timeout)


def cli_patched(home: Path, patch: str, *args: str, env: dict | None = None, timeout: float = 120):
    """`python -m gru_desktop ARGS` with `patch` (Python code) run first in the same process."""
    code = textwrap.dedent(patch) + "\nfrom gru_desktop.cli import main\nraise SystemExit(main(sys.argv[1:]))\n"
    return subprocess.run([sys.executable, "-c", "import sys\n" + code, *map(str, args)], cwd=REPO,
                          env=env or _env(home), capture_output=True, text=True, timeout=timeout)


def runs_json(home: Path) -> list[dict]:
    r = cli(home, "runs", "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def assert_user_error(r: subprocess.CompletedProcess, contains: str | None = None) -> str:
    """Exit 2, one `error:` line on stderr (containing `contains`), no traceback anywhere."""
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr and "Traceback" not in r.stdout, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("error:"), lines
    if contains:
        assert contains.lower() in lines[0].lower(), lines[0]
    return lines[0]


def copy_home(src: Path, dest: Path, last: dict) -> tuple[Path, int, Path]:
    """A private copy of a trained data folder: (home, run id, model file), the run's model_path pointing at
    the copy. `last`: the final JSON line of the `train --json` that made the run."""
    import shutil
    import sqlite3

    home = dest / "home"
    shutil.copytree(src, home)
    run_id = last["run_id"]
    model = home / "models" / Path(last["model_path"]).name
    con = sqlite3.connect(home / "runs.db")
    with con:
        con.execute("UPDATE runs SET model_path = ? WHERE id = ?", (str(model), run_id))
    con.close()
    return home, run_id, model


def generated_corpus(folder: Path, name: str, *, seed: int, words: int, lines: int, letters: str, longest: int) -> Path:
    """`lines` random sentences of 5–12 words over `words` made-up words: a corpus of known size and speed."""
    import random

    rng = random.Random(seed)
    vocab = ["w" + "".join(rng.choice(letters) for _ in range(rng.randint(2, longest))) for _ in range(words)]
    text = [" ".join(rng.choice(vocab) for _ in range(rng.randint(5, 12))) + "." for _ in range(lines)]
    p = folder / name
    p.write_text("\n".join(text) + "\n", encoding="utf-8")
    return p
