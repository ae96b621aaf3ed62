"""Storage faults (issue 11): readable messages, read-only opening, model paths relative to the data folder,
text that SQLite's UTF-8 would refuse."""
from __future__ import annotations

import errno
import hashlib
import os
import sqlite3
from pathlib import Path

import pytest

import storage
from storage import StorageError, check_free_space, create_run, describe, get_run, open_store, set_best
from storage.text import storable


def _run(db, **over):
    fields = dict(name="r", config={}, corpus="c", corpus_sha256="ab" * 32, vocab_size=10, epochs_planned=1)
    fields.update(over)
    return create_run(db, **fields)


def _best(db, run_id, path):
    set_best(db, run_id, epoch=1, val_loss=1.0, val_accuracy=0.5, val_top3=0.6, val_perplexity=2.7, model_path=path)


# ------------------------------------------------------------------------------------------ messages

def test_describe_no_space_names_the_path_and_the_need(tmp_path):
    err = describe(OSError(errno.ENOSPC, "No space left on device"), tmp_path / "models" / "1.pt", needed=3_200_000)
    assert err.kind == "no_space"
    assert str(err).startswith(f"no space left on the disk holding {tmp_path / 'models' / '1.pt'} (needs about 3 MB)")


def test_describe_read_only_and_sqlite_faults(tmp_path):
    assert describe(OSError(errno.EROFS, "Read-only file system", str(tmp_path)), tmp_path).kind == "read_only"
    assert f"the data folder {tmp_path} is read-only" in str(describe(OSError(errno.EACCES, "denied", str(tmp_path)), tmp_path))
    db = tmp_path / "runs.db"
    damaged = describe(sqlite3.DatabaseError("file is not a database"), db)
    assert damaged.kind == "damaged" and "not a SQLite database" in str(damaged) and "left untouched" in str(damaged)
    assert describe(sqlite3.OperationalError("database or disk is full"), db).kind == "no_space"
    assert describe(ValueError("x"), db) is None
    assert describe(OSError(errno.ENOENT, "gone"), db) is None  # not a disk fault: a bug or the caller's job


def test_check_free_space(tmp_path, monkeypatch):
    check_free_space(tmp_path, 1000)
    real = storage.faults.shutil.disk_usage
    monkeypatch.setattr(storage.faults.shutil, "disk_usage", lambda p: real(p)._replace(free=1_000_000))
    with pytest.raises(StorageError, match="needs about 6 MB"):
        check_free_space(tmp_path, 2_000_000)


# ----------------------------------------------------------------------------------- opening the folder

def test_home_that_is_a_file(tmp_path, monkeypatch):
    f = tmp_path / "file"
    f.write_text("x")
    monkeypatch.setenv("GRU_DESKTOP_HOME", str(f))
    with pytest.raises(StorageError, match="GRU_DESKTOP_HOME points to a file"):
        open_store()
    with pytest.raises(StorageError, match="is a file, not a folder"):
        open_store(f)


def test_no_home_directory(monkeypatch):
    monkeypatch.delenv("GRU_DESKTOP_HOME", raising=False)
    monkeypatch.setattr(storage.paths, "_platform_data_dir", lambda: (_ for _ in ()).throw(RuntimeError("no home")))
    with pytest.raises(StorageError, match="no home directory"):
        open_store()


def test_garbage_database_is_reported_and_untouched(tmp_path):
    db = tmp_path / "runs.db"
    db.write_bytes(os.urandom(8192))
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    for write in (True, False):
        with pytest.raises(StorageError) as info:
            open_store(tmp_path, write=write)
        assert info.value.kind == "damaged"
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert not (tmp_path / "runs.db-wal").exists()


def test_reader_falls_back_to_a_read_only_connection(tmp_path, monkeypatch):
    home, db = open_store(tmp_path)
    run_id = _run(db)
    db.close()

    def full(path):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(storage.store, "open_db", full)
    with pytest.raises(StorageError, match="no space left"):
        open_store(tmp_path)  # a writer is told
    _, ro = open_store(tmp_path, write=False)  # a reader reads
    assert storage.is_read_only(ro)
    assert get_run(ro, run_id)["status"] == "running"  # not marked interrupted: that would be a write
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        storage.update_run(ro, run_id, notes="x")


def test_reader_of_a_folder_without_database_sees_no_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(storage.store, "check_writable",
                        lambda folder: (_ for _ in ()).throw(storage.faults.read_only(folder)))
    _, db = open_store(tmp_path / "new", write=False)
    assert storage.list_runs(db) == []
    assert not (tmp_path / "new" / "runs.db").exists()


def test_failed_creation_leaves_no_empty_database(tmp_path, monkeypatch):
    def full(path):
        Path(path).touch()  # SQLite creates the file, then cannot write its first page
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(storage.store, "open_db", full)
    with pytest.raises(StorageError, match="no space left"):
        open_store(tmp_path)
    assert not (tmp_path / "runs.db").exists()


# ------------------------------------------------------------------------------------------ model paths

def test_model_paths_are_stored_relative_and_read_absolute(tmp_path):
    home, db = open_store(tmp_path / "a")
    run_id = _run(db)
    _best(db, run_id, home / "models" / "1.pt")
    assert db.execute("SELECT model_path FROM runs").fetchone()[0] == "models/1.pt"
    assert get_run(db, run_id)["model_path"] == str(home / "models" / "1.pt")
    db.close()
    moved = tmp_path / "b"
    home.rename(moved)
    _, db = open_store(moved)
    assert get_run(db, run_id)["model_path"] == str(moved / "models" / "1.pt")


def test_old_absolute_model_paths_still_read(tmp_path):
    home, db = open_store(tmp_path / "a")
    run_id, other = _run(db), _run(db)
    outside = tmp_path / "elsewhere.pt"
    outside.write_bytes(b"x")
    _best(db, run_id, outside)  # outside the folder: kept absolute
    assert get_run(db, run_id)["model_path"] == str(outside)
    (home / "models" / "2.pt").write_bytes(b"x")
    db.execute("UPDATE runs SET model_path = ? WHERE id = ?", ["/old/place/models/2.pt", other])
    assert get_run(db, other)["model_path"] == str(home / "models" / "2.pt")  # the folder was moved


# ------------------------------------------------------------------------------------------ text

def test_undecodable_file_names_are_stored_in_a_display_form(tmp_path):
    name = os.fsdecode(b"caf\xe9.txt")
    assert storable(name) == "café.txt"
    assert storable("plain") == "plain" and storable(3) == 3
    _, db = open_store(tmp_path)
    run_id = _run(db, corpus=f"1 file: {name}", corpus_paths=[str(tmp_path / name)])
    run = get_run(db, run_id)
    assert run["corpus"] == "1 file: café.txt"
    assert os.fsencode(run["corpus_paths"][0]).endswith(b"caf\xe9.txt")  # the name itself survives
    storage.finish_run(db, run_id, "failed", f"cannot read {name}")
    assert get_run(db, run_id)["error"] == "cannot read café.txt"
