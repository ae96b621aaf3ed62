"""The training worker: the same `runs` job as the CLI, its events turned into throttled signals."""
from __future__ import annotations

import time

from PySide6.QtCore import Signal

from .threads import EMIT_INTERVAL, Worker


class TrainWorker(Worker):
    """Builds the dataset for `config` from an already read corpus, then drives `runs.train_run`.

    Signals carry the engine's own dataclasses: `run_started(RunStarted)`, `steps(list[StepResult])`
    (batched, at most ~20 per second), `epoch(EpochResult)`, `run_finished(RunFinished)`.
    """

    run_started = Signal(object)
    steps = Signal(object)
    epoch = Signal(object)
    run_finished = Signal(object)

    def __init__(self, corpus, config, home=None, name: str | None = None, continue_from: int | None = None,
                 probes: list[str] | None = None):
        super().__init__()
        self.corpus, self.config, self.home, self.name = corpus, config, home, name
        self.probes = list(probes or [])  # the user's prefixes for the per-epoch sample suggestions
        self.continue_from = continue_from  # a run id: train its model further (config.epochs more epochs)

    def work(self):
        from .. import runs  # torch is imported here, off the GUI thread
        from ..core.data import build_dataset
        from ..core.train import EpochResult, StepResult

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
        pending: list = []
        last_emit = 0.0
        for event in runs.train_run(dataset, self.config, home=self.home, name=self.name, stop=self.stop_event,
                                    parent_run_id=self.continue_from, initial_state=initial, probes=self.probes):
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
            elif isinstance(event, runs.RunFinished):
                self.run_finished.emit(event)
