"""The storing of what is learned as the user types (design §17): every write to the data folder's personal
counts goes to a worker with a connection of its own (design §3), never the GUI thread.

`LearningPanel` keeps the counts on the GUI thread (a learn is a few dict updates) and hands over what changed;
batches are written one at a time (`busy` while one is on its way); pausing and forgetting everything are
written as asked. `stored` after each write; `failed(message)` when one could not be done (a read-only folder,
a full disk): the panel says so.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from .threads import BackgroundJobs, FunctionWorker, function_job


def personal_store(home):
    """A writable connection to the data folder's database (in a worker)."""
    from ...jobs import runs

    return runs.open_store(home)


class LearnedStore(QObject):
    stored = Signal()  # a write reached the database
    failed = Signal(str)  # why a write could not be done

    def __init__(self, jobs: BackgroundJobs, home, parent: QObject | None = None):
        super().__init__(parent)
        self.jobs, self.home = jobs, home
        self.writer: FunctionWorker | None = None  # the batch being written (one at a time)

    @property
    def busy(self) -> bool:
        return self.writer is not None

    def write(self, changes, weight: dict | None, run_id: int | None) -> None:
        """Write a batch (`jobs.personal.snapshot`'s changes) and the run's weight of the personal part."""
        home = self.home

        def write(progress, should_stop):
            from ...jobs import personal

            _, db = personal_store(home)
            try:
                if changes:
                    personal.write(db, changes)
                if weight is not None and run_id is not None:
                    personal.save_weight(db, run_id, weight)
            finally:
                db.close()

        self.writer = function_job(write, result=self._written, failed=self._failed, ended=self._ended)
        self.jobs.start(self.writer)

    def set_paused(self, paused: bool) -> None:
        home = self.home

        def write(progress, should_stop):
            from ...jobs import personal

            _, db = personal_store(home)
            try:
                personal.set_paused(db, paused)
            finally:
                db.close()

        self.jobs.start(function_job(write, result=self._paused_written, failed=self._failed))

    def forget_all(self) -> None:
        """Every learned row goes, in one transaction."""
        home = self.home

        def write(progress, should_stop):
            from ...jobs import personal

            _, db = personal_store(home)
            try:
                personal.forget_all(db)
            finally:
                db.close()

        self.jobs.start(function_job(write, result=self._written, failed=self._failed))

    # Slots of this QObject, never lambdas: a worker's signal reaches them on the GUI thread.
    def _written(self, worker, _value) -> None:
        self.stored.emit()

    def _paused_written(self, worker, _value) -> None:
        pass  # the switch is shown at once; nothing to list again

    def _failed(self, worker, message: str) -> None:
        self.failed.emit(message)

    def _ended(self, worker) -> None:
        if worker is self.writer:
            self.writer = None
