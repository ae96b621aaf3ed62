"""The main window: the corpus, the settings and the training controls on the left; the pages on the right.

It builds and wires a few objects and does little itself: a `CorpusController` (the text, its dataset and
trace), a `TrainingController` (the training job), the `RunsStore` (the database), the pages (each owns its
widgets and actions), the `LearnController` (the Learn page and Predict, then reveal, fed the corpus and
settings), the `Startup` after the first paint and the `WindowState`. Pages are added in `_add_pages`.

The GUI thread only draws and reacts (design §3): the work runs in QThread workers, whose results arrive as
signals; torch and pyqtgraph are imported after the first paint, so the window shows at once.
"""
from __future__ import annotations

from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QMainWindow, QScrollArea, QSplitter, QTabWidget, QWidget

from ...core.config import TrainConfig
from ..pages.autocomplete_page import AutocompletePage
from ..pages.corpus_view import CorpusView
from ..pages.queue_view import QueueView
from ..pages.runs_page import RunsPage
from ..pages.training_view import TrainingView
from ..workers.runs_store import RunsStore
from ..workers.threads import BackgroundJobs
from . import gc_guard
from .control_panel import ControlPanel
from .corpus import CorpusController
from .icons import app_icon
from .learn import LearnController
from .menus import WindowMenus
from .messages import Messages
from .startup import Startup
from .state import TRAINING_SPLITTER_KEY, WindowState
from .training import TrainingController

SETTINGS_DEBOUNCE_MS = 250


class MainWindow(QMainWindow):
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
        self.jobs = BackgroundJobs(self)
        self.messages = Messages(self, self.jobs, error_handler)
        self.confirm_close = lambda: self.messages.ask(  # replaced in tests
            "Stop training?", "A model is training. Stop it and close? The best finished epoch's model is kept.")
        self.confirm_resume_queue = lambda text: self.messages.ask("Resume the queue?", text)  # replaced in tests
        p = self.panel = ControlPanel()  # the left panel
        self.corpus_box, self.settings_form, self.controls = p.corpus_box, p.settings_form, p.controls
        # The pages; the controllers that work on them.
        self.tabs = QTabWidget(objectName="pages")
        self.pages: list[QWidget] = []  # in tab order (add_page)
        self.corpus_view = CorpusView()
        self.training_view = TrainingView()
        self.autocomplete = AutocompletePage(self.jobs, self.home)
        self.store = RunsStore(self.jobs, self.home, parent=self)  # the GUI's one access to the database
        self.runs_page = RunsPage(self.jobs, self.store, self.home)
        self.data = CorpusController(self.jobs, self.corpus_box, self.settings_form, self.corpus_view, parent=self)
        self.learn = LearnController(self.jobs, self.home, self.data, self.settings_form, self.corpus_view, self)
        self.learn_page, self.predict = self.learn.page, self.learn.predict
        self.queue_view = QueueView(self.store, self.settings_form.config, lambda: list(self.data.paths))
        self.trainer = TrainingController(self.jobs, self.home, self.settings_form, self.data, self.training_view,
                                          self.controls, self.messages, parent=self)
        self.startup = Startup(self.jobs, self.collector, self.settings_form, self.messages, lambda: self.pages, self)
        self.speed_label = QLabel(objectName="speedLabel")
        self.device_label = QLabel(objectName="deviceLabel")  # the device in use while training
        self.splitter = QSplitter(Qt.Orientation.Horizontal, objectName="mainSplitter")
        self._debounce = QTimer(self, singleShot=True, interval=SETTINGS_DEBOUNCE_MS)
        self.menus = WindowMenus(self, self.data, self.trainer, self.add_to_queue, self.show_about)
        self.splitter.addWidget(self.panel)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([330, 950])
        self.setCentralWidget(self.splitter)
        for label in (self.device_label, self.speed_label):
            self.statusBar().addPermanentWidget(label)
        self.resize(1280, 800)
        self._add_pages()
        self._wire()
        self.state = WindowState(self.settings, self, {"mainSplitter": self.splitter,
                                                       TRAINING_SPLITTER_KEY: self.training_view.splitter},
                                 self.settings_form, self.training_view.samples, {"trainingDetailsTab": self.training_view.details})
        self.data.paths, note = self.state.restore()
        if TRAINING_SPLITTER_KEY in self.state.restored_splitters:
            self.training_view.restored()
        self.statusBar().showMessage(note, 10000)  # "" when every remembered file is still there
        for slot in (self._update_actions, self._debounce.start):  # after restoring: no rebuild for the restore
            self.settings_form.changed.connect(slot)
        self._update_actions()
        if load_last:
            self.load_corpus(self.data.paths)

    # --- the pages: add one here --------------------------------------------------------------------------
    def _add_pages(self) -> None:
        self.add_page(self.corpus_view, "Data && pipeline", "&Data and pipeline", scroll=True)
        self.add_page(self.training_view, "Training", "T&raining")
        self.add_page(self.autocomplete, "Autocomplete", "&Autocomplete")
        self.add_page(self.runs_page, "Runs", "R&uns")
        self.add_page(self.queue_view, "Queue", "&Queue")
        self.add_page(self.learn_page, "Learn", "&Learn")

    def add_page(self, page: QWidget, title: str, menu_text: str | None = None, scroll: bool = False) -> QWidget:
        """A tab and a View menu entry (Ctrl+N for the first nine pages). The start-up runs the page's
        `startup_steps()` generator, if it has one, a step per event-loop turn after the first paint."""
        widget = page
        if scroll:
            widget = QScrollArea(widgetResizable=True)
            widget.setWidget(page)
        self.tabs.addTab(widget, title)
        self.pages.append(page)
        n = len(self.pages)
        self.menus.add(self.menus.view_menu, menu_text or title, f"Ctrl+{n}" if n <= 9 else None,
                       lambda: self.show_page(page))
        return page

    def show_page(self, page: QWidget) -> None:
        self.tabs.setCurrentIndex(self.pages.index(page))
        if hasattr(page, "take_focus"):  # a page whose keys act only with the focus inside it (Learn: 1–4, H)
            page.take_focus()

    def _wire(self) -> None:
        status, problem, t, d = self.statusBar().showMessage, self.messages.problem, self.trainer, self.data
        self._debounce.timeout.connect(d.settings_settled)
        for controller in (d, t):
            controller.changed.connect(self._update_actions)
            controller.status.connect(status)
        for buggy in (d, t, self.store, self.startup):
            buggy.crashed.connect(self.messages.crashed)
        for reporter in (d, self.runs_page, self.queue_view, self.store):
            reporter.problem.connect(problem)
        d.ready.connect(self.corpus_ready)
        d.failed.connect(self.corpus_failed)
        t.starting.connect(lambda _: self.show_page(self.training_view))  # a run starts: watch it
        t.device.connect(self.device_label.setText)
        t.speed.connect(self.speed_label.setText)
        t.run_finished.connect(self._run_finished)
        t.finished.connect(self.training_finished)
        t.queue_working.connect(self.queue_view.set_working)
        t.queue_changed.connect(self.queue_view.reload)
        t.continue_asked.connect(lambda run_id: t.continue_run(run_id, self.runs_page.more_epochs.value()))
        self.controls.queue_add_button.clicked.connect(self.add_to_queue)
        r = self.runs_page
        r.load_in_autocomplete.connect(self._use_run)
        r.use_elsewhere.connect(self.autocomplete.open_serve_dialog)  # Use it elsewhere… (serve, n-gram exports)
        r.open_settings.connect(self._open_run_settings)
        r.continue_training.connect(t.continue_run)
        r.resume_training.connect(t.resume)
        r.exporting.connect(status)
        r.exported.connect(lambda message: status(message, 10000))
        self.queue_view.run_queue.connect(t.start_queue)
        self.startup.first_painted.connect(self.first_painted)
        self.startup.warmed_up.connect(self.warmed_up)
        self.startup.pages_started.connect(self.store.start)
        self.startup.pages_started.connect(lambda: t.offer_queue_resume(self.store, lambda x: self.confirm_resume_queue(x)))
        self.store.runs_changed.connect(self.autocomplete.runs_changed)

    def _update_actions(self) -> None:
        t, d, form, c = self.trainer, self.data, self.settings_form, self.controls
        why_not = ("training…" if t.active else "reading the corpus…" if d.reading else
                   "open a text file first" if d.corpus is None else
                   "fix the settings marked in red" if not form.valid else d.error)
        c.show_state(why_not, t.active, t.stopping, t.pausable, not t.active and t.paused_run_id is not None,
                     form.valid and d.corpus is not None)
        self.menus.show_state(c, t.active)
        form.set_locked(t.active)
        self.training_view.samples.set_locked(t.active)  # a run reads its probes once, when it starts
        self.corpus_box.set_locked(t.active)

    # --- what the window does itself --------------------------------------------------------------------------
    def load_corpus(self, paths) -> None:
        """Read files or folders (an empty list: the bundled sample corpus) in the background (design §7)."""
        self.data.load(paths)

    def add_to_queue(self) -> None:
        if not self.settings_form.valid:
            self.messages.problem("Cannot queue these settings", "fix the settings marked in red first")
            return
        self.queue_view.add(self.settings_form.config(), list(self.data.paths), done=lambda item: self.statusBar()
                            .showMessage(f"queued as item {item}: the Queue page trains it (Run queue)", 8000))

    def show_about(self) -> None:
        from .about import show_about

        show_about(self, self.home, self.settings.fileName())

    def _run_finished(self, result) -> None:
        if result.model_path:
            self.autocomplete.refresh_runs(select=result.run_id)  # type with the new model at once
        self.runs_page.refresh()  # in a worker: 1,000 runs took ~150 ms to read here

    def _use_run(self, run_id: int) -> None:
        self.autocomplete.refresh_runs(select=run_id)
        self.show_page(self.autocomplete)

    def _open_run_settings(self, config: dict) -> None:
        if not self.trainer.active:
            self.settings_form.set_config(TrainConfig.from_dict(config))
            self.statusBar().showMessage("settings taken from the run: press Train to train with them", 8000)

    # --- events -------------------------------------------------------------------------------------------------
    def paintEvent(self, event):
        super().paintEvent(event)
        self.startup.window_painted()

    def dragEnterEvent(self, event):
        if not self.trainer.active and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event):
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths and not self.trainer.active:
            event.acceptProposedAction()
            self.load_corpus(paths)

    def closeEvent(self, event):
        worker = self.trainer.worker
        if worker is not None and not self.confirm_close():
            event.ignore()
            return
        self.state.save(self.data.paths)
        self.autocomplete.shutdown_serve()  # a server started from the window ends with it (design §16)
        if worker is not None and worker.queue:
            # The queue goes on from here at the next start: pause its run (a checkpoint), and let it end
            # before shutdown() would cancel it.
            worker.pause_event.set()
            self.jobs.wait_for(worker, 20_000)
        else:
            self.trainer.cancel()
        self.store.close()
        self.jobs.shutdown()
        super().closeEvent(event)
