"""The RunsStore (design §18): the window's writes wait in workers, never on the GUI thread. Another process
holds the database's write lock for 5 s while the user renames, stars and deletes runs and reorders the queue:
the event loop keeps ticking, and every change lands, in order, once the lock is released."""
from __future__ import annotations

import sqlite3
import subprocess
import sys
import time

from PySide6.QtCore import QElapsedTimer, QTimer
from PySide6.QtWidgets import QApplication

import storage
from gru_desktop.core.config import TrainConfig
from gru_desktop.jobs.queue import queue_configs
from ui_helpers import click

HOLD_S = 5
LATE_MS = 50  # design §18: a user action costs the GUI thread at most this much

HOLD_LOCK = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")  # the write lock, as a training process's commit or the CLI holds it
db.execute("UPDATE runs SET notes = notes WHERE id = -1")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
db.execute("COMMIT")
"""


def _runs_and_queue(home):
    db = storage.open_db(storage.db_path(home))
    ids = []
    for name in ("first", "second"):
        run = storage.create_run(db, name=name, config={}, corpus="c", corpus_sha256="x", vocab_size=10,
                                 epochs_planned=1)
        storage.finish_run(db, run, "completed")
        ids.append(run)
    items = queue_configs(db, [TrainConfig(hidden_size=8), TrainConfig(hidden_size=12)], [], names=["a", "b"])
    db.close()
    return ids, items


def test_writes_wait_in_workers_while_another_process_holds_the_lock(qtbot, make_window, home):
    import gru_desktop.jobs.runs  # noqa: F401  (torch) what a first delete loads: an import holds the GIL

    (keep, gone), (item_a, item_b) = _runs_and_queue(home)
    window = make_window()
    page, queue = window.runs_page, window.queue_view
    page.confirm = lambda text: True
    with qtbot.waitSignal(window.warmed_up, timeout=60_000):  # as the app: heavy imports done, pages started
        window.show()
    qtbot.waitUntil(lambda: not window.jobs.busy, timeout=120_000)  # and the training code's warm-up (GIL-heavy)
    qtbot.waitUntil(lambda: page.model.row_for(("run", gone)) is not None and queue.table.rowCount() == 2,
                    timeout=10_000)

    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(storage.db_path(home)), str(HOLD_S)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        clock, last, late = QElapsedTimer(), [0], []
        clock.start()

        def tick():  # only while the lock is held: after it, the pages redraw what landed (normal GUI work)
            now = clock.elapsed()
            if holder.poll() is None:
                late.append(now - last[0] - 10)
            last[0] = now

        timer = QTimer(interval=10)
        timer.timeout.connect(tick)
        timer.start()
        acted = time.monotonic()
        model = page.model
        row = model.row_for(("run", keep))
        assert model.setData(model.index(row, [c[1] for c in model_columns()].index("name")), "renamed")
        page.select_runs([keep])
        click(qtbot, window, "starRunButton")
        page.select_runs([gone])
        click(qtbot, window, "deleteRunButton")
        queue.table.selectRow(1)
        click(qtbot, window, "queueUpButton")
        qtbot.wait(1000)
        peek = sqlite3.connect(f"file:{storage.db_path(home)}?mode=ro", uri=True)  # a plain read: no lock needed
        names = dict(peek.execute("SELECT id, name FROM runs").fetchall())
        peek.close()
        assert names[keep] == "first" and gone in names  # nothing landed yet: the writes wait in workers
        assert holder.poll() is None, "the lock was released too early to show anything"
        while holder.poll() is None:
            qtbot.wait(50)
        held_for = time.monotonic() - acted
        qtbot.waitUntil(lambda: not window.store.busy, timeout=20_000)
        timer.stop()
    finally:
        if holder.poll() is None:
            holder.kill()
        holder.wait(10)
    assert held_for > HOLD_S - 1.5
    assert len(late) > 100 and max(late[1:]) <= LATE_MS, max(late[1:])  # ticking all along the 5 s
    db = storage.open_db(storage.db_path(home))
    run = storage.get_run(db, keep)
    assert (run["name"], run["starred"]) == ("renamed", True)
    assert storage.get_run(db, gone) is None
    assert [i["id"] for i in storage.queue.list_items(db)] == [item_b, item_a]
    qtbot.waitUntil(lambda: page.model.row_for(("run", gone)) is None, timeout=10_000)
    qtbot.waitUntil(lambda: [i["id"] for i in queue.items] == [item_b, item_a], timeout=10_000)
    assert QApplication.activeModalWidget() is None  # no message: nothing failed


def model_columns():
    from gru_desktop.ui.pages.runs_model import COLUMNS

    return COLUMNS
