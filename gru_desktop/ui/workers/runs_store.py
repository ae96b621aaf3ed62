"""`RunsStore`: the window's one access to the data folder's database (design §18).

It lives on the GUI thread and never touches SQLite there: reads run in workers, each on a connection of its
own (design §3); writes run in workers too, one after another in the order asked (a rename then a delete
lands as a rename then a delete), each on its own connection, waiting there — not on the GUI thread — while
another process (a training run, the CLI) holds the write lock. Every write ends with `runs_changed(ids)` or
`queue_changed()`; the pages subscribe and read again themselves (Anki's `operation_did_execute`). Changes
made by other connections — a training thread, the CLI, another window — are seen by a watcher thread that
looks at `PRAGMA data_version` twice a second, so nothing polls on the GUI thread.
"""
from __future__ import annotations

import sqlite3
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Signal

from .threads import BackgroundJobs, FunctionWorker, Worker, function_job, read_job

WATCH_S = 0.5  # how often the watcher looks for commits by other connections
LOCKED_RETRY_S = 300  # a write waits this long at most for another process's write lock (then: a message)


@dataclass
class Write:
    title: str  # what the user did, for a message box if it fails ("Cannot rename the run")
    fn: Callable[[Any], Any]  # fn(db) -> value, in a worker, on a connection of its own
    ids: list[int] = field(default_factory=list)  # the runs it changes ([] = none)
    queue: bool = False  # it changes the queue
    done: Callable[[Any], None] | None = None  # done(value) on the GUI thread once it has landed


class DataWatcher(Worker):
    """Emits `changed` whenever another connection has committed (a training thread, the CLI, a write of ours)."""

    changed = Signal()

    def __init__(self, home):
        super().__init__()
        self.home = home

    def work(self):
        import storage

        _, db = storage.open_store(self.home, write=False)
        try:
            last = db.execute("PRAGMA data_version").fetchone()[0]
            while not self.stop_event.wait(WATCH_S):
                version = db.execute("PRAGMA data_version").fetchone()[0]
                if version != last:
                    last = version
                    self.changed.emit()
        finally:
            db.close()


def _write_job(home, fn: Callable[[Any], Any]) -> Callable[..., Any]:
    """The worker's function for one write: its own connection; a database locked by another process for
    longer than the busy timeout is waited for again (the GUI thread goes on meanwhile)."""

    def work(progress, should_stop):
        import storage

        deadline = time.monotonic() + LOCKED_RETRY_S
        _, db = storage.open_store(home)
        try:
            while True:
                try:
                    return fn(db)
                except sqlite3.OperationalError as exc:
                    if "locked" not in str(exc) or should_stop() or time.monotonic() > deadline:
                        raise
        finally:
            db.close()

    return work


class RunsStore(QObject):
    runs_changed = Signal(object)  # list[int]: these runs changed; None: anything may have (another connection)
    queue_changed = Signal()
    problem = Signal(str, str)  # (title, message): a write that could not be done
    crashed = Signal(str)  # a bug's traceback

    def __init__(self, jobs: BackgroundJobs, home, parent: QObject | None = None):
        super().__init__(parent)
        self.jobs, self.home = jobs, home
        self.watchers = BackgroundJobs(self)  # the watcher only: `jobs.busy` still means "work in progress"
        self.pending: deque[Write] = deque()  # writes not yet landed, in order; the first one is running
        self.writer: FunctionWorker | None = None
        # What changed while writes were pending, told once they have all landed (a refresh in between would
        # show a rename's row without the star the user clicked next): run ids, None = anything; the queue.
        self.changed_runs: set[int] | None = set()
        self.changed_queue = False
        self.changed_any = False
        self.watcher: DataWatcher | None = None
        self.landed = False  # the running write succeeded (set by _landed, read by _ended)

    def start(self) -> None:
        """Watch for other connections' commits (once the window is up: storage loads after the first paint).
        Again: nothing (one watcher)."""
        if self.watcher is not None:
            return
        watcher = self.watcher = DataWatcher(self.home)
        watcher.changed.connect(self._changed_elsewhere)
        watcher.failed.connect(lambda *_: None)  # an unreadable folder: the pages say so when they read
        watcher.crashed.connect(self.crashed)
        self.watchers.start(watcher)

    def close(self) -> None:
        self.watchers.shutdown()

    @property
    def busy(self) -> bool:
        return bool(self.pending)

    def _changed_elsewhere(self) -> None:
        self._note(None, True)

    def _note(self, ids: list[int] | None, queue: bool) -> None:
        """Something changed: tell the pages now, or once the pending writes have all landed."""
        if ids is None:
            self.changed_runs = None
        elif self.changed_runs is not None:
            self.changed_runs.update(ids)
        self.changed_any = self.changed_any or ids is None or bool(ids)
        self.changed_queue = self.changed_queue or queue
        if self.pending:
            return
        runs, queue_too, any_runs = self.changed_runs, self.changed_queue, self.changed_any
        self.changed_runs, self.changed_queue, self.changed_any = set(), False, False
        if any_runs:
            self.runs_changed.emit(None if runs is None else sorted(runs))
        if queue_too:
            self.queue_changed.emit()

    # --- reads ----------------------------------------------------------------------------------------------
    def read(self, fn: Callable[[Any], Any], result, failed, **attrs) -> FunctionWorker:
        """`fn(db)` in a worker on a read-only connection; `result(worker, value)` / `failed(worker, message)`."""
        worker = read_job(self.home, fn, result=result, failed=failed, crashed=self.crashed, **attrs)
        self.jobs.start(worker)
        return worker

    # --- writes ---------------------------------------------------------------------------------------------
    def write(self, title: str, fn: Callable[[Any], Any], ids: Iterable[int] = (), queue: bool = False,
              done: Callable[[Any], None] | None = None) -> None:
        """Queue a write: `fn(db)` in a worker after the writes asked before it."""
        self.pending.append(Write(title, fn, list(ids), queue, done))
        if self.writer is None:
            self._next()

    def _next(self) -> None:
        if not self.pending or self.jobs.closed:
            return
        w = self.pending[0]
        self.writer = function_job(_write_job(self.home, w.fn), result=self._landed, failed=self._failed,
                                   crashed=self.crashed, ended=self._ended, write=w)
        self.jobs.start(self.writer)

    def _landed(self, worker, value) -> None:
        w: Write = worker.write
        if w.done is not None:
            w.done(value)
        self.landed = True

    def _failed(self, worker, message: str) -> None:
        w: Write = worker.write
        self.problem.emit(w.title, message)
        self.landed = False  # show what is stored, not what was hoped for

    def _ended(self, worker) -> None:
        w: Write = worker.write
        if self.pending and self.pending[0] is w:
            self.pending.popleft()
        self.writer = None
        self._note(w.ids if (self.landed and w.ids) else (None if not self.landed else []), w.queue or not self.landed)
        self.landed = False
        self._next()

    # --- the writes the pages make ------------------------------------------------------------------------
    def update_run(self, run_id: int, **fields) -> None:
        """Rename, notes, tags, star."""
        import storage

        self.write("Cannot change the run", lambda db: storage.update_run(db, run_id, **fields), ids=[run_id])

    def delete_runs(self, ids: list[int], done: Callable[[tuple[list[int], list[int]]], None]) -> None:
        """Delete runs with their files; `done((deleted ids, refused ids))` — a running run is refused."""

        def delete(db) -> tuple[list[int], list[int]]:
            import storage

            from ...jobs import runs as jobs

            deleted, refused = [], []
            for run_id in ids:
                try:
                    jobs.delete_run(db, run_id)
                    deleted.append(run_id)
                except storage.RunIsRunning:
                    refused.append(run_id)
            return deleted, refused

        self.write("Cannot delete the runs", delete, ids=ids, done=done)

    def queue_write(self, title: str, fn: Callable[[Any], Any], done: Callable[[Any], None] | None = None) -> None:
        self.write(title, fn, queue=True, done=done)
