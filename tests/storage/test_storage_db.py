import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from storage import add_steps, create_run, get_run, list_runs, open_db
from storage.db import MIGRATIONS

REPO_ROOT = Path(__file__).resolve().parents[2]


def _run_fields(name: str) -> dict:
    return dict(
        name=name, config={}, corpus="c", corpus_sha256="0" * 64,
        vocab_size=10, epochs_planned=1,
    )


def test_migrations_create_tables_and_indexes(db):
    assert {"runs", "epochs", "steps", "_sqlite_migrations"} <= set(db.table_names())
    index_names = {index.name for index in db["runs"].indexes}
    assert {"idx_runs_status", "idx_runs_created_at"} <= index_names
    assert db["epochs"].pks == ["run_id", "epoch"]
    assert db["steps"].pks == ["run_id", "step"]


def test_migrations_are_idempotent(tmp_path):
    path = tmp_path / "runs.db"
    open_db(path).close()
    db = open_db(path)
    names = [row["name"] for row in db["_sqlite_migrations"].rows]
    assert names == [migration.name for migration in MIGRATIONS._migrations]
    assert names.count("m001_initial") == 1
    assert MIGRATIONS.pending(db) == []
    db.close()


def test_open_db_creates_parent_directories(tmp_path):
    path = tmp_path / "a" / "b" / "runs.db"
    open_db(path).close()
    assert path.is_file()


def test_connection_pragmas(db):
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] == 10000
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL


def test_status_check_constraint_rejects_unknown_status(db, make_run):
    run_id = make_run()
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("UPDATE runs SET status = 'sleeping' WHERE id = ?", [run_id])


def test_check_constraint_accepts_every_status(db, make_run):
    from storage import STATUSES

    run_id = make_run()
    for status in STATUSES:
        db.execute("UPDATE runs SET status = ? WHERE id = ?", [status, run_id])
        assert get_run(db, run_id)["status"] == status


def test_second_thread_writes_while_first_holds_a_connection(tmp_path):
    path = tmp_path / "runs.db"
    first = open_db(path)
    first_run = create_run(first, **_run_fields("first"))
    # Hold an open read transaction: WAL must let the other thread write anyway.
    first.execute("BEGIN")
    first.execute("SELECT COUNT(*) FROM runs").fetchone()
    outcome: dict = {}

    def worker() -> None:
        try:
            own = open_db(path)
            outcome["run_id"] = create_run(own, **_run_fields("second"))
            add_steps(own, first_run, [(1, 1, 0.5), (2, 1, 0.25)])
            own.close()
        except Exception as error:  # noqa: BLE001 - reported to the main thread below
            outcome["error"] = error

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(timeout=30)
    first.rollback()
    assert not thread.is_alive()
    assert "error" not in outcome
    assert {run["name"] for run in list_runs(first)} == {"first", "second"}
    first.close()


def test_concurrent_writers_wait_instead_of_failing(tmp_path):
    path = tmp_path / "runs.db"
    open_db(path).close()
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def writer() -> None:
        db = open_db(path)
        try:
            start.wait()
            for _ in range(25):
                run_id = create_run(db, **_run_fields(""))
                add_steps(db, run_id, [(1, 1, 1.0), (2, 1, 0.5)])
        except Exception as error:  # noqa: BLE001 - the main thread asserts there were none
            errors.append(error)
        finally:
            db.close()

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    db = open_db(path)
    assert len(list_runs(db)) == 100
    db.close()


def test_concurrent_first_opens_of_a_new_file(tmp_path):
    path = tmp_path / "runs.db"
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def opener() -> None:
        start.wait()
        try:
            open_db(path).close()
        except Exception as error:  # noqa: BLE001 - the main thread asserts there were none
            errors.append(error)

    threads = [threading.Thread(target=opener) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    db = open_db(path)
    assert db["_sqlite_migrations"].count == len(MIGRATIONS._migrations)
    db.close()


def test_connection_refuses_use_from_another_thread(db):
    caught: list[BaseException] = []

    def misuse() -> None:
        try:
            db.execute("SELECT 1")
        except sqlite3.ProgrammingError as error:
            caught.append(error)

    thread = threading.Thread(target=misuse)
    thread.start()
    thread.join(timeout=10)
    assert len(caught) == 1


def test_importing_storage_pulls_in_neither_torch_nor_qt():
    code = (
        "import sys, storage\n"
        "bad = sorted(m for m in sys.modules\n"
        "             if m.split('.')[0] in ('torch', 'PySide6', 'gru_desktop'))\n"
        "print(bad)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=True,
    )
    assert result.stdout.strip() == "[]"
