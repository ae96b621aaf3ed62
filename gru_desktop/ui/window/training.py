"""The `TrainingController`: the one training job the window runs at a time — a new run, a continued one, a
resumed one, or the queue — its worker, its run id, its pause state and its progress. The worker's signals
(run started, steps, epochs, what happens after the last epoch, run finished) go to the Training page and the
left panel's controls; what the rest of the window needs it emits as signals of its own."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QMessageBox

from ...core.config import TrainConfig
from ...core.progress import Progress, format_seconds
from ..pages.training_view import TrainingView
from ..widgets.settings_form import SettingsForm
from ..workers.runs_store import RunsStore
from ..workers.threads import BackgroundJobs
from ..workers.train_worker import TrainWorker
from .corpus import CorpusController
from .messages import Messages
from .training_controls import TrainingControls


class TrainingController(QObject):
    changed = Signal()  # training started or ended, or is stopping: update the buttons
    status = Signal(str, int)  # (message, ms; 0 = until the next one) for the status bar
    device = Signal(str)  # "training on cpu" while training, "" after
    speed = Signal(str)  # "43,000 tokens/s" while training, "" after
    crashed = Signal(str)  # a bug's traceback
    run_finished = Signal(object)  # RunFinished: a run ended (the queue ends several)
    finished = Signal(object)  # the job ended: the last RunFinished, or None when it failed before a run existed
    queue_working = Signal(bool)  # the queue started or stopped being worked
    queue_changed = Signal()  # the worker changed the queue's items
    continue_asked = Signal(int)  # the user chose to continue a run that cannot be resumed as a new run
    starting = Signal(object)  # a new TrainWorker, before its thread starts: connect to it here and miss nothing

    def __init__(self, jobs: BackgroundJobs, home, form: SettingsForm, data: CorpusController, view: TrainingView,
                 controls: TrainingControls, messages: Messages, parent: QObject | None = None):
        super().__init__(parent)  # the window: nothing here outlives it
        self.jobs, self.home, self.form, self.data = jobs, home, form, data
        self.view, self.controls, self.messages = view, controls, messages
        self.worker: TrainWorker | None = None
        self.run_id: int | None = None  # the run being trained (the queue's current one)
        self.paused_run_id: int | None = None  # the run shown is paused: Pause says Resume
        self.last_result = None  # the last RunFinished of this job
        # (run id, why) of a resume refused with "continue it as a new run" offered: the offer is shown when
        # the refused job has ended, since only then can its button start the new job.
        self.refusal: tuple[int, str] | None = None
        self.progress: Progress | None = None
        controls.train_button.clicked.connect(lambda: self.start())  # not `checked` as continue_from
        controls.cancel_button.clicked.connect(self.cancel)
        controls.pause_button.clicked.connect(self.pause_or_resume)

    @property
    def active(self) -> bool:
        return self.worker is not None

    @property
    def stopping(self) -> bool:
        return self.worker is not None and (self.worker.stop_event.is_set() or self.worker.pause_event.is_set())

    @property
    def pausable(self) -> bool:
        return self.worker is not None and self.worker.pausable

    def start(self, continue_from: int | None = None, epochs: int | None = None) -> None:
        """Train a new run with the form's settings on the loaded corpus, or continue run `continue_from`'s
        model for `epochs` more epochs on its own text (a new run with it as parent)."""
        if self.active or (continue_from is None and not self.controls.train_button.isEnabled()):
            return
        config = self.form.config()
        if continue_from is not None:
            config = config.replace(epochs=epochs or config.epochs)  # the rest comes from the parent run
        probes = list(self.view.samples.probes)
        worker: TrainWorker
        if continue_from is None and config.processes > 1:
            from ..workers.process_worker import ProcessTrainWorker  # the CLI under torchrun, followed through the db

            worker = ProcessTrainWorker(self.data.corpus, config, self.home, probes=probes)
        else:
            worker = TrainWorker(self.data.corpus, config.replace(processes=1), self.home,
                                 continue_from=continue_from, probes=probes)
        self._start_worker(worker, config)

    def continue_run(self, run_id: int, epochs: int) -> None:
        if self._busy(f"run {run_id} is not continued"):
            return
        self.start(continue_from=run_id, epochs=epochs)

    def resume(self, run_id: int) -> None:
        """Continue a paused or interrupted run as the same run from its checkpoint (refusals: a dialog)."""
        if not self._busy(f"run {run_id} is not resumed"):
            self._start_worker(TrainWorker(None, None, self.home, resume=run_id), None)

    def _busy(self, what: str) -> bool:
        """One job at a time: while one runs, a request for another is refused, and the status bar says so."""
        if self.active:
            self.status.emit(f"{what}: a training job is still running (wait for it or cancel it)", 8000)
        return self.active

    def start_queue(self) -> None:
        """Train the queued runs one after another in the background (resuming a paused one first)."""
        if not self.active:
            self._start_worker(TrainWorker(None, None, self.home, queue=True), None)
            self.queue_working.emit(True)

    def _start_worker(self, worker: TrainWorker, config: TrainConfig | None) -> None:
        # Every signal is connected before the thread starts: none can be missed.
        worker.run_started.connect(self._run_started)
        worker.steps.connect(self._steps)
        worker.epoch.connect(self._epoch)
        worker.stage.connect(self._stage)
        worker.run_finished.connect(self._run_finished)
        worker.resume_refused.connect(self._resume_refused)
        worker.queue_changed.connect(self.queue_changed)
        worker.failed.connect(self._failed)
        worker.crashed.connect(self.crashed)
        worker.ended.connect(self._ended)
        self.worker, self.run_id, self.last_result, self.paused_run_id = worker, None, None, None
        self.refusal = None
        self.progress = Progress(config.epochs, config.horizon) if config is not None else None
        self.view.clear(worker.probes)
        self.view.plan(config.epochs if config is not None else 0)
        self.controls.show_progress("starting…", 0)
        self.status.emit("preparing the training data…", 0)
        self.changed.emit()
        self.starting.emit(worker)  # the window shows the Training page
        # The worker starts after that page's paint: started at once, its first Python work (the dataset, the
        # model) shared the GIL with the paint, and pressing Train left the window 75 ms late (bench journey).
        QTimer.singleShot(0, self, lambda: self._launch(worker))

    def _launch(self, worker: TrainWorker) -> None:
        if worker is self.worker:  # not replaced meanwhile (a closed window's jobs start nothing)
            self.jobs.start(worker)

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.stop_event.set()
            self.controls.show_progress("cancelling…")
            self.status.emit("cancelling: the best finished epoch's model is kept", 0)
            self.changed.emit()

    def pause(self) -> None:
        if self.worker is not None and not self.worker.stop_event.is_set() and self.worker.pausable:
            self.worker.pause_event.set()
            self.controls.show_progress("pausing after this batch…")
            self.status.emit("pausing: a checkpoint is written, then the thread is freed", 0)
            self.changed.emit()

    def pause_or_resume(self) -> None:
        if self.active:
            self.pause()
        elif self.paused_run_id is not None:
            self.resume(self.paused_run_id)

    def _run_started(self, started) -> None:
        if self.run_id is not None:  # the queue's next run: a fresh chart
            self.view.clear()
        self.run_id = started.run_id
        if started.resumed:  # its probes come from its checkpoint: the sample rows continue as they were
            self.view.samples.start_run(started.probes)
        self.progress = Progress(started.config.epochs, started.config.horizon)
        self.view.plan(started.config.epochs)
        what = f"resumed run {started.run_id} ({started.name}) at {started.resumed}" if started.resumed else \
            f"training run {started.run_id} ({started.name})"
        where = started.device + (f", {started.config.processes} processes" if started.config.processes > 1 else "")
        self.device.emit(f"training on {where}")
        self.status.emit(f"{what} on {started.train_tokens:,} words ({where})…", 0)

    def _steps(self, steps) -> None:
        self.view.add_steps(steps)
        p = self.progress
        if p is None:
            return
        for s in steps:
            p.update(s)
        if not self.stopping:
            self.controls.show_progress(p.text(), p.fraction)
        rate = p.tokens_per_s
        self.speed.emit(f"{rate:,.0f} tokens/s" if rate else "")

    def _epoch(self, epoch) -> None:
        self.view.add_epoch(epoch)
        self.status.emit(f"epoch {epoch.epoch}: {epoch.observation}", 8000)

    def _stage(self, stage) -> None:
        """After the last epoch: the baseline, then the blend fit (minutes on a big corpus): say so."""
        self.controls.show_progress(stage.text, 1.0)
        self.status.emit(f"run {stage.run_id}: {stage.text}", 0)

    def _run_finished(self, result) -> None:
        self.last_result = result
        elapsed = format_seconds(self.progress.elapsed if self.progress else 0)
        self.controls.show_progress(f"{result.status} · {elapsed}", 1.0 if result.status == "completed" else None)
        where = f"; model saved to {result.model_path}" if result.model_path else \
            "; no epoch finished, so no model was saved"
        if result.status == "paused":
            self.paused_run_id = result.run_id
            self.controls.show_progress(result.message)  # "paused at epoch 5, batch 12 of 23"; the button: Resume
            where = "; press Resume (here or on the Runs page) to continue it exactly"
        self.status.emit(f"run {result.run_id} {result.status}: {result.message}{where}", 0)
        if result.status == "failed":
            self.messages.problem("Training stopped", result.message + where.replace(";", ".", 1))
        self.run_finished.emit(result)

    def _resume_refused(self, run_id: int, message: str, as_new_run: bool) -> None:
        """A run that cannot be resumed as itself: say why; offer to continue its best model as a new run once
        this job has ended (`_ended`). Shown at once, the offer raced the worker's thread: a click before the job
        had ended found the controller still active, the new run was dropped and `finished(None)` came from the
        refused job (seen when the machine was busy)."""
        self.controls.show_progress("not resumed")
        self.status.emit(f"run {run_id} not resumed: {message}", 0)
        if not as_new_run:
            self.messages.problem("Cannot resume this run", message)
            return
        self.messages.last_problem = message
        self.refusal = (run_id, message)

    def _offer_new_run(self, run_id: int, message: str) -> None:
        if self.jobs.closed:  # the window is closing: no box that would keep the app running
            return
        box = QMessageBox(QMessageBox.Icon.Warning, "Cannot resume this run", message,
                          QMessageBox.StandardButton.Cancel, self.controls.window())
        box.setObjectName("resumeRefusedBox")
        new_run = box.addButton("Continue as a new run", QMessageBox.ButtonRole.AcceptRole)
        new_run.setObjectName("continueAsNewRunButton")
        new_run.clicked.connect(lambda: QTimer.singleShot(0, lambda: self.continue_asked.emit(run_id)))
        self.messages.open(box)

    def _failed(self, worker, message: str) -> None:
        self.controls.show_progress("not started")
        self.messages.problem("Cannot train on this text", message)

    def _ended(self, worker) -> None:
        self.worker = None
        if worker.queue:
            self.queue_working.emit(False)
        self.speed.emit("")
        self.device.emit("")
        self.changed.emit()
        self.finished.emit(self.last_result)
        if self.refusal is not None:  # idle now: the offer's button can start the new run
            refusal, self.refusal = self.refusal, None
            self._offer_new_run(*refusal)

    def offer_queue_resume(self, store: RunsStore, confirm: Callable[[str], bool]) -> None:
        """A queue that was working when the app closed (or was killed): offer to go on with it (read in a
        worker; `confirm(text)` asks the user)."""
        store.read(waiting_queue_run, result=self._queue_waiting, failed=self._queue_unreadable, confirm=confirm)

    def _queue_waiting(self, worker, what: str | None) -> None:
        if what is None or self.active:
            return
        if worker.confirm(f"The queue was working on {what} when GRU Desktop closed. "
                   "Go on with the queue now (the run resumes from its checkpoint)?"):
            self.start_queue()

    def _queue_unreadable(self, worker, message: str) -> None:
        pass  # the Queue page says so when it reads


def waiting_queue_run(db) -> str | None:
    """What the queue was working on when the app closed ("run 3 (paused)", "item 2"), or None."""
    import storage

    waiting = [i for i in storage.queue.list_items(db) if i["state"] == "running" and not storage.is_alive(i)
               or (i["state"] == "queued" and i.get("run_id"))]
    if not waiting:
        return None
    item = waiting[0]
    run = storage.get_run(db, item["run_id"]) if item.get("run_id") else None
    return f"run {run['id']} ({run['status']})" if run else f"item {item['id']}"
