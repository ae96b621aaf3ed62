"""Background workers (ui.threads): they run nicer than the GUI thread, so its repaints come first."""
from __future__ import annotations

import os
import sys
import threading

import pytest
from PySide6.QtCore import QObject

from gru_desktop.ui.workers import threads


def nice_of_this_thread() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


class Receiver(QObject):  # a GUI-thread QObject, so the worker's signal is queued to this thread
    def __init__(self):
        super().__init__()
        self.values: list = []

    def got(self, worker, value):
        self.values.append(value)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a nice value per thread is Linux's")
def test_a_worker_and_the_threads_it_starts_run_nicer_than_the_gui_thread(qtbot):
    def work(progress, should_stop):
        inner: list[int] = []
        t = threading.Thread(target=lambda: inner.append(nice_of_this_thread()))  # torch's OpenMP threads alike
        t.start()
        t.join()
        return nice_of_this_thread(), inner[0]

    receiver, jobs = Receiver(), threads.BackgroundJobs()
    gui = nice_of_this_thread()
    jobs.start(threads.function_job(work, result=receiver.got, failed=receiver.got))
    qtbot.waitUntil(lambda: bool(receiver.values), timeout=10_000)
    assert jobs.stop_all(5_000)
    worker_nice, started_nice = receiver.values[0]
    assert worker_nice == min(19, gui + threads.WORKER_NICE) and started_nice == worker_nice
    assert nice_of_this_thread() == gui  # the GUI thread itself is untouched


def test_elsewhere_nothing_is_changed(monkeypatch):
    monkeypatch.setattr(threads.sys, "platform", "darwin")
    assert threads.lower_thread_priority() is False
