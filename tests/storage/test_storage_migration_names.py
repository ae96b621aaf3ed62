"""Migration names follow the order they run in, and a data folder made before they were renumbered
(tests/storage/fixtures/runs-a7f05e1.db, made by that day's main) still opens, upgrades and keeps its data."""
from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path

import storage
from storage.migrations import MIGRATIONS, RENAMED

FIXTURE = Path(__file__).parent / "fixtures" / "runs-a7f05e1.db"


def _schema(path: Path) -> list[tuple]:
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master "
                           "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name").fetchall()
    finally:
        con.close()


def _recorded(path: Path) -> list[str]:
    con = sqlite3.connect(path)
    try:
        return [r[0] for r in con.execute("SELECT name FROM _sqlite_migrations WHERE migration_set = 'gru_desktop' "
                                          "ORDER BY id")]
    finally:
        con.close()


def test_migration_numbers_count_up_in_the_order_they_run():
    numbers = [int(re.match(r"m(\d{3})_", m.name).group(1)) for m in MIGRATIONS._migrations]
    assert numbers[:8] == list(range(1, 9))  # m001…m008, as they ran since the first release
    assert numbers == sorted(set(numbers))  # later ones: each above the one before (branches may skip numbers)


def test_a_database_of_before_the_renumbering_opens_upgrades_and_keeps_its_data(tmp_path):
    path = tmp_path / "runs.db"
    shutil.copy(FIXTURE, path)
    assert "m009_resume_queue_monitor" in _recorded(path)  # the fixture is what it says
    db = storage.open_db(path)
    try:
        assert MIGRATIONS.pending(db) == []
        runs = storage.list_runs(db)
        assert [r["name"] for r in runs] == ["hidden_size=16", "hidden_size=8", "queued-one", "second", "tiny"]
        assert {r["status"] for r in runs} == {"completed"}
        assert [e["epoch"] for e in storage.get_epochs(db, 1)] == [1, 2]
        assert len(storage.get_steps(db, 1)) > 0
        assert storage.get_run(db, 2)["config"]["tie_weights"] is False
        items = storage.queue.list_items(db)
        assert [(i["name"], i["state"]) for i in items][-1] == ("later", "queued")
        done = db.execute("SELECT state, run_id FROM queue WHERE state != 'queued' ORDER BY id").fetchall()
        assert done == [("done", 3), ("done", 4), ("done", 5)]
        assert len(storage.list_baselines(db)) == 3
    finally:
        db.close()
    recorded = _recorded(path)
    assert recorded == [m.name for m in MIGRATIONS._migrations]  # renamed, nothing run twice
    assert not set(RENAMED) & set(recorded)
    storage.open_db(path).close()  # and it opens again with nothing to do
    assert _recorded(path) == recorded


def test_an_upgraded_old_database_has_the_schema_of_a_new_one(tmp_path):
    old = tmp_path / "old.db"
    shutil.copy(FIXTURE, old)
    storage.open_db(old).close()
    storage.open_db(tmp_path / "new.db").close()
    assert _schema(old) == _schema(tmp_path / "new.db")
