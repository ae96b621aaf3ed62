"""m007 (recorded as m009 before it was renumbered): paused/queued statuses (table rebuilt without losing epochs), pause/resume bookkeeping, the queue."""
from __future__ import annotations

import os
import sqlite3

import pytest
from sqlite_utils import Database

import storage
from storage import queue
from storage.migrations import MIGRATIONS


def test_m007_keeps_runs_epochs_and_steps_of_an_older_database(tmp_path):
    path = tmp_path / "runs.db"
    old = Database(path)
    old.execute("PRAGMA foreign_keys=ON")
    MIGRATIONS.apply(old, stop_before="m007_resume_queue_monitor")
    old.execute("INSERT INTO runs (id, name, status, config, tags) VALUES (1, 'old', 'completed', '{}', '[\"a\"]')")
    old.execute("INSERT INTO runs (id, name, status, config, parent_run_id) VALUES (2, 'child', 'interrupted', '{}', 1)")
    old.execute("INSERT INTO epochs (run_id, epoch, val_loss) VALUES (1, 1, 2.5), (1, 2, 2.0)")
    old.execute("INSERT INTO steps (run_id, step, loss) VALUES (1, 1, 3.0)")
    old.conn.commit()
    old.close()
    db = storage.open_db(path)
    assert [r["epoch"] for r in storage.get_epochs(db, 1)] == [1, 2]
    assert len(storage.get_steps(db, 1)) == 1
    run = storage.get_run(db, 1)
    assert run["tags"] == ["a"] and run["epochs_done"] == 2
    assert storage.get_run(db, 2)["parent_run_id"] == 1
    db.execute("UPDATE runs SET status = 'paused' WHERE id = 2")  # allowed now
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("UPDATE runs SET status = 'sleeping' WHERE id = 2")
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    storage.delete_run(db, 1)  # foreign keys still cascade after the rebuild
    assert storage.get_epochs(db, 1) == []
    assert storage.get_run(db, 2)["parent_run_id"] is None


def test_system_monitor_columns_are_stored(db, make_run):
    run_id = make_run()
    storage.add_epoch(db, run_id, {"epoch": 1, "val_loss": 1.0, "cpu_percent": 180.5, "peak_rss_mb": 412.0,
                                   "threads": 9, "device": "cpu"})
    storage.add_epoch(db, run_id, {"epoch": 2, "val_loss": 0.9, "cpu_percent": 90.5, "peak_rss_mb": 500.0,
                                   "threads": 9, "device": "cpu"})
    e = storage.get_epochs(db, run_id)[0]
    assert (e["cpu_percent"], e["peak_rss_mb"], e["threads"], e["device"]) == (180.5, 412.0, 9, "cpu")
    run = storage.get_run(db, run_id)
    assert run["cpu_percent"] == pytest.approx(135.5) and run["peak_rss_mb"] == 500.0


def test_pause_and_claim_for_resume(db, make_run):
    run_id = make_run()
    storage.request_pause(db, run_id)
    assert storage.pause_requested(db, run_id)
    storage.pause_run(db, run_id, "paused at epoch 2, batch 7")
    run = storage.get_run(db, run_id)
    assert run["status"] == "paused" and not run["pause_requested"]
    with pytest.raises(storage.RunNotRunning):
        storage.request_pause(db, run_id)  # not training
    storage.mark_interrupted(db)
    assert storage.get_run(db, run_id)["status"] == "paused"  # a paused run is not an orphan
    storage.claim_for_resume(db, run_id)
    run = storage.get_run(db, run_id)
    assert run["status"] == "running" and run["pid"] == os.getpid() and run["finished_at"] is None
    with pytest.raises(storage.RunIsRunning, match="already running"):
        storage.claim_for_resume(db, run_id)  # a second resumer: refused (this process is alive)
    storage.finish_run(db, run_id, "completed")
    with pytest.raises(storage.RunNotRunning, match="only paused or interrupted"):
        storage.claim_for_resume(db, run_id)


def test_claim_takes_over_a_run_whose_process_died(db, make_run, dead_pid):
    run_id = make_run()
    db.execute("UPDATE runs SET pid = ? WHERE id = ?", [dead_pid, run_id])
    storage.claim_for_resume(db, run_id)  # 'running' but nobody behind it: taken over
    assert storage.get_run(db, run_id)["pid"] == os.getpid()


def _items(n, **extra):
    return [{"config": {"hidden_size": 8 * (k + 1)}, "corpus_paths": ["/x.txt"], **extra} for k in range(n)]


def test_queue_add_list_move_remove(db):
    ids = queue.add_items(db, _items(3))
    sweep_ids = queue.add_items(db, _items(2), sweep="grid")
    assert [i["id"] for i in queue.list_items(db)] == ids + sweep_ids
    assert queue.get_item(db, sweep_ids[0])["sweep"] == "grid"
    queue.move_item(db, sweep_ids[1], -10)
    assert [i["id"] for i in queue.list_items(db)][0] == sweep_ids[1]
    queue.move_item(db, ids[0], 1)
    assert [i["id"] for i in queue.list_items(db)][1:3] == [ids[1], ids[0]]
    queue.remove_item(db, ids[2])
    assert ids[2] not in [i["id"] for i in queue.list_items(db)]
    with pytest.raises(queue.QueueItemNotFound):
        queue.remove_item(db, 999)


def test_queue_survives_a_restart_and_hands_out_the_orphan_first(tmp_path, dead_pid):
    path = tmp_path / "runs.db"
    db = storage.open_db(path)
    ids = queue.add_items(db, _items(3))
    first = queue.claim_next(db)
    assert first["id"] == ids[0] and not first["resuming"]
    with pytest.raises(queue.QueueItemBusy):
        queue.remove_item(db, ids[0])
    db.execute("UPDATE queue SET pid = ? WHERE id = ?", [dead_pid, ids[0]])  # the worker was killed
    db.close()
    db = storage.open_db(path)  # "the app starts again"
    assert [i["id"] for i in queue.orphaned_items(db)] == [ids[0]]
    again = queue.claim_next(db)
    assert again["id"] == ids[0] and again["resuming"] and again["config"] == {"hidden_size": 8}
    queue.finish_item(db, ids[0], "done", "completed")
    assert queue.claim_next(db)["id"] == ids[1]
    queue.finish_item(db, ids[1], "queued", "paused")  # a paused run goes back to the queue's head
    assert queue.claim_next(db)["id"] == ids[1]
    assert [i["state"] for i in queue.list_items(db, finished=True)] == ["done", "running", "queued"]
