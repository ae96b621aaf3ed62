"""The window's training panel (a mixin of `MainWindow`): Train, Pause/Resume, Cancel, Add to queue and the
progress bar on the left, and the training worker's signals (run started, steps, epochs, what happens after the
last epoch, run finished) shown on the Training page, the status bar and the other pages."""
from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMessageBox, QProgressBar, QPushButton

from ...core.progress import Progress, format_seconds
from ..workers.train_worker import TrainWorker


class TrainingPanel:
    def _build_training_controls(self, col) -> None:
        buttons = QHBoxLayout()
        self.train_button = QPushButton("Train", objectName="trainButton")
        self.train_button.setToolTip("train a new model with these settings (Ctrl+Enter)")
        self.train_button.setDefault(True)
        self.train_button.clicked.connect(lambda: self.start_training())  # not `checked` as continue_from
        self.cancel_button = QPushButton("Cancel", objectName="cancelButton")
        self.cancel_button.setToolTip("stop training; the best finished epoch's model is kept (Esc)")
        self.cancel_button.clicked.connect(self.cancel_training)
        self.pause_button = QPushButton("Pause", objectName="pauseButton")
        self.pause_button.setToolTip("pause after this batch with a checkpoint; Resume continues the same run exactly (P)")
        self.pause_button.clicked.connect(self.pause_or_resume)
        buttons.addWidget(self.train_button, 2)
        buttons.addWidget(self.pause_button, 1)
        buttons.addWidget(self.cancel_button, 1)
        col.addLayout(buttons)
        self.queue_add_button = QPushButton("Add to queue", objectName="addToQueueButton")
        self.queue_add_button.setToolTip("queue a run with these settings on this text; the Queue page trains them one after another")
        self.queue_add_button.clicked.connect(self.add_to_queue)
        col.addWidget(self.queue_add_button)
        self.train_hint = QLabel(objectName="trainHint", wordWrap=True)
        self.train_hint.setStyleSheet("color: gray;")
        col.addWidget(self.train_hint)
        self.progress_bar = QProgressBar(objectName="trainingProgress", maximum=1000, value=0)
        self.progress_bar.setFormat("not training")
        col.addWidget(self.progress_bar)

    @property
    def training(self) -> bool:
        return self.train_worker is not None

    def continue_run(self, run_id: int, epochs: int) -> None:
        """Train run `run_id`'s model for `epochs` more epochs on its own text: a new run with it as parent."""
        if not self.training:
            self.start_training(continue_from=run_id, epochs=epochs)

    def start_training(self, continue_from: int | None = None, epochs: int | None = None) -> None:
        if self.training or (continue_from is None and not self.train_button.isEnabled()):
            return
        config = self.settings_form.config()
        if continue_from is not None:
            config = config.replace(epochs=epochs or config.epochs)  # the rest comes from the parent run
        probes = list(self.training_view.samples.probes)
        if continue_from is None and config.processes > 1:
            from ..workers.process_worker import ProcessTrainWorker  # the CLI under torchrun, followed through the database

            worker = ProcessTrainWorker(self.corpus, config, self.home, probes=probes)
        else:
            worker = TrainWorker(self.corpus, config.replace(processes=1), self.home, continue_from=continue_from,
                                 probes=probes)
        self._start_worker(worker, config)

    def resume_run(self, run_id: int) -> None:
        """Continue a paused or interrupted run as the same run from its checkpoint (refusals: a dialog)."""
        if not self.training:
            self._start_worker(TrainWorker(None, None, self.home, resume=run_id), None)

    def start_queue(self) -> None:
        """Train the queued runs one after another in the background (resuming a paused one first)."""
        if not self.training:
            self._start_worker(TrainWorker(None, None, self.home, queue=True), None)
            self.queue_view.set_working(True)

    def add_to_queue(self) -> None:
        if not self.settings_form.valid:
            self.problem("Cannot queue these settings", "fix the settings marked in red first")
            return
        item = self.queue_view.add(self.settings_form.config(), list(self.corpus_paths))
        self.statusBar().showMessage(f"queued as item {item}: the Queue page trains it (Run queue)", 8000)

    def _start_worker(self, worker: TrainWorker, config) -> None:
        worker.run_started.connect(self._run_started)
        worker.steps.connect(self._steps)
        worker.epoch.connect(self._epoch)
        worker.stage.connect(self._stage)
        worker.run_finished.connect(self._run_finished)
        worker.resume_refused.connect(self._resume_refused)
        worker.queue_changed.connect(self.queue_view.reload)
        worker.failed.connect(self._train_failed)
        worker.crashed.connect(self._crashed)
        worker.ended.connect(self._train_done)
        self.train_worker, self.run_id, self.last_result, self.paused_run_id = worker, None, None, None
        self.progress = Progress(config.epochs, config.horizon) if config is not None else None
        self.training_view.clear(worker.probes)
        self.progress_bar.setValue(0)
        self.progress_bar.setFormat("starting…")
        self.tabs.setCurrentIndex(self.tabs.indexOf(self.training_view))
        self.statusBar().showMessage("preparing the training data…")
        self._update_actions()
        self.jobs.start(worker)

    def cancel_training(self) -> None:
        if self.training:
            self.train_worker.stop_event.set()
            self.progress_bar.setFormat("cancelling…")
            self.statusBar().showMessage("cancelling: the best finished epoch's model is kept")
            self._update_actions()

    def pause_training(self) -> None:
        if self.training and not self.train_worker.stop_event.is_set() and self.train_worker.pausable:
            self.train_worker.pause_event.set()
            self.progress_bar.setFormat("pausing after this batch…")
            self.statusBar().showMessage("pausing: a checkpoint is written, then the thread is freed")
            self._update_actions()

    def pause_or_resume(self) -> None:
        if self.training:
            self.pause_training()
        elif self.paused_run_id is not None:
            self.resume_run(self.paused_run_id)

    def _run_started(self, started) -> None:
        if self.run_id is not None:  # the queue's next run: a fresh chart
            self.training_view.clear()
        self.run_id = started.run_id
        if started.resumed:  # its probes come from its checkpoint: the sample rows continue as they were
            self.training_view.samples.start_run(started.probes)
        self.progress = Progress(started.config.epochs, started.config.horizon)
        what = f"resumed run {started.run_id} ({started.name}) at {started.resumed}" if started.resumed else \
            f"training run {started.run_id} ({started.name})"
        where = started.device + (f", {started.config.processes} processes" if started.config.processes > 1 else "")
        self.device_label.setText(f"training on {where}")
        self.statusBar().showMessage(f"{what} on {started.train_tokens:,} words ({where})…")

    def _steps(self, steps) -> None:
        self.training_view.add_steps(steps)
        p = self.progress
        if p is None:
            return
        for s in steps:
            p.update(s)
        if not (self.train_worker.stop_event.is_set() or self.train_worker.pause_event.is_set()):
            self.progress_bar.setValue(int(1000 * p.fraction))
            self.progress_bar.setFormat(p.text())
        rate = p.tokens_per_s
        self.speed_label.setText(f"{rate:,.0f} tokens/s" if rate else "")

    def _epoch(self, epoch) -> None:
        self.training_view.add_epoch(epoch)
        self.statusBar().showMessage(f"epoch {epoch.epoch}: {epoch.observation}", 8000)

    def _stage(self, stage) -> None:
        """After the last epoch: the baseline, then the blend fit (minutes on a big corpus): say so."""
        self.progress_bar.setValue(1000)
        self.progress_bar.setFormat(stage.text)
        self.statusBar().showMessage(f"run {stage.run_id}: {stage.text}")

    def _run_finished(self, result) -> None:
        self.last_result = result
        if result.status == "completed":
            self.progress_bar.setValue(1000)
        where = f"; model saved to {result.model_path}" if result.model_path else "; no epoch finished, so no model was saved"
        self.progress_bar.setFormat(f"{result.status} · {format_seconds(self.progress.elapsed if self.progress else 0)}")
        if result.status == "paused":
            self.paused_run_id = result.run_id
            self.progress_bar.setFormat(result.message)  # "paused at epoch 5, batch 12 of 23"; the button says Resume
            where = "; press Resume (here or on the Runs page) to continue it exactly"
        self.statusBar().showMessage(f"run {result.run_id} {result.status}: {result.message}{where}")
        if result.status == "failed":
            self.problem("Training stopped", result.message + where.replace(";", ".", 1))
        if result.model_path:
            self.autocomplete.refresh_runs(select=result.run_id)  # type with the new model at once
        self.runs_page.refresh()  # in a worker: 1,000 runs took ~150 ms to read here

    def _resume_refused(self, run_id: int, message: str, as_new_run: bool) -> None:
        """A run that cannot be resumed as itself: say why; offer to continue its best model as a new run."""
        self.progress_bar.setFormat("not resumed")
        self.last_problem = message
        if not as_new_run:
            self.problem("Cannot resume this run", message)
            return
        box = QMessageBox(QMessageBox.Icon.Warning, "Cannot resume this run", message, QMessageBox.StandardButton.Cancel, self)
        box.setObjectName("resumeRefusedBox")
        new_run = box.addButton("Continue as a new run", QMessageBox.ButtonRole.AcceptRole)
        new_run.setObjectName("continueAsNewRunButton")
        new_run.clicked.connect(lambda: QTimer.singleShot(0, lambda: self.continue_run(run_id, self.runs_page.more_epochs.value())))
        box.finished.connect(lambda *_: self._boxes.remove(box) if box in self._boxes else None)
        self._boxes.append(box)
        box.open()

    def _train_failed(self, worker, message: str) -> None:
        self.progress_bar.setFormat("not started")
        self.problem("Cannot train on this text", message)

    def _train_done(self, worker) -> None:
        self.train_worker = None
        if worker.queue:
            self.queue_view.set_working(False)
        self.speed_label.setText("")
        self.device_label.setText("")
        self._update_actions()
        self.training_finished.emit(self.last_result)

    def _offer_queue_resume(self) -> None:
        """A queue that was working when the app closed (or was killed): offer to go on with it."""
        import storage

        db = self.autocomplete.db()
        waiting = [i for i in storage.queue.list_items(db) if i["state"] == "running" and not storage.is_alive(i)
                   or (i["state"] == "queued" and i.get("run_id"))]
        if not waiting or self.training:
            return
        item = waiting[0]
        run = storage.get_run(db, item["run_id"]) if item.get("run_id") else None
        what = f"run {run['id']} ({run['status']})" if run else f"item {item['id']}"
        if self.confirm_resume_queue(f"The queue was working on {what} when GRU Desktop closed. "
                                     "Go on with the queue now (the run resumes from its checkpoint)?"):
            self.start_queue()

    def _ask_resume_queue(self, text: str) -> bool:
        return QMessageBox.question(self, "Resume the queue?", text) == QMessageBox.StandardButton.Yes
