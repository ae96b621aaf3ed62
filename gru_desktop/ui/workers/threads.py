"""Background work for the window: QObject workers moved to QThreads (design §3).

A worker has no parent, is moved to its own QThread, and talks to the GUI only through signals carrying
plain data; widgets are never touched from the worker. The thread quits when the worker says `done`;
`BackgroundJobs` keeps both until the thread has finished, so nothing is deleted while it runs, and
nothing is left running at shutdown (`stop_all`).
"""
from __future__ import annotations

import os
import sys
import threading
import time
import traceback

from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal, Slot

EMIT_INTERVAL = 0.05  # at most ~20 progress signals per second (design §3)
REAP_MS = 5  # how soon to look again whether an ended worker's thread is really gone
# Worker threads run this much nicer than the GUI thread (Linux, where a nice value is per thread; threads
# they start, torch's OpenMP workers among them, inherit it). With two cores, training's threads and the
# GUI thread's repaints took turns: a chart repaint of ~9 ms idle took 15-30 ms at epoch ends.
WORKER_NICE = 5


def lower_thread_priority(step: int = WORKER_NICE) -> bool:
    """Make the calling thread `step` nicer (Linux only; elsewhere a nice value is per process). True if done."""
    if not sys.platform.startswith("linux"):
        return False
    tid = threading.get_native_id()
    try:
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + step))
    except OSError:
        return False
    return True


class Worker(QObject):
    """Base: `run()` calls `work()`; a UserError becomes `failed`, a bug becomes `crashed(traceback)`.

    Signals that the window tells apart by job carry the worker itself first: connect them to methods
    of a QObject living in the GUI thread (a lambda would run in the worker's thread: PySide6 queues
    only connections to QObject methods).
    """

    failed = Signal(object, str)  # (worker, message): a problem the user can fix (bad file, too little text)
    crashed = Signal(str)  # a bug: the formatted traceback, for the error handler
    ended = Signal(object)  # (worker): always, just before `done`
    done = Signal()  # always last: quits the thread

    def __init__(self):
        super().__init__()
        self.stop_event = threading.Event()

    def work(self):  # pragma: no cover - overridden
        raise NotImplementedError

    @Slot()
    def run(self):
        lower_thread_priority()  # the GUI thread first, when both want a core
        try:
            self.work()
        except Exception as exc:  # noqa: BLE001 - every error ends as a message or a crash report, never lost
            # A bad file or setting, a full disk, a read-only or damaged data folder: a message. Else a bug.
            from ...jobs.faults import user_message  # here, not at import: the window paints before storage loads

            message = user_message(exc, getattr(self, "home", None))
            if message is not None:
                self.failed.emit(self, message)
            else:
                self.crashed.emit(traceback.format_exc())
        finally:
            self.ended.emit(self)
            self.done.emit()


class FunctionWorker(Worker):
    """Run `fn(progress, should_stop)` off the GUI thread; `result(value)` when it returns.

    `progress(done, total)` may be called as often as the function likes; it is passed on at most
    every EMIT_INTERVAL seconds (and always at the end).
    """

    result = Signal(object, object)  # (worker, value)
    progress = Signal(object, float)  # (worker, share done 0..1)

    def __init__(self, fn):
        super().__init__()
        self._fn = fn
        self._last_emit = 0.0

    def _progress(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self._last_emit >= EMIT_INTERVAL or done >= total:
            self._last_emit = now
            self.progress.emit(self, done / total if total else 0.0)

    def work(self):
        value = self._fn(self._progress, self.stop_event.is_set)
        if not self.stop_event.is_set():
            self.result.emit(self, value)


def function_job(fn, *, result, failed, crashed=None, ended=None, progress=None, **attrs) -> FunctionWorker:
    """A FunctionWorker wired to GUI-thread methods; `attrs` become attributes that slots can check
    (e.g. which corpus or run the result belongs to)."""
    worker = FunctionWorker(fn)
    for name, value in attrs.items():
        setattr(worker, name, value)
    for signal, slot in ((worker.result, result), (worker.failed, failed), (worker.crashed, crashed),
                         (worker.ended, ended), (worker.progress, progress)):
        if slot is not None:
            signal.connect(slot)
    return worker


def read_job(home, read, *, result, failed, **kwargs) -> FunctionWorker:
    """A FunctionWorker that reads the data folder's database on a connection of its own (a connection belongs
    to its thread, design §3): `read(db)`'s value arrives as `result(worker, value)`."""

    def work(progress, should_stop):
        import storage

        _, db = storage.open_store(home, write=False)  # read-only folders and full disks too
        try:
            return read(db)
        finally:
            db.close()

    return function_job(work, result=result, failed=failed, **kwargs)


class BackgroundJobs(QObject):
    """Starts workers on their own threads and keeps them alive until their thread has finished."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._running: dict[QThread, Worker] = {}
        self.closed = False  # after shutdown(): start() refuses, so no thread outlives the window

    def start(self, worker: Worker) -> QThread | None:
        # Ownership matters in PySide6: an unparented QObject is deleted when its last Python reference
        # goes. The thread gets us as parent (C++ owns it; we delete it after it has ended); the worker
        # cannot have a parent (moveToThread), so we hold it until its thread has finished and let
        # Python delete it then, never while it may still run (that crashed in a worker thread).
        if self.closed:
            return None
        thread = QThread(self)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        # Direct: quit() is thread-safe, and a queued quit would wait for the GUI thread, which may be
        # blocked in stop_all() waiting for this very thread.
        worker.done.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        thread.finished.connect(self._forget)  # a slot of ours: queued to the GUI thread
        self._running[thread] = worker
        thread.start()
        return thread

    @Slot()
    def _forget(self) -> None:
        thread = self.sender()
        if thread in self._running:
            self._reap(thread)

    def _reap(self, thread: QThread) -> None:
        """Delete an ended thread and let its worker go. `finished` comes just before the thread really ends,
        and its last steps need the GIL: waiting for them here (thread.wait()) blocked the GUI thread for up to
        60 ms while the training thread held the GIL (bench --only journey, at the blend fit); look again in
        a few milliseconds instead."""
        if not thread.isFinished():
            QTimer.singleShot(REAP_MS, self, lambda: self._reap(thread))
            return
        if self._running.pop(thread, None) is not None:
            thread.deleteLater()

    @property
    def busy(self) -> bool:
        return bool(self._running)

    def wait_for(self, worker: Worker, timeout_ms: int = 10_000) -> bool:
        """Wait (blocking) for one worker's thread to end, without asking it to stop; True when it has."""
        for thread, w in list(self._running.items()):
            if w is worker:
                return thread.wait(timeout_ms)
        return True

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Refuse new work, stop what runs and wait for it; True when every thread has ended."""
        self.closed = True
        return self.stop_all(timeout_ms)

    def stop_all(self, timeout_ms: int = 10_000) -> bool:
        """Ask every worker to stop and wait for the threads; True when all have ended."""
        for worker in list(self._running.values()):
            worker.stop_event.set()
        ok = True
        for thread in list(self._running):
            ok = thread.wait(timeout_ms) and ok
        return ok
