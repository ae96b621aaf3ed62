"""The serve tests' session fixture: one tiny trained run (sample corpus, 1 epoch, small sizes), a second run
row whose model file is damaged, and `suggest --json` for a few texts (what every surface must match)."""
from __future__ import annotations

import json
import sqlite3

import pytest

from serve_helpers import TEXTS, cli  # noqa: E402


@pytest.fixture(scope="session")
def served_home(tmp_path_factory):
    """(home, the trained run's id, the damaged run's id, {text: suggest --json's three words})."""
    home = tmp_path_factory.mktemp("serve-home")
    r = cli(home, "train", "--epochs", "1", "--embed-dim", "16", "--hidden-size", "32", "--batch-size", "32",
            "--json", timeout=300)
    assert r.returncode == 0, r.stderr
    run_id = json.loads(r.stdout.splitlines()[-1])["run_id"]
    damaged = home / "models" / "damaged.pt"
    damaged.write_bytes(b"PK\x03\x04 this is not a model file")
    con = sqlite3.connect(home / "runs.db")
    with con:
        cols = [c[1] for c in con.execute("PRAGMA table_info(runs)") if c[1] != "id"]
        con.execute(f"INSERT INTO runs ({', '.join(cols)}) SELECT {', '.join(cols)} FROM runs WHERE id = ?", (run_id,))
        bad_id = con.execute("SELECT max(id) FROM runs").fetchone()[0]
        con.execute("UPDATE runs SET model_path = ?, name = 'damaged' WHERE id = ?", (str(damaged), bad_id))
    con.close()
    expected = {}
    for text in TEXTS:
        r = cli(home, "suggest", str(run_id), text, "--json")
        assert r.returncode == 0, r.stderr
        expected[text] = [s["word"] for s in json.loads(r.stdout)["suggestions"]]
        assert len(expected[text]) >= 2, expected
    return home, run_id, bad_id, expected
