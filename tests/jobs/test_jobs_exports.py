"""jobs.exports directly: the CSV of a run's epochs, and the one check of an export's target
(`check_target`: what is particular to the file, then storage.check_writable's probe of its folder)."""
from __future__ import annotations

import csv
import errno
import os
import subprocess
import sys
import tempfile

import pytest

import storage
from gru_desktop.core.errors import UserError
from gru_desktop.jobs import exports


@pytest.fixture
def db(trained):
    database = storage.open_db(storage.db_path(trained.home))
    yield database
    database.close()


def test_epochs_csv_writes_every_recorded_epoch(trained, db, tmp_path):
    out = tmp_path / "epochs.csv"
    assert exports.epochs_csv(db, [trained.run_id], out) == 2
    with open(out, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    epochs = storage.get_epochs(db, trained.run_id)
    assert [int(r["epoch"]) for r in rows] == [e["epoch"] for e in epochs]
    assert float(rows[0]["val_loss"]) == epochs[0]["val_loss"]  # full precision
    assert rows[0]["run_name"] == "tiny" and exports.run_label(storage.get_run(db, trained.run_id)) == f"{trained.run_id}: tiny"
    with pytest.raises(storage.RunNotFound):
        exports.epochs_csv(db, [999], tmp_path / "none.csv")
    assert not (tmp_path / "none.csv").exists()


def test_check_target_names_what_is_wrong(tmp_path):
    assert exports.check_target(tmp_path / "a.csv") == tmp_path / "a.csv"
    with pytest.raises(UserError, match="it is a folder"):
        exports.check_target(tmp_path)
    with pytest.raises(UserError, match="does not exist"):
        exports.check_target(tmp_path / "missing" / "a.csv")
    with pytest.raises(UserError, match="unknown model format"):
        exports.export_model(None, 1, tmp_path / "m.x", "zip")


def test_check_target_probes_the_folder(tmp_path, monkeypatch):
    """A folder whose permission bits allow writing but where no file can be created (no free inodes, a network
    mount refusing root): the probe finds it before anything is read or written (os.access did not)."""
    def refused(*_a, **_k):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path))

    monkeypatch.setattr(tempfile, "mkstemp", refused)
    assert os.access(tmp_path, os.W_OK)
    with pytest.raises(UserError, match=r"cannot write .*a\.csv: no space left on the disk"):
        exports.check_target(tmp_path / "a.csv")


@pytest.mark.skipif(not sys.platform.startswith("linux") or os.geteuid() != 0, reason="mounts a tmpfs (root, Linux)")
def test_check_target_refuses_a_disk_without_free_inodes(tmp_path):
    """The same for real: a tmpfs with one inode (its own root folder) takes no new file."""
    full = tmp_path / "full"
    full.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,nr_inodes=1", "tmpfs", str(full)],
                      capture_output=True).returncode != 0:
        pytest.skip("mount refused here")
    try:
        assert os.access(full, os.W_OK)  # what the weaker check looked at
        with pytest.raises(UserError, match="no space left"):
            exports.check_target(full / "a.csv")
    finally:
        subprocess.run(["umount", str(full)], check=True)
