"""The main window: corpus and settings on the left; the Data and Training pages on the right.

The GUI thread only draws and reacts (design §3): reading a corpus, building the dataset and its
pipeline trace, and training all run in QThread workers; their results arrive as signals. torch and
pyqtgraph are imported only after the first paint, so the window shows at once.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QFileDialog, QGroupBox, QHBoxLayout, QLabel, QMainWindow, QMessageBox, QProgressBar,
                               QPushButton, QScrollArea, QSplitter, QTabWidget, QVBoxLayout, QWidget)

from ..core.config import TrainConfig
from ..core.progress import Progress, format_seconds
from .autocomplete_page import AutocompletePage
from .icons import app_icon
from .corpus_view import CorpusView
from .runs_page import RunsPage
from .settings_form import SettingsForm
from .threads import BackgroundJobs, function_job
from .train_worker import TrainWorker
from .training_view import TrainingView

SETTINGS_DEBOUNCE_MS = 250
TRAINING_SPLITTER_KEY = "trainingSplitter3"  # three panes since the sample suggestions (a two-pane state is ignored)
DATA_TAB, TRAINING_TAB, AUTOCOMPLETE_TAB, RUNS_TAB, QUEUE_TAB = 0, 1, 2, 3, 4


class MainWindow(QMainWindow):
    corpus_ready = Signal()  # statistics and pipeline trace shown for the current corpus and settings
    corpus_failed = Signal(str)  # the corpus could not be read or used: the message shown
    training_finished = Signal(object)  # RunFinished, or None when the job failed before a run existed
    first_painted = Signal()

    def __init__(self, home=None, settings: QSettings | None = None, error_handler=None, load_last: bool = True):
        super().__init__()
        self.setObjectName("mainWindow")
        self.setWindowTitle("GRU Desktop")
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.home = home  # None: storage's default data dir
        self.settings = settings or QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                                              "gru-desktop", "gru-desktop")
        self.error_handler = error_handler
        self.jobs = BackgroundJobs(self)
        self.corpus = None  # core Corpus, read off the GUI thread
        self.corpus_paths: list[str] = []  # [] = the bundled sample corpus
        self.corpus_error = ""
        self.last_problem = ""  # the text of the last message box, for tests and the status bar
        self.train_worker: TrainWorker | None = None
        self.run_id: int | None = None
        self.paused_run_id: int | None = None  # the run shown on the Training page is paused: Pause says Resume
        self.last_result = None
        self.progress: Progress | None = None
        self._read_worker = self._prepare_worker = None
        self._prepare_again = False
        self._painted = False
        self._boxes: list[QMessageBox] = []
        self.confirm_close = self._ask_close  # replaced in tests
        self.confirm_resume_queue = self._ask_resume_queue  # replaced in tests

        self._build()
        self._build_menus()
        self._restore_settings()
        self._debounce = QTimer(self, singleShot=True, interval=SETTINGS_DEBOUNCE_MS)
        self._debounce.timeout.connect(self._settings_settled)
        self.settings_form.changed.connect(self._on_settings_changed)
        self._update_actions()
        if load_last:
            self.load_corpus(self.corpus_paths)

    # --- layout ---------------------------------------------------------------------------------------
    def _build(self) -> None:
        left = QWidget(objectName="controlPanel")
        col = QVBoxLayout(left)
        corpus_box = QGroupBox("Corpus")
        cb = QVBoxLayout(corpus_box)
        row = QHBoxLayout()
        self.load_button = QPushButton("Open files…", objectName="loadCorpusButton")
        self.load_button.setToolTip("open .txt files (Ctrl+O); or drop files and folders onto the window")
        self.load_button.clicked.connect(self.choose_files)
        self.folder_button = QPushButton("Folder…", objectName="loadFolderButton")
        self.folder_button.setToolTip("use every .txt file in a folder (Ctrl+Shift+O)")
        self.folder_button.clicked.connect(self.choose_folder)
        row.addWidget(self.load_button)
        row.addWidget(self.folder_button)
        cb.addLayout(row)
        self.corpus_label = QLabel("loading…", objectName="corpusSummary", wordWrap=True)
        cb.addWidget(self.corpus_label)
        self.read_progress = QProgressBar(objectName="readProgress", maximum=1000, textVisible=False)
        self.read_progress.setMaximumHeight(8)
        self.read_progress.setVisible(False)
        cb.addWidget(self.read_progress)
        col.addWidget(corpus_box)

        settings_box = QGroupBox("Network")
        sb = QVBoxLayout(settings_box)
        self.settings_form = SettingsForm()
        sb.addWidget(self.settings_form)
        col.addWidget(settings_box)

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
        col.addStretch(1)

        scroll = QScrollArea(widgetResizable=True, objectName="controlScroll")
        scroll.setWidget(left)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(250)

        self.tabs = QTabWidget(objectName="pages")
        self.corpus_view = CorpusView()
        data_scroll = QScrollArea(widgetResizable=True)
        data_scroll.setWidget(self.corpus_view)
        self.tabs.addTab(data_scroll, "Data && pipeline")
        self.training_view = TrainingView()
        self.tabs.addTab(self.training_view, "Training")
        self.autocomplete = AutocompletePage(self.jobs, self.home)
        self.tabs.addTab(self.autocomplete, "Autocomplete")
        self.runs_page = RunsPage(self.jobs, self.autocomplete.db, self.home)
        self.tabs.addTab(self.runs_page, "Runs")
        self.runs_page.load_in_autocomplete.connect(self._use_run)
        self.runs_page.open_settings.connect(self._open_run_settings)
        self.runs_page.continue_training.connect(self.continue_run)
        self.runs_page.problem.connect(self.problem)
        self.runs_page.deleted.connect(self._run_deleted)
        self.runs_page.exporting.connect(self.statusBar().showMessage)
        self.runs_page.exported.connect(lambda message: self.statusBar().showMessage(message, 10000))
        self.runs_page.resume_training.connect(self.resume_run)
        from .queue_view import QueueView

        self.queue_view = QueueView(self.autocomplete.db, self.settings_form.config, lambda: list(self.corpus_paths))
        self.tabs.addTab(self.queue_view, "Queue")
        self.queue_view.run_queue.connect(self.start_queue)
        self.queue_view.problem.connect(self.problem)

        self.splitter = QSplitter(Qt.Orientation.Horizontal, objectName="mainSplitter")
        self.splitter.addWidget(scroll)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([330, 950])
        self.setCentralWidget(self.splitter)
        self.speed_label = QLabel(objectName="speedLabel")
        self.device_label = QLabel(objectName="deviceLabel")  # the device in use while training
        self.statusBar().addPermanentWidget(self.device_label)
        self.statusBar().addPermanentWidget(self.speed_label)
        self.resize(1280, 800)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.open_action = self._action(file_menu, "&Open files…", QKeySequence.StandardKey.Open, self.choose_files)
        self._action(file_menu, "Open &folder…", "Ctrl+Shift+O", self.choose_folder)
        self._action(file_menu, "Use the &sample corpus", None, lambda: self.load_corpus([]))
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", QKeySequence.StandardKey.Quit, self.close)
        run_menu = self.menuBar().addMenu("&Run")
        self.train_action = self._action(run_menu, "&Train", "Ctrl+Return", lambda: self.start_training())
        self.cancel_action = self._action(run_menu, "&Cancel training", "Esc", self.cancel_training)
        self.pause_action = self._action(run_menu, "&Pause / resume", "P", self.pause_or_resume)
        self._action(run_menu, "Add to &queue", None, self.add_to_queue)
        view_menu = self.menuBar().addMenu("&View")
        self._action(view_menu, "&Data and pipeline", "Ctrl+1", lambda: self.tabs.setCurrentIndex(DATA_TAB))
        self._action(view_menu, "T&raining", "Ctrl+2", lambda: self.tabs.setCurrentIndex(TRAINING_TAB))
        self._action(view_menu, "&Autocomplete", "Ctrl+3", lambda: self.tabs.setCurrentIndex(AUTOCOMPLETE_TAB))
        self._action(view_menu, "R&uns", "Ctrl+4", lambda: self.tabs.setCurrentIndex(RUNS_TAB))
        self._action(view_menu, "&Queue", "Ctrl+5", lambda: self.tabs.setCurrentIndex(QUEUE_TAB))
        help_menu = self.menuBar().addMenu("&Help")
        self._action(help_menu, "&About GRU Desktop", QKeySequence.StandardKey.HelpContents, self.show_about)

    def _action(self, menu, text, shortcut, slot) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    # --- first paint: then the heavy imports --------------------------------------------------------------
    def paintEvent(self, event):
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            QTimer.singleShot(0, self._after_first_paint)

    def _after_first_paint(self) -> None:
        if os.environ.get("GRU_DESKTOP_STARTUP_PROBE"):
            print("first-paint", flush=True)
        self.first_painted.emit()
        from ..core.devices import present_devices  # torch, now that the window is on screen

        self.settings_form.set_present_devices(present_devices())
        self.training_view.ensure_plot()  # pyqtgraph: ~0.3 s, now that the window is on screen
        self.autocomplete.refresh_runs()  # the latest trained model, loaded in the background
        self.runs_page.start()
        self.queue_view.start()
        QTimer.singleShot(0, self._offer_queue_resume)

    # --- corpus -----------------------------------------------------------------------------------------
    def choose_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Open text files", self._last_dir(),
                                                "Text files (*.txt);;All files (*)")
        if paths:
            self.load_corpus(paths)

    def choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open a folder of .txt files", self._last_dir())
        if path:
            self.load_corpus([path])

    def _last_dir(self) -> str:
        return str(Path(self.corpus_paths[0]).parent) if self.corpus_paths else str(Path.home())

    def load_corpus(self, paths) -> None:
        """Read files or folders (an empty list: the bundled sample corpus) in the background."""
        paths = [str(p) for p in paths]
        if self._read_worker is not None:
            self._read_worker.stop_event.set()  # its result, if any, is ignored
        cfg = self.settings_form.config()
        tokenizer = cfg.tokenizer if cfg.tokenizer in ("words", "pretokenized") else "words"

        def read(progress, should_stop):
            from ..core.corpus import SAMPLE_CORPUS, read_corpus

            return read_corpus(paths or [SAMPLE_CORPUS], tokenizer, bool(cfg.lowercase), progress, should_stop)

        worker = function_job(read, result=self._corpus_read, failed=self._corpus_read_failed, crashed=self._crashed,
                              progress=self._read_progress, ended=self._read_done, paths=paths)
        self._read_worker = worker
        self.corpus_label.setText("reading " + (", ".join(Path(p).name for p in paths[:3]) or "the sample corpus") + "…")
        self.read_progress.setValue(0)
        self.read_progress.setVisible(True)
        self._update_actions()
        self.jobs.start(worker)

    def _read_progress(self, worker, share: float) -> None:
        if worker is self._read_worker:
            self.read_progress.setValue(int(1000 * share))

    def _read_done(self, worker) -> None:
        if worker is self._read_worker:
            self._read_worker = None
            self.read_progress.setVisible(False)
            self._update_actions()

    def _corpus_read(self, worker, corpus) -> None:
        if worker is not self._read_worker:
            return
        self.corpus, self.corpus_paths, self.corpus_error = corpus, worker.paths, ""
        self.corpus_label.setText(corpus.description + f": {corpus.n_tokens:,} words")
        self.statusBar().showMessage(f"loaded {corpus.description}", 5000)
        self._prepare()

    def _corpus_read_failed(self, worker, message: str) -> None:
        if worker is not self._read_worker:
            return
        had = self.corpus is not None
        self.corpus_label.setText((self.corpus.description + " (kept)") if had else "no corpus loaded")
        self.problem("Cannot use this text", message + ("\n\nThe previous corpus is still loaded." if had else ""))
        self.corpus_failed.emit(message)

    # --- dataset + pipeline trace for the current settings ---------------------------------------------
    def _on_settings_changed(self) -> None:
        self._update_actions()
        self._debounce.start()

    def _settings_settled(self) -> None:
        cfg = self.settings_form.config()
        if self.corpus is not None and self.settings_form.valid and (
                cfg.tokenizer != self.corpus.tokenizer or cfg.lowercase != self.corpus.lowercase):
            self.load_corpus(self.corpus_paths)  # the words themselves change: read again
        else:
            self._prepare()

    def _prepare(self) -> None:
        if self.corpus is None or not self.settings_form.valid:
            return
        if self._prepare_worker is not None:
            self._prepare_again = True
            return
        corpus, config = self.corpus, self.settings_form.config()

        def prepare(progress, should_stop):
            from ..core.data import build_dataset
            from ..core.trace import pipeline_trace
            from ..core.summary import summarize

            dataset = build_dataset(corpus, config)
            return summarize(dataset, config), pipeline_trace(dataset, config)

        worker = function_job(prepare, result=self._prepared, failed=self._prepare_failed, crashed=self._crashed,
                              ended=self._prepare_done, corpus=corpus)
        self._prepare_worker = worker
        self.jobs.start(worker)

    def _prepared(self, worker, result) -> None:
        if worker.corpus is not self.corpus:
            return
        summary, trace = result
        self.corpus_error = ""
        self.corpus_view.show_result(summary, trace)
        self._update_actions()
        if not self._prepare_again:
            self.corpus_ready.emit()

    def _prepare_failed(self, worker, message: str) -> None:
        if worker.corpus is not self.corpus:
            return
        self.corpus_error = message
        self.corpus_view.show_message(message)
        self.statusBar().showMessage(message, 10000)
        self._update_actions()
        if not self._prepare_again:
            self.corpus_failed.emit(message)

    def _prepare_done(self, worker) -> None:
        self._prepare_worker = None
        if self._prepare_again:
            self._prepare_again = False
            self._prepare()

    # --- training ---------------------------------------------------------------------------------------
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
            from .process_worker import ProcessTrainWorker  # the CLI under torchrun, followed through the database

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
        self.tabs.setCurrentIndex(TRAINING_TAB)
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
        if self.training and not self.train_worker.stop_event.is_set():
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

    def show_about(self) -> None:
        from .about import show_about

        show_about(self, self.home, self.settings.fileName())

    def _use_run(self, run_id: int) -> None:
        self.autocomplete.refresh_runs(select=run_id)
        self.tabs.setCurrentIndex(AUTOCOMPLETE_TAB)

    def _open_run_settings(self, config: dict) -> None:
        if self.training:
            return
        self.settings_form.set_config(TrainConfig.from_dict(config))
        self.statusBar().showMessage("settings taken from the run: press Train to train with them", 8000)

    def _run_deleted(self, run_id: int) -> None:
        if self.autocomplete.run and self.autocomplete.run["id"] == run_id:
            self.autocomplete.refresh_runs()

    # --- state of the buttons ------------------------------------------------------------------------------
    def _update_actions(self) -> None:
        training, reading = self.training, self._read_worker is not None
        reason = ""
        if training:
            reason = "training…"
        elif reading:
            reason = "reading the corpus…"
        elif self.corpus is None:
            reason = "open a text file first"
        elif not self.settings_form.valid:
            reason = "fix the settings marked in red"
        elif self.corpus_error:
            reason = self.corpus_error
        can_train = not reason
        self.train_button.setEnabled(can_train)
        self.train_action.setEnabled(can_train)
        stopping = training and (self.train_worker.stop_event.is_set() or self.train_worker.pause_event.is_set())
        self.cancel_button.setEnabled(training and not stopping)
        self.cancel_action.setEnabled(self.cancel_button.isEnabled())
        resumable = not training and self.paused_run_id is not None
        self.pause_button.setText("Resume" if resumable else "Pause")
        self.pause_button.setToolTip("continue the paused run exactly where it stopped (P)" if resumable else
                                     "pause after this batch with a checkpoint; Resume continues the same run exactly (P)")
        self.pause_button.setEnabled((training and not stopping) or resumable)
        self.pause_action.setEnabled(self.pause_button.isEnabled())
        self.queue_add_button.setEnabled(self.settings_form.valid and self.corpus is not None)
        self.settings_form.set_locked(training)
        self.training_view.samples.set_locked(training)  # a run reads its probes once, when it starts
        for w in (self.load_button, self.folder_button, self.open_action):
            w.setEnabled(not training)
        self.train_hint.setText("" if can_train or training else reason)
        self.train_hint.setVisible(bool(self.train_hint.text()))

    # --- messages ---------------------------------------------------------------------------------------
    def problem(self, title: str, text: str) -> None:
        """A readable message box that does not block the event loop (workers keep running)."""
        self.last_problem = text
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self)
        box.setObjectName("problemBox")
        box.finished.connect(lambda *_: self._boxes.remove(box) if box in self._boxes else None)
        self._boxes.append(box)
        box.open()

    def _crashed(self, text: str) -> None:
        if self.error_handler is not None:
            self.error_handler.report.emit(text)
        else:
            self.problem("Unexpected error", text.strip().splitlines()[-1])

    # --- drag and drop ------------------------------------------------------------------------------------
    def dragEnterEvent(self, event):
        if not self.training and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event):
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths and not self.training:
            event.acceptProposedAction()
            self.load_corpus(paths)

    # --- persistence and closing ----------------------------------------------------------------------------
    def _restore_settings(self) -> None:
        s = self.settings
        if s.value("geometry") is not None:
            self.restoreGeometry(s.value("geometry"))
        for key, splitter in (("mainSplitter", self.splitter), (TRAINING_SPLITTER_KEY, self.training_view.splitter)):
            if s.value(key) is not None:
                splitter.restoreState(s.value(key))
                self.training_view.sized = self.training_view.sized or splitter is self.training_view.splitter
        try:
            stored = json.loads(s.value("config", "{}") or "{}")
            self.settings_form.set_config(TrainConfig.from_dict(stored, legacy=False))
        except (ValueError, TypeError):
            pass  # a damaged settings file: start from the defaults
        try:
            probes = json.loads(s.value("probes", "[]") or "[]")
            self.training_view.samples.set_probes([str(p) for p in probes] if isinstance(probes, list) else [])
        except (ValueError, TypeError):
            pass
        paths = json.loads(s.value("corpus", "[]") or "[]")
        missing = [p for p in paths if not Path(p).exists()]
        if missing:
            self.statusBar().showMessage(f"{missing[0]} is gone; using the sample corpus", 10000)
            paths = []
        self.corpus_paths = paths

    def save_settings(self) -> None:
        s = self.settings
        s.setValue("geometry", self.saveGeometry())
        s.setValue("mainSplitter", self.splitter.saveState())
        s.setValue(TRAINING_SPLITTER_KEY, self.training_view.splitter.saveState())
        s.setValue("config", json.dumps(self.settings_form.values()))
        s.setValue("corpus", json.dumps(self.corpus_paths))
        s.setValue("probes", json.dumps(self.training_view.samples.probes))
        s.sync()

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

    def _ask_close(self) -> bool:
        answer = QMessageBox.question(self, "Stop training?",
                                      "A model is training. Stop it and close? The best finished epoch's model is kept.")
        return answer == QMessageBox.StandardButton.Yes

    def closeEvent(self, event):
        if self.training and not self.confirm_close():
            event.ignore()
            return
        self.save_settings()
        if self.training and self.train_worker.queue:
            # The queue goes on from here at the next start: pause its run (a checkpoint), and let it end
            # before shutdown() would cancel it.
            self.train_worker.pause_event.set()
            self.jobs.wait_for(self.train_worker, 20_000)
        else:
            self.cancel_training()
        self.jobs.shutdown()
        super().closeEvent(event)
