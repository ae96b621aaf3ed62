"""Python's cycle collector runs on the GUI thread only (ui.gc_guard): garbage holding Qt objects that a
worker thread's allocations used to collect there froze the window for good (~QObject off the GUI thread)."""
from __future__ import annotations

import gc
import threading

from gru_desktop.ui.window import gc_guard


class Cycle:
    """A reference cycle that notes which thread collected it."""

    def __init__(self, seen: list[bool]):
        self.me, self.seen = self, seen

    def __del__(self):
        self.seen.append(threading.current_thread() is threading.main_thread())


def test_cycles_dropped_by_a_worker_are_collected_on_the_gui_thread(qtbot, make_window):
    window = make_window()
    assert window.collector is gc_guard.install()  # one per process
    window.collector.freeze_startup()
    assert not gc.isenabled()
    seen: list[bool] = []
    alive: list[list] = []  # what the worker made and still holds when it ends: generation 0 stays full

    def work():  # allocates far past generation 0's threshold while its cycles become garbage
        for _ in range(50):
            Cycle(seen)
            alive.append([[] for _ in range(2 * gc.get_threshold()[0])])

    worker = threading.Thread(target=work)
    worker.start()
    worker.join()
    assert seen == []  # nothing collected on the worker
    qtbot.waitUntil(lambda: len(seen) == 50, timeout=5 * gc_guard.CHECK_MS + 5_000)
    assert all(seen)
    alive.clear()


def test_nothing_is_collected_until_the_start_up_imports_are_frozen(qtbot, make_window, monkeypatch):
    collector = make_window().collector
    monkeypatch.setattr(collector, "paused_until", float("inf"))
    junk = [[] for _ in range(2 * gc.get_threshold()[0])]
    assert collector.check() == -1 and gc.get_count()[0] > gc.get_threshold()[0]
    collector.freeze_startup()
    assert collector.check() >= 0 and gc.get_count()[0] < gc.get_threshold()[0]
    assert collector.freeze_startup() is False  # once per process
    del junk
