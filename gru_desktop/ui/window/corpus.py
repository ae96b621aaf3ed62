"""The text the window trains on: the Corpus box on the left (open files or a folder; drop them on the window),
and the `CorpusController` that reads the text in a worker and then builds the dataset and its pipeline trace
for the current settings in another, shown on the Data page. The GUI thread never reads the text (design §3)."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QGroupBox, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout

from ..pages.corpus_view import CorpusView
from ..widgets.settings_form import SettingsForm
from ..workers.threads import BackgroundJobs, FunctionWorker, function_job
from .turns import in_turns

if TYPE_CHECKING:
    from ...core.corpus import Corpus  # not at run time: the window paints before the core loads


class CorpusBox(QGroupBox):
    """Open files…, Folder…, what is loaded, and the reading progress."""

    def __init__(self):
        super().__init__("Corpus")
        cb = QVBoxLayout(self)
        row = QHBoxLayout()
        self.load_button = QPushButton("Open files…", objectName="loadCorpusButton")
        self.load_button.setToolTip("open .txt files (Ctrl+O); or drop files and folders onto the window")
        self.folder_button = QPushButton("Folder…", objectName="loadFolderButton")
        self.folder_button.setToolTip("use every .txt file in a folder (Ctrl+Shift+O)")
        row.addWidget(self.load_button)
        row.addWidget(self.folder_button)
        cb.addLayout(row)
        self.corpus_label = QLabel("loading…", objectName="corpusSummary", wordWrap=True)
        cb.addWidget(self.corpus_label)
        self.read_progress = QProgressBar(objectName="readProgress", maximum=1000, textVisible=False)
        self.read_progress.setMaximumHeight(8)
        self.read_progress.setVisible(False)
        cb.addWidget(self.read_progress)

    def set_locked(self, locked: bool) -> None:
        """While training, the corpus stays as it is."""
        self.load_button.setEnabled(not locked)
        self.folder_button.setEnabled(not locked)


class CorpusController(QObject):
    ready = Signal()  # statistics and pipeline trace shown for the current corpus and settings
    showing = Signal()  # the pipeline's shapes for the current corpus and settings are about to be shown
    failed = Signal(str)  # the corpus could not be read or used: the message shown
    changed = Signal()  # reading started or ended, or the corpus became usable or not: update the buttons
    status = Signal(str, int)  # (message, ms) for the status bar
    problem = Signal(str, str)  # (title, text) for a message box
    crashed = Signal(str)  # a bug's traceback

    def __init__(self, jobs: BackgroundJobs, box: CorpusBox, form: SettingsForm, view: CorpusView, parent: QObject | None = None):
        super().__init__(parent)  # the window: nothing here outlives it
        self.jobs, self.box, self.form, self.view = jobs, box, form, view
        self.corpus: Corpus | None = None  # read off the GUI thread
        self.paths: list[str] = []  # [] = the bundled sample corpus
        self.error = ""  # why the current corpus cannot be trained on with these settings ("" = it can)
        self.reader: FunctionWorker | None = None  # the read in progress
        self.preparer: FunctionWorker | None = None  # the dataset + trace being built
        self.prepare_again = False  # the settings changed while building: build again when it ends
        self.shown: Iterator[None] | None = None  # the result being shown, a part per event-loop turn
        box.load_button.clicked.connect(self.choose_files)
        box.folder_button.clicked.connect(self.choose_folder)

    @property
    def reading(self) -> bool:
        return self.reader is not None

    def choose_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self.box.window(), "Open text files", self._last_dir(),
                                                "Text files (*.txt);;All files (*)")
        if paths:
            self.load(paths)

    def choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self.box.window(), "Open a folder of .txt files", self._last_dir())
        if path:
            self.load([path])

    def _last_dir(self) -> str:
        return str(Path(self.paths[0]).parent) if self.paths else str(Path.home())

    def load(self, paths) -> None:
        """Read files or folders (an empty list: the bundled sample corpus) in the background."""
        paths = [str(p) for p in paths]
        if self.reader is not None:
            self.reader.stop_event.set()  # its result, if any, is ignored
        cfg = self.form.config()
        tokenizer = cfg.tokenizer if cfg.tokenizer in ("words", "pretokenized") else "words"

        def read(progress, should_stop):
            from ...core.corpus import SAMPLE_CORPUS, read_corpus

            return read_corpus(paths or [SAMPLE_CORPUS], tokenizer, bool(cfg.lowercase), progress, should_stop)

        worker = function_job(read, result=self._read, failed=self._read_failed, crashed=self.crashed,
                              progress=self._read_progress, ended=self._read_done, paths=paths)
        self.reader = worker
        self.box.corpus_label.setText("reading " + (", ".join(Path(p).name for p in paths[:3])
                                                    or "the sample corpus") + "…")
        self.box.read_progress.setValue(0)
        self.box.read_progress.setVisible(True)
        self.changed.emit()
        self.jobs.start(worker)

    def _read_progress(self, worker, share: float) -> None:
        if worker is self.reader:
            self.box.read_progress.setValue(int(1000 * share))

    def _read_done(self, worker) -> None:
        if worker is self.reader:
            self.reader = None
            self.box.read_progress.setVisible(False)
            self.changed.emit()

    def _read(self, worker, corpus) -> None:
        if worker is not self.reader:
            return
        self.corpus, self.paths, self.error = corpus, list(worker.paths), ""  # type: ignore[union-attr]  # function_job's attrs
        self.shown = None  # the previous corpus's result is not shown any further
        self.box.corpus_label.setText(corpus.description + f": {corpus.n_tokens:,} words")
        self.status.emit(f"loaded {corpus.description}", 5000)
        self.prepare()

    def _read_failed(self, worker, message: str) -> None:
        if worker is not self.reader:
            return
        had = self.corpus is not None
        self.box.corpus_label.setText((self.corpus.description + " (kept)") if self.corpus else "no corpus loaded")
        self.problem.emit("Cannot use this text", message + ("\n\nThe previous corpus is still loaded." if had else ""))
        self.failed.emit(message)

    def settings_settled(self) -> None:
        """The settings stopped changing: read again if the words themselves change, else rebuild the trace."""
        cfg = self.form.config()
        if self.corpus is not None and self.form.valid and (
                cfg.tokenizer != self.corpus.tokenizer or cfg.lowercase != self.corpus.lowercase):
            self.load(self.paths)
        else:
            self.prepare()

    def prepare(self) -> None:
        """Build the dataset and its pipeline trace for the current settings, in a worker."""
        if self.corpus is None or not self.form.valid:
            return
        if self.preparer is not None:
            self.prepare_again = True
            return
        corpus, config = self.corpus, self.form.config()

        def prepare(progress, should_stop):
            from ...core.data import build_dataset
            from ...core.summary import summarize
            from ...core.trace import pipeline_trace

            dataset = build_dataset(corpus, config)
            return summarize(dataset, config), pipeline_trace(dataset, config)

        worker = function_job(prepare, result=self._prepared, failed=self._prepare_failed, crashed=self.crashed,
                              ended=self._prepare_done, corpus=corpus)
        self.preparer = worker
        self.jobs.start(worker)

    def _prepared(self, worker, result) -> None:
        if worker.corpus is not self.corpus:
            return
        self.error = ""
        self.shown = shown = self._show(worker, *result)
        in_turns(self, shown, lambda: shown is self.shown)  # until a newer result or corpus replaces it

    def _show(self, worker, summary, trace) -> Iterator[None]:
        """The statistics, the pipeline's stages, then `ready`: a part per event-loop turn, because laying out
        and painting the whole page's new texts in one turn kept the window from answering for 40-90 ms
        (bench --only journey, "loading the corpus")."""
        yield from self.view.show_parts(summary, trace, before_shapes=self.showing.emit)
        self.changed.emit()
        if not self.prepare_again and self.preparer in (None, worker):  # no newer build is on its way
            self.ready.emit()

    def _prepare_failed(self, worker, message: str) -> None:
        if worker.corpus is not self.corpus:
            return
        self.shown = None
        self.error = message
        self.view.show_message(message)
        self.status.emit(message, 10000)
        self.changed.emit()
        if not self.prepare_again:
            self.failed.emit(message)

    def _prepare_done(self, worker) -> None:
        self.preparer = None
        if self.prepare_again:
            self.prepare_again = False
            self.prepare()
