"""Pause/Resume in the window, Resume on the Runs page (and its refusal), Add to queue, the Sweep dialog,
the queue worked in the background and offered again after a restart; the system-monitor line."""
from __future__ import annotations

import threading
import time
from pathlib import Path

from PySide6.QtWidgets import QLabel, QMessageBox, QPushButton

import storage
from ui_helpers import QUICK, click, load, on_next_worker, run_result, set_spins


def _db(home):
    return storage.open_db(storage.db_path(home))


def _pause_a_run(qtbot, window, corpus_file):
    load(qtbot, window, [corpus_file])
    set_spins(window, {**QUICK, "epochsSpin": 10_000})
    steps, epochs = [], []
    on_next_worker(window, steps=steps.extend, epoch=epochs.append)
    click(qtbot, window, "trainButton")
    qtbot.waitUntil(lambda: len(epochs) >= 1, timeout=60_000)
    with qtbot.waitSignal(window.training_finished, timeout=20_000) as finished:
        click(qtbot, window, "pauseButton")
    return run_result(window, finished), steps, epochs


def test_pause_then_resume_continues_the_same_run(qtbot, window, corpus_file, home):
    result, steps, epochs = _pause_a_run(qtbot, window, corpus_file)
    assert result.status == "paused", result.message
    qtbot.waitUntil(lambda: not window.jobs.busy, timeout=10_000)
    run = storage.get_run(_db(home), result.run_id)
    assert run["status"] == "paused" and Path(run["checkpoint_path"]).is_file()
    pause = window.findChild(QPushButton, "pauseButton")
    assert pause.text() == "Resume" and pause.isEnabled()
    assert window.controls.progress_bar.format().startswith("paused at epoch ")
    assert window.findChild(QLabel, "systemMonitor").text().startswith("epoch ")  # CPU · peak · threads
    e = storage.get_epochs(_db(home), result.run_id)[0]
    assert e["cpu_percent"] is not None and e["peak_rss_mb"] > 0 and e["threads"] >= 1 and e["device"] == "cpu"

    done_before = len(storage.get_epochs(_db(home), result.run_id))
    resumed_steps, started = [], []
    on_next_worker(window, run_started=started.append, steps=resumed_steps.extend)
    click(qtbot, window, "pauseButton")  # now: Resume
    qtbot.waitUntil(lambda: any(s.step > steps[-1].step for s in resumed_steps), timeout=60_000)
    assert started and started[0].run_id == result.run_id and started[0].resumed
    # the chart continued from the recorded history: the first steps it got are the old ones
    assert resumed_steps[0].step == 1
    assert window.training_view.table.table_model.rowCount() >= done_before
    with qtbot.waitSignal(window.training_finished, timeout=20_000) as finished:
        click(qtbot, window, "cancelButton")
    assert run_result(window, finished).run_id == result.run_id
    assert len(storage.list_runs(_db(home))) == 1  # the same run, not a new one


def test_runs_page_resume_and_a_refused_resume_offers_a_new_run(qtbot, make_window, corpus_file, home):
    window = make_window()
    result, _, _ = _pause_a_run(qtbot, window, corpus_file)
    qtbot.waitUntil(lambda: not window.jobs.busy, timeout=10_000)
    window.close()
    window = make_window()  # a paused run survives a restart and is listed with Resume
    window.runs_page.start()
    page = window.runs_page
    qtbot.waitUntil(lambda: page.proxy.rowCount() > 0, timeout=10_000)
    page.table.selectRow(0)
    assert page.selected_runs()[0]["status"] == "paused"
    assert page.buttons["resume"].isEnabled()
    Path(storage.get_run(_db(home), result.run_id)["checkpoint_path"]).write_bytes(b"damaged")
    # The refused job's thread is held up between the refusal and its end, as a busy machine did: the offer
    # shown at the refusal was clicked while that job still ran, and the new run was dropped (CI, once).
    held = []
    on_next_worker(window, resume_refused=lambda *_: held.append(threading.current_thread()) or time.sleep(0.2))
    page.buttons["resume"].click()
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "resumeRefusedBox") is not None, timeout=60_000)
    assert held and held[0] is not threading.main_thread()  # it held up the worker's thread, not the GUI's
    box = window.findChild(QMessageBox, "resumeRefusedBox")
    assert "cannot be resumed" in box.text() and "damaged" in box.text()
    assert storage.get_run(_db(home), result.run_id)["status"] == "paused"  # nothing changed
    page.more_epochs.setValue(1)
    with qtbot.waitSignal(window.training_finished, timeout=60_000) as finished:
        box.findChild(QPushButton, "continueAsNewRunButton").click()
    child = storage.get_run(_db(home), run_result(window, finished).run_id)
    assert child["parent_run_id"] == result.run_id and child["status"] == "completed"


def test_sweep_dialog_queues_the_grid_and_refuses_an_impossible_value(qtbot, window, corpus_file, home):
    load(qtbot, window, [corpus_file])
    view = window.queue_view
    view.open_sweep()
    d = view.sweep_dialog
    d.name_edit.setText("grid-a")
    d.rows[0][0].setCurrentText("hidden_size")
    d.rows[0][1].setText("8, 0")
    ok = d.buttons.buttons()[0]
    assert not ok.isEnabled() and "hidden_size" in d.preview.text() and "not 0" in d.preview.text()
    d.rows[0][1].setText("8, 16")
    d.rows[1][0].setCurrentText("lr")
    d.rows[1][1].setText("0.01, 0.02")
    assert ok.isEnabled() and d.preview.text().startswith("4 runs")
    d._try_accept()
    qtbot.waitUntil(lambda: view.table.rowCount() == 4, timeout=10_000)  # stored in the background, then shown
    items = storage.queue.list_items(_db(home))
    assert len(items) == 4 and {i["sweep"] for i in items} == {"grid-a"}
    assert sorted((i["config"]["hidden_size"], i["config"]["lr"]) for i in items) == [
        (8, 0.01), (8, 0.02), (16, 0.01), (16, 0.02)]
    assert items[0]["corpus_paths"] == [str(corpus_file)]


def test_add_to_queue_and_run_it_in_the_background(qtbot, window, corpus_file, home):
    load(qtbot, window, [corpus_file])
    set_spins(window, {**QUICK, "epochsSpin": 1})
    click(qtbot, window, "addToQueueButton")
    set_spins(window, {"hiddenSizeSpin": 12})
    click(qtbot, window, "addToQueueButton")
    view = window.queue_view
    qtbot.waitUntil(lambda: view.table.rowCount() == 2, timeout=10_000)  # stored in the background, then shown
    finished = []
    window.queue_view.start()
    on_next_worker(window, run_finished=finished.append)
    click(qtbot, window, "runQueueButton")
    qtbot.waitUntil(lambda: not window.trainer.active, timeout=120_000)
    assert [r.status for r in finished] == ["completed", "completed"]
    items = storage.queue.list_items(_db(home), finished=True)
    assert [i["state"] for i in items] == ["done", "done"] and all(i["run_id"] for i in items)
    assert [storage.get_run(_db(home), i["run_id"])["config"]["hidden_size"] for i in items] == [16, 12]


def test_a_queue_paused_at_close_is_offered_again_at_start(qtbot, make_window, corpus_file, home):
    window = make_window()
    load(qtbot, window, [corpus_file])
    set_spins(window, {**QUICK, "epochsSpin": 10_000})
    click(qtbot, window, "addToQueueButton")
    qtbot.waitUntil(lambda: window.queue_view.table.rowCount() == 1, timeout=10_000)
    epochs = []
    on_next_worker(window, epoch=epochs.append)
    click(qtbot, window, "runQueueButton")
    qtbot.waitUntil(lambda: len(epochs) >= 1, timeout=60_000)
    window.close()  # the queue's run is paused, not cancelled
    item = storage.queue.list_items(_db(home))[0]
    assert item["state"] == "queued" and storage.get_run(_db(home), item["run_id"])["status"] == "paused"
    asked = []
    second = make_window()
    second.confirm_resume_queue = lambda text: asked.append(text) or False
    second.startup.pages_started.emit()  # as at the start-up, once the pages have started
    qtbot.waitUntil(lambda: bool(asked), timeout=10_000)  # the queue is read in a worker
    assert asked and f"run {item['run_id']} (paused)" in asked[0]
