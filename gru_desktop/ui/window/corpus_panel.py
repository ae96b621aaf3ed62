"""The window's corpus panel (a mixin of `MainWindow`): the Corpus box on the left (open files or a folder,
drop them on the window), reading the text in a worker, and building the dataset and its pipeline trace for
the current settings in another, shown on the Data page."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QGroupBox, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout

from ..workers.threads import function_job


class CorpusPanel:
    def _build_corpus_box(self, col) -> None:
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
            from ...core.corpus import SAMPLE_CORPUS, read_corpus

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
            from ...core.data import build_dataset
            from ...core.summary import summarize
            from ...core.trace import pipeline_trace

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

    def dragEnterEvent(self, event):
        if not self.training and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event):
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths and not self.training:
            event.acceptProposedAction()
            self.load_corpus(paths)
