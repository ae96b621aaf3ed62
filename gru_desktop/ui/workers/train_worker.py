"""The training worker: the same jobs as the CLI (train, continue, resume, work the queue), their events
turned into throttled signals."""
from __future__ import annotations

import json
import threading
import time

from PySide6.QtCore import Signal

from .threads import EMIT_INTERVAL, Worker


class TrainWorker(Worker):
    """Builds the dataset for `config` from an already read corpus, then drives `runs.train_run`; or
    resumes a paused run (`resume`), or works the queue (`queue=True`).

    Signals carry the engine's own dataclasses: `run_started(RunStarted)`, `steps(list[StepResult])`
    (batched, at most ~20 per second), `epoch(EpochResult)`, `stage(RunStage)` (the baseline, the blend fit after
    the last epoch), `run_finished(RunFinished)`; for a resumed
    run, `run_started` is followed by its recorded history as `steps` and `epoch` signals. The queue adds
    `queue_changed()` whenever an item starts or ends. `resume_refused(run_id, message, as_new_run)`:
    the run cannot be resumed as itself (nothing changed; continuing it as a new run may be offered).
    """

    run_started = Signal(object)
    steps = Signal(object)
    epoch = Signal(object)
    run_finished = Signal(object)
    stage = Signal(object)  # RunStage: what happens between the last epoch and run_finished
    checkpoint = Signal(object)  # CheckpointSaved
    queue_changed = Signal()
    resume_refused = Signal(int, str, bool)
    pausable = True  # Pause writes a checkpoint (not for runs in several processes: ProcessTrainWorker)

    def __init__(self, corpus, config, home=None, name: str | None = None, continue_from: int | None = None,
                 probes: list[str] | None = None, resume: int | None = None, queue: bool = False):
        super().__init__()
        self.corpus, self.config, self.home, self.name = corpus, config, home, name
        self.probes = list(probes or [])  # the user's prefixes for the per-epoch sample suggestions
        self.continue_from = continue_from  # a run id: train its model further (config.epochs more epochs)
        self.resume, self.queue = resume, queue
        self.pause_event = threading.Event()  # Pause: stop after this batch with a checkpoint

    def _events(self):
        from ...core.data import build_dataset
        from ...jobs import runs  # torch is imported here, off the GUI thread

        if self.queue:
            from ...jobs.queue import work_queue

            return work_queue(self.home, self.stop_event, self.pause_event)
        if self.resume is not None:
            return runs.resume_run(self.resume, home=self.home, stop=self.stop_event, pause=self.pause_event,
                                   should_stop=self.stop_event.is_set)
        initial = None
        if self.continue_from is not None:
            _, db = runs.open_store(self.home)
            loaded, self.config, dataset = runs.continue_dataset(db, self.continue_from, self.config.epochs,
                                                                 self.stop_event.is_set)
            initial = loaded.model.state_dict()
            self.name = self.name or f"continues run {self.continue_from}"
        else:
            self.config.validate()
            dataset = build_dataset(self.corpus, self.config)  # CorpusError before any run row exists
        return runs.train_run(dataset, self.config, home=self.home, name=self.name, stop=self.stop_event,
                              pause=self.pause_event, parent_run_id=self.continue_from, initial_state=initial,
                              probes=self.probes)

    def work(self):
        from ...core.train import EpochResult, StepResult
        from ...jobs import runs
        from ...jobs.queue import QueueItemFinished, QueueItemStarted

        try:
            events = self._events()
            pending: list = []
            last_emit = 0.0
            for event in events:
                if isinstance(event, StepResult):
                    pending.append(event)
                    now = time.monotonic()
                    if now - last_emit >= EMIT_INTERVAL:
                        self.steps.emit(pending)
                        pending, last_emit = [], now
                    continue
                if pending:
                    self.steps.emit(pending)
                    pending = []
                if isinstance(event, EpochResult):
                    self.epoch.emit(event)
                elif isinstance(event, runs.RunStarted):
                    self.run_started.emit(event)
                    if event.history:
                        steps, epochs = history_events(event.history)
                        self.steps.emit(steps)
                        for e in epochs:
                            self.epoch.emit(e)
                elif isinstance(event, runs.RunStage):
                    self.stage.emit(event)
                elif isinstance(event, runs.RunFinished):
                    self.run_finished.emit(event)
                elif isinstance(event, runs.CheckpointSaved):
                    self.checkpoint.emit(event)
                elif isinstance(event, (QueueItemStarted, QueueItemFinished)):
                    self.queue_changed.emit()
        except runs.ResumeError as exc:
            self.resume_refused.emit(exc.run_id, str(exc), exc.as_new_run)


def history_events(history: dict):
    """A resumed run's recorded steps and epochs (database rows) as the StepResults and EpochResults the
    chart and the epoch table take, so they continue where the run stopped."""
    from ...core.train import EpochResult, StepResult

    steps_rows, epoch_rows = history.get("steps") or [], history.get("epochs") or []
    per_epoch: dict[int, int] = {}
    for r in steps_rows:
        per_epoch[r["epoch"]] = per_epoch.get(r["epoch"], 0) + 1
    full = max(per_epoch.values(), default=1)  # an interrupted epoch has fewer recorded steps than a whole one
    seen: dict[int, int] = {}
    steps = []
    for r in steps_rows:
        seen[r["epoch"]] = seen.get(r["epoch"], 0) + 1
        steps.append(StepResult(r["step"], r["epoch"], seen[r["epoch"]], full, r["loss"], 0, 0.0))
    epochs, best, best_loss = [], 0, float("inf")
    for r in epoch_rows:
        if r["val_loss"] is not None and r["val_loss"] < best_loss:
            best, best_loss = r["epoch"], r["val_loss"]
        keys = ("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "val_top3", "val_perplexity",
                "seconds", "tokens_per_s", "lr", "observation")
        system = {k: r.get(k) for k in ("cpu_percent", "peak_rss_mb", "threads", "device") if r.get(k) is not None}
        samples = r.get("samples")
        if isinstance(samples, str):
            samples = json.loads(samples or "[]")
        epochs.append(EpochResult(**{k: r.get(k) for k in keys}, is_best=best == r["epoch"], best_epoch=best,
                                  system=system, samples=samples or []))
    return steps, epochs
