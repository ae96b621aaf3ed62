"""Command-line tests: faults of the disk and the data folder, and hostile input (issue 11).

Each fault ends with exit 2 and one `error:` line, no traceback, the database intact and nothing half
written. A full disk is simulated by raising OSError(ENOSPC) at the write call inside the CLI's own
process (`cli_patched`); read-only folders are real (chmod; as root, with the override capabilities
dropped by setpriv, since root ignores permissions); a damaged database is garbage bytes.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cli_helpers import REPO, _env, assert_user_error, cli, cli_patched, runs_json  # noqa: E402

SMALL = ["--embed-dim", "16", "--hidden-size", "32", "--batch-size", "32", "--vocab-size", "400"]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def db_rows(home: Path, sql: str) -> list[tuple]:
    con = sqlite3.connect(home / "runs.db")
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def integrity(home: Path) -> str:
    return db_rows(home, "PRAGMA integrity_check")[0][0]


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("faults") / "home"
    r = cli(home, "train", "--epochs", "2", *SMALL)
    assert r.returncode == 0, r.stderr
    return home


@pytest.fixture
def home_copy(trained, tmp_path) -> Path:
    """A private copy of the trained data folder (model paths are stored relative to it)."""
    home = tmp_path / "copy"
    shutil.copytree(trained, home)
    return home


# ------------------------------------------------------------------------------------------- full disk

_ENOSPC_AT_WRITE = """
    import errno, os, types
    import gru_desktop.core.atomic as atomic
    real_fdopen, calls = os.fdopen, []

    class HalfWriter:  # writes half, then the disk is full, as a real short write would end
        def __init__(self, fh): self.fh = fh
        def __enter__(self): return self
        def __exit__(self, *exc): self.fh.close()
        def write(self, data):
            self.fh.write(data[: len(data) // 2]); self.fh.flush()
            raise OSError(errno.ENOSPC, "No space left on device")
        def __getattr__(self, name): return getattr(self.fh, name)

    def fdopen(fd, *a, **k):
        calls.append(fd)
        fh = real_fdopen(fd, *a, **k)
        return HalfWriter(fh) if len(calls) >= {nth} else fh

    atomic.os = types.SimpleNamespace(**{{**vars(os), "fdopen": fdopen}})  # atomic's own `os`, fdopen replaced
"""


_FULL_UNTIL_RESERVE_GIVEN_BACK = """
    import glob, sqlite3, storage
    real_finish = storage.finish_run
    def finish_run(db, run_id, *a, **k):  # the database too has no room until the run's reserve is deleted
        if glob.glob(str(storage.db_folder(db) / "models" / ".*.reserve")):
            raise sqlite3.OperationalError("database or disk is full")
        return real_finish(db, run_id, *a, **k)
    storage.finish_run = finish_run
"""


def test_disk_full_at_model_write_keeps_last_good_model(tmp_path):
    home = tmp_path / "home"
    patch = _ENOSPC_AT_WRITE.format(nth=2) + _FULL_UNTIL_RESERVE_GIVEN_BACK
    # without epoch-end checkpoints the second write is epoch 2's model (with them it would be a checkpoint,
    # whose failure is a warning and training goes on)
    r = cli_patched(home, patch, "train", "--epochs", "3", "--patience", "0", "--no-epoch-checkpoints", *SMALL)
    assert_user_error(r, "no space left on the disk holding")
    assert "models" in r.stderr
    [(run_id, status, error, best_epoch, model_path)] = db_rows(
        home, "SELECT id, status, error, best_epoch, model_path FROM runs")
    assert status == "failed" and "no space left" in error
    assert best_epoch == 1 and model_path == f"models/{run_id}.pt"
    assert not list((home / "models").glob("*.tmp")), "a half-written file was left behind"
    assert not list((home / "models").glob(".*.reserve"))
    assert integrity(home) == "ok"
    import torch

    assert torch.load(home / model_path, weights_only=True)["meta"]["epoch"] == 1
    ok = cli(home, "suggest", str(run_id), "the cat sat on the ")
    assert ok.returncode == 0, ok.stderr


def test_disk_full_at_database_update_leaves_model_and_row_agreeing(tmp_path):
    """The model is staged, the row fails to record it: the previous best file stays, matching the row."""
    home = tmp_path / "home"
    patch = """
        import sqlite3, storage
        real, calls = storage.set_best, []
        def set_best(*a, **k):
            calls.append(1)
            if len(calls) >= 2:
                raise sqlite3.OperationalError("database or disk is full")
            return real(*a, **k)
        storage.set_best = set_best
    """
    r = cli_patched(home, patch, "train", "--epochs", "3", "--patience", "0", *SMALL)
    assert_user_error(r, "no space left")
    [(run_id, status, best_epoch)] = db_rows(home, "SELECT id, status, best_epoch FROM runs")
    assert status == "failed" and best_epoch == 1
    import torch

    assert torch.load(home / "models" / f"{run_id}.pt", weights_only=True)["meta"]["epoch"] == 1
    assert not list((home / "models").glob("*.tmp"))


def test_too_little_free_space_refused_before_training(tmp_path):
    home = tmp_path / "home"
    patch = """
        import shutil
        real = shutil.disk_usage
        shutil.disk_usage = lambda p: real(p)._replace(free=500_000)
    """
    r = cli_patched(home, patch, "train", "--epochs", "50", *SMALL)
    line = assert_user_error(r, "no space left on the disk holding")
    assert "needs about" in line and "MB" in line
    assert r.stdout == ""  # not one epoch was trained
    assert runs_json(home) == []  # and no run was recorded


def test_full_disk_readers_fall_back_to_read_only(home_copy):
    """When runs.db cannot be opened for writing (the disk is full), listing and suggesting still work."""
    patch = """
        import sqlite3, storage.store
        def full(path): raise sqlite3.OperationalError("database or disk is full")
        storage.store.open_db = full
    """
    before = sha(home_copy / "runs.db")
    for args in (["runs"], ["suggest", "latest", "the cat sat on the "]):
        r = cli_patched(home_copy, patch, *args)
        assert r.returncode == 0, (args, r.stderr)
        assert r.stderr == ""
    assert sha(home_copy / "runs.db") == before


# ------------------------------------------------------------------------------------------- read-only

def _without_override() -> list[str]:
    """A prefix that makes permissions count for this command (root ignores them otherwise)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if not setpriv:
        pytest.skip("running as root without setpriv: read-only folders cannot be made to count")
    caps = "-dac_override,-dac_read_search"
    return [setpriv, f"--bounding-set={caps}", f"--inh-caps={caps}"]


def cli_restricted(home: Path, *args: str):
    return subprocess.run([*_without_override(), sys.executable, "-m", "gru_desktop", *map(str, args)], cwd=REPO,
                          env=_env(home), capture_output=True, text=True, timeout=120)


@pytest.fixture
def read_only(home_copy):
    made = [home_copy / "runs.db", home_copy / "models", home_copy]
    for p in made:
        p.chmod(p.stat().st_mode & ~0o222)
    yield home_copy
    for p in made:
        p.chmod(p.stat().st_mode | 0o200)


def test_read_only_data_folder_reads_but_refuses_training(read_only):
    home = read_only
    before = sha(home / "runs.db")
    for args in (["runs", "show", "latest"], ["suggest", "latest", "the cat "]):
        r = cli_restricted(home, *args)
        assert r.returncode == 0, (args, r.stderr)
        assert "Traceback" not in r.stderr
    r = cli_restricted(home, "train", "--epochs", "1", *SMALL)
    assert_user_error(r, f"the data folder {home} is read-only")
    assert sha(home / "runs.db") == before


def test_read_only_models_folder_found_before_training(home_copy):
    models = home_copy / "models"
    models.chmod(0o555)
    try:
        r = cli_restricted(home_copy, "train", "--epochs", "50", *SMALL)
    finally:
        models.chmod(0o755)
    assert_user_error(r, f"the models folder {models} is read-only")
    assert r.stdout == ""  # no epoch was trained
    assert len(runs_json(home_copy)) == 1  # only the run that was there


# ------------------------------------------------------------------------------------- damaged database

@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_damaged_database_is_reported_and_left_untouched(home_copy, damage):
    db = home_copy / "runs.db"
    for extra in ("runs.db-wal", "runs.db-shm"):
        (home_copy / extra).unlink(missing_ok=True)
    if damage == "garbage":
        db.write_bytes(os.urandom(53248))
        why = "not a SQLite database"
    else:
        data = db.read_bytes()
        db.write_bytes(data[: len(data) // 2])
        why = "damaged"
    before = sha(db)
    for args in (["runs"], ["train", "--epochs", "1", *SMALL]):
        line = assert_user_error(cli(home_copy, *args), f"{db} is damaged")
        assert why in line and "move it away" in line
    assert sha(db) == before
    assert not (home_copy / "runs.db-wal").exists() or (home_copy / "runs.db-wal").stat().st_size == 0


# ------------------------------------------------------------------------------------ unusable data folder

def test_home_pointing_at_a_file(tmp_path):
    f = tmp_path / "not-a-folder"
    f.write_text("x")
    assert_user_error(cli(f, "train", "--epochs", "1"), f"GRU_DESKTOP_HOME points to a file: {f}")
    assert_user_error(cli(tmp_path / "h", "--home", str(f), "runs"), f"the data folder {f} is a file")


def test_no_home_directory(tmp_path):
    env = _env(tmp_path)
    del env["GRU_DESKTOP_HOME"]
    patch = """
        import pathlib
        def no_home(cls): raise RuntimeError("Could not determine home directory.")
        pathlib.Path.home = classmethod(no_home)
    """
    assert_user_error(cli_patched(tmp_path, patch, "runs", env=env), "this user has no home directory")


# ------------------------------------------------------------------------------------------ file names

def test_non_utf8_file_name_trains_lists_and_evaluates(tmp_path):
    folder = tmp_path / "texts"
    folder.mkdir()
    raw = os.fsencode(folder) + b"/caf\xe9.txt"
    with open(raw, "wb") as fh:
        fh.write(b"the cat sat on the mat. the dog sat on the rug.\n" * 60)
    home = tmp_path / "home"
    r = cli(home, "train", folder, "--epochs", "1", *SMALL)
    assert r.returncode == 0, r.stderr
    assert "caf\udce9.txt" in r.stdout  # printed as the bytes it is
    [run] = runs_json(home)
    assert run["status"] == "completed"
    assert "café.txt" in run["corpus"]  # display form: the byte read as Windows-1252
    assert os.fsencode(run["corpus_paths"][0]) == raw  # the name itself, exactly
    r = cli(home, "evaluate", "latest", folder)
    assert r.returncode == 0, r.stderr


# ------------------------------------------------------------------------------------------ moved folder

def test_moved_data_folder_still_suggests(trained, tmp_path):
    moved = tmp_path / "elsewhere" / "home"
    shutil.copytree(trained, moved)
    [(stored,)] = db_rows(moved, "SELECT model_path FROM runs")
    assert stored == "models/1.pt"  # relative to the data folder
    r = cli(moved, "suggest", "latest", "the cat sat on the ", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["suggestions"]


def test_old_absolute_model_path_still_reads_after_a_move(home_copy, tmp_path):
    con = sqlite3.connect(home_copy / "runs.db")
    with con:  # as an older version stored it: the absolute path in a folder that is gone
        con.execute("UPDATE runs SET model_path = ?", (str(tmp_path / "gone" / "models" / "1.pt"),))
    con.close()
    r = cli(home_copy, "suggest", "latest", "the cat sat on the ")
    assert r.returncode == 0, r.stderr


# ---------------------------------------------------------------------------------------- crafted model

@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_crafted_model_with_huge_vocabulary_refused_cheaply(home_copy):
    """A small file whose vocabulary list is far longer than its config allows: refused before the model is
    built (it used to allocate gigabytes), within 100 MB of memory growth and a second of loading."""
    import torch

    path = home_copy / "models" / "1.pt"
    payload = torch.load(path, weights_only=True)
    payload["vocab"] = payload["vocab"][:3] + [f"w{i}" for i in range(500_000)]
    payload["config"]["embed_dim"] = 256  # still within limits; building it for 500,003 words would take 512 MB
    torch.save(payload, path)
    assert path.stat().st_size < 10_000_000
    probe = f"""
        import time
        from gru_desktop.core.errors import ModelFileError
        from gru_desktop.core.modelfile import load_model
        import torch
        def status(key):
            return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith(key + ":"))
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")  # resets the peak (VmHWM) to the current resident size
        before = status("VmRSS")
        t0 = time.process_time()  # CPU time: the machine's load does not stretch it
        try:
            load_model({str(path)!r})
        except ModelFileError as exc:
            print("refused", exc)
        print("seconds", time.process_time() - t0)
        print("grew_mb", (status("VmHWM") - before) / 1024)
    """
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(probe)], cwd=REPO, env=_env(home_copy),
                       capture_output=True, text=True, timeout=120)
    out = dict(line.split(" ", 1) for line in r.stdout.splitlines())
    assert "the vocabulary has 500,003 words" in out["refused"], r.stdout + r.stderr
    assert float(out["grew_mb"]) < 100, out
    assert float(out["seconds"]) < 1.0, out
    assert_user_error(cli(home_copy, "suggest", "1", "the "), "vocabulary has 500,003 words")

