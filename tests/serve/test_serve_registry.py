"""The server's registry keeps the run rows and resolved names it read while the database is unchanged (no
query per request), and reads them again as soon as another connection commits: a run finished, renamed or
deleted meanwhile is seen by the next request."""
from __future__ import annotations

import sqlite3

import pytest

from gru_desktop.serve.models import Registry, ServeError


def test_rows_and_latest_are_read_again_after_another_connection_commits(served_home):
    home, run_id, bad_id, _ = served_home
    registry = Registry(home)
    before = registry.resolve("latest")
    assert registry.resolve(run_id) == run_id and registry.resolve(f"run-{run_id}") == run_id
    assert registry._row(run_id)["name"] != "renamed meanwhile"
    con = sqlite3.connect(home / "runs.db")
    name = con.execute("SELECT name FROM runs WHERE id = ?", (run_id,)).fetchone()[0]
    try:
        with con:  # a run finishes in another process
            cols = [c[1] for c in con.execute("PRAGMA table_info(runs)") if c[1] != "id"]
            con.execute(f"INSERT INTO runs ({', '.join(cols)}) SELECT {', '.join(cols)} FROM runs WHERE id = ?",
                        (run_id,))
            new_id = con.execute("SELECT max(id) FROM runs").fetchone()[0]
            con.execute("UPDATE runs SET name = 'renamed meanwhile' WHERE id = ?", (run_id,))
        assert new_id > before
        assert registry.resolve("latest") == new_id
        assert registry._row(run_id)["name"] == "renamed meanwhile"
        assert registry.suggest("thank you for ", 3, None, new_id)["run"] == new_id
        with con:  # and is deleted again
            con.execute("DELETE FROM runs WHERE id = ?", (new_id,))
            con.execute("UPDATE runs SET name = ? WHERE id = ?", (name, run_id))
        assert registry.resolve("latest") == before
        with pytest.raises(ServeError) as e:
            registry.resolve(new_id)
        assert e.value.status == 404
    finally:
        con.close()


def test_names_that_are_not_plain_are_refused_not_kept(served_home):
    registry = Registry(served_home[0])
    for name in (True, ["run-1"], {"id": 1}):
        with pytest.raises(ServeError) as e:
            registry.resolve(name)
        assert e.value.status == 400
    assert registry._resolved == {} or all(type(k[1]) in (str, int) for k in registry._resolved)
