"""core.atomic never touches the process umask (a worker thread writing a file must not change the mode of
files other threads create meanwhile), and every file it writes gets the permissions the umask gives a new
file (0644 under the usual 022): exports, model files, checkpoints alike; `perms=0o600` for a private one."""
from __future__ import annotations

import os
import sys
import threading

import pytest

from gru_desktop.core import atomic

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield 0o022
    os.umask(old)


def _mode(path) -> int:
    return os.stat(path).st_mode & 0o777


def test_writing_never_changes_the_umask(tmp_path, monkeypatch, umask_022):
    calls = []
    real = os.umask
    monkeypatch.setattr(os, "umask", lambda mask: calls.append(mask) or real(mask))
    with atomic.atomic_write(tmp_path / "a.csv", "w") as fh:
        fh.write("x")
    atomic.write_atomic(tmp_path / "m.pt", b"model")
    atomic.commit(atomic.stage(tmp_path / "c.pt", b"checkpoint"), tmp_path / "c.pt")
    assert calls == []


def test_exports_and_model_files_get_the_umasks_permissions(tmp_path, umask_022):
    with atomic.atomic_write(tmp_path / "export.csv", "w") as fh:
        fh.write("a,b\n")
    atomic.write_atomic(tmp_path / "1.pt", b"model")  # a model file: the same as an export, not private
    with atomic.atomic_write(tmp_path / "token", "w", perms=0o600) as fh:
        fh.write("secret")
    assert (_mode(tmp_path / "export.csv"), _mode(tmp_path / "1.pt"), _mode(tmp_path / "token")) == (0o644, 0o644, 0o600)
    os.umask(0o077)
    atomic.write_atomic(tmp_path / "2.pt", b"model")  # a stricter umask is honoured
    assert _mode(tmp_path / "2.pt") == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["1.pt", "2.pt", "export.csv", "token"]  # no temporary left


def test_a_file_another_thread_creates_during_a_write_keeps_the_umasks_permissions(tmp_path, monkeypatch, umask_022):
    """The worst schedule, forced: whenever the writer changes the umask, another thread creates its file
    right then (before the fix, at umask 0: the file came out 0o666, world-writable). When the writer never
    touches the umask, the other thread creates its file as the write ends."""
    real = os.umask
    go, created = threading.Event(), threading.Event()

    def umask_then_let_the_other_thread_in(mask: int) -> int:
        old = real(mask)
        go.set()
        created.wait(5)
        return old

    def create() -> None:
        go.wait(5)
        with open(tmp_path / "other.txt", "w"):
            pass
        created.set()

    monkeypatch.setattr(os, "umask", umask_then_let_the_other_thread_in)
    thread = threading.Thread(target=create)
    thread.start()
    try:
        with atomic.atomic_write(tmp_path / "export.csv", "w") as fh:
            fh.write("x")
    finally:
        go.set()
        thread.join()
    assert (_mode(tmp_path / "other.txt"), _mode(tmp_path / "export.csv")) == (0o644, 0o644)


def test_create_beside_gives_a_new_file_with_the_umasks_permissions(tmp_path, umask_022):
    fd, tmp = atomic.create_beside(tmp_path / "table.sqlite")
    os.close(fd)
    assert tmp.parent == tmp_path and tmp.name.startswith("table.sqlite.") and _mode(tmp) == 0o644
    atomic.commit(tmp, tmp_path / "table.sqlite")
    assert [p.name for p in tmp_path.iterdir()] == ["table.sqlite"]
