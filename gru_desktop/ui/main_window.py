"""The main window: corpus and settings on the left; the Data, Training, Autocomplete, Runs and Queue pages on
the right. The corpus panel (`corpus_panel.py`), the training panel (`training_panel.py`), the start-up after the
first paint (`window_startup.py`) and the saved window state (`window_state.py`) are mixins of it.

The GUI thread only draws and reacts (design §3): reading a corpus, building the dataset and its
pipeline trace, and training all run in QThread workers; their results arrive as signals. torch and
pyqtgraph are imported only after the first paint, so the window shows at once.
"""
from __future__ import annotations

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QGroupBox,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..core.config import TrainConfig
from ..core.progress import Progress
from . import gc_guard
from .autocomplete_page import AutocompletePage
from .corpus_panel import CorpusPanel
from .corpus_view import CorpusView
from .icons import app_icon
from .runs_page import RunsPage
from .settings_form import SettingsForm
from .threads import BackgroundJobs
from .train_worker import TrainWorker
from .training_panel import TrainingPanel
from .training_view import TrainingView
from .window_startup import WindowStartup
from .window_state import WindowState

SETTINGS_DEBOUNCE_MS = 250
DATA_TAB, TRAINING_TAB, AUTOCOMPLETE_TAB, RUNS_TAB, QUEUE_TAB = 0, 1, 2, 3, 4

class MainWindow(CorpusPanel, TrainingPanel, WindowStartup, WindowState, QMainWindow):
    corpus_ready = Signal()  # statistics and pipeline trace shown for the current corpus and settings
    corpus_failed = Signal(str)  # the corpus could not be read or used: the message shown
    training_finished = Signal(object)  # RunFinished, or None when the job failed before a run existed
    first_painted = Signal()
    warmed_up = Signal()  # torch and pyqtgraph are loaded and the pages have started (after first_painted)

    def __init__(self, home=None, settings: QSettings | None = None, error_handler=None, load_last: bool = True):
        super().__init__()
        self.collector = gc_guard.install()  # cycles are collected on this thread only (see gc_guard)
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
        self._build_corpus_box(col)

        settings_box = QGroupBox("Network")
        sb = QVBoxLayout(settings_box)
        self.settings_form = SettingsForm()
        sb.addWidget(self.settings_form)
        col.addWidget(settings_box)

        self._build_training_controls(col)
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
        self.runs_page.use_elsewhere.connect(self.autocomplete.open_serve_dialog)
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

    # --- dataset + pipeline trace for the current settings ---------------------------------------------
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
        pausable = training and self.train_worker.pausable
        self.pause_button.setToolTip(
            "continue the paused run exactly where it stopped (P)" if resumable else
            "pause after this batch with a checkpoint; Resume continues the same run exactly (P)" if not training or pausable
            else "a run in several processes writes no checkpoints, so it cannot be paused; Cancel keeps the best "
                 "epoch's model")
        self.pause_button.setEnabled((pausable and not stopping) or resumable)
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
        """A readable message box that does not block the event loop (workers keep running). None once the
        window is closed: a job cancelled by the closing (e.g. a corpus still being read) would otherwise open
        a box that keeps the app running with no window."""
        self.last_problem = text
        if self.jobs.closed:
            return
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
    # --- closing ---------------------------------------------------------------------------------------------
    def _ask_close(self) -> bool:
        answer = QMessageBox.question(self, "Stop training?",
                                      "A model is training. Stop it and close? The best finished epoch's model is kept.")
        return answer == QMessageBox.StandardButton.Yes

    def closeEvent(self, event):
        if self.training and not self.confirm_close():
            event.ignore()
            return
        self.save_settings()
        self.autocomplete.shutdown_serve()  # a server started from the window ends with it (design §16)
        if self.training and self.train_worker.queue:
            # The queue goes on from here at the next start: pause its run (a checkpoint), and let it end
            # before shutdown() would cancel it.
            self.train_worker.pause_event.set()
            self.jobs.wait_for(self.train_worker, 20_000)
        else:
            self.cancel_training()
        self.jobs.shutdown()
        super().closeEvent(event)

