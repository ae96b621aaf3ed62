import os
import socket
import sys

import pytest

from storage import get_run, is_alive, mark_interrupted
from storage.runs import INTERRUPTED_ERROR, finish_run, process_start_marker, set_best

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc")


def _me(**overrides) -> dict:
    run = {"pid": os.getpid(), "host": socket.gethostname(),
           "pid_started": process_start_marker(os.getpid())}
    run.update(overrides)
    return run


@linux_only
def test_process_start_marker_of_this_process():
    marker = process_start_marker(os.getpid())
    assert marker is not None and marker.isdigit()
    assert process_start_marker(os.getpid()) == marker


def test_process_start_marker_of_dead_process_is_none(dead_pid):
    assert process_start_marker(dead_pid) is None


def test_this_process_is_alive():
    assert is_alive(_me())


def test_unknown_start_marker_still_counts_as_alive():
    assert is_alive(_me(pid_started=None))


def test_mismatched_start_marker_is_not_alive():
    # Same pid, different start time: the pid was reused by another process.
    assert not is_alive(_me(pid_started="not-the-original-start"))


def test_dead_pid_is_not_alive(dead_pid):
    assert not is_alive(_me(pid=dead_pid, pid_started=None))


def test_other_host_is_assumed_alive(dead_pid):
    assert is_alive(_me(host=socket.gethostname() + "-elsewhere", pid=dead_pid))


def test_missing_pid_is_not_alive():
    assert not is_alive(_me(pid=None))


def test_mark_interrupted_marks_only_dead_runs(db, make_run, dead_pid):
    orphan = make_run()
    live = make_run()
    set_best(db, orphan, epoch=1, val_loss=1.0, val_accuracy=0.5, val_top3=0.8,
             val_perplexity=2.7, model_path="/models/orphan.pt")
    db.execute("INSERT INTO epochs (run_id, epoch, val_loss) VALUES (?, 1, 1.0)", [orphan])
    db.execute("UPDATE runs SET pid = ? WHERE id = ?", [dead_pid, orphan])

    assert mark_interrupted(db) == [orphan]

    marked = get_run(db, orphan)
    assert marked["status"] == "interrupted"
    assert marked["error"] == INTERRUPTED_ERROR
    assert marked["finished_at"] is not None
    assert marked["epochs_done"] == 1
    assert marked["model_path"] == "/models/orphan.pt"
    assert get_run(db, live)["status"] == "running"
    assert mark_interrupted(db) == []


def test_mark_interrupted_leaves_finished_runs_alone(db, make_run, dead_pid):
    run_id = make_run()
    finish_run(db, run_id, "completed")
    db.execute("UPDATE runs SET pid = ? WHERE id = ?", [dead_pid, run_id])
    assert mark_interrupted(db) == []
    assert get_run(db, run_id)["status"] == "completed"
