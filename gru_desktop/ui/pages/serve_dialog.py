"""*Use it elsewhere…*: the chosen run's suggestions in other programs (design §16), opened from the
Autocomplete page.

- Server: start/stop `gru-desktop serve RUN` as a child process (QProcess: nothing waits on the GUI thread);
  its address and status; copy its token (read in a worker). The child is started with
  `--exit-with-stdin`, so it ends when the window closes (`shutdown`), and also when the window's process
  dies (its stdin pipe closes).
- Configurations: a ready snippet for Continue (HTTP, with the address and token), Neovim, Helix and VS Code
  (LSP over stdio), copied with one click.
- Exports: the run's n-grams as ARPA or a Presage database, from its counts or distilled from the GRU, written
  in a worker (jobs/ngram_exports.py).
- A run whose kept memorisation audit found exposed text (design §17): its warning line (`serveWarning`),
  read in a worker when the run is set, shown before the server is started (and again from the server's
  ready line, which carries it too).
"""
from __future__ import annotations

import json
import sys

from PySide6.QtCore import QProcess, Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
)

from ...serve.snippets import TOOLS, snippet
from ..workers.threads import function_job, read_job

DEFAULT_PORT = 8765
_ENDING: list[QProcess] = []  # servers asked to end at the window's close, until they have


class ServeDialog(QDialog):
    server_changed = Signal(str)  # "starting", "serving", "stopped", "failed"
    exported = Signal(str)  # the path written
    warning_read = Signal(str)  # the run's exposed-text warning ("" when none), once read in its worker

    def __init__(self, jobs, home=None, parent=None):
        super().__init__(parent, objectName="serveDialog", windowTitle="Use it elsewhere")
        self.jobs, self.home = jobs, home
        self.run_id: int | None = None
        self.url: str | None = None
        self.token: str | None = None
        self.process: QProcess | None = None
        self._stderr = ""
        self._token_worker = self._export_worker = self._warning_worker = None
        self._build()

    # --- layout ---------------------------------------------------------------------------------------
    def _build(self) -> None:
        layout = QVBoxLayout(self)
        self.run_label = QLabel(objectName="serveRunLabel", wordWrap=True)
        layout.addWidget(self.run_label)
        self.warning_label = QLabel(objectName="serveWarning", wordWrap=True, visible=False,
                                    styleSheet="color: #c62828", textFormat=Qt.TextFormat.PlainText)
        layout.addWidget(self.warning_label)

        box = QGroupBox("Server (OpenAI-compatible HTTP on this machine)")
        form = QFormLayout(box)
        row = QHBoxLayout()
        self.port_spin = QSpinBox(objectName="servePortSpin", minimum=0, maximum=65535, value=DEFAULT_PORT,
                                  toolTip="TCP port on 127.0.0.1 (0: any free port)")
        row.addWidget(self.port_spin)
        self.start_button = QPushButton("Start", objectName="serveStartButton")
        self.start_button.clicked.connect(self.toggle_server)
        row.addWidget(self.start_button)
        self.copy_token_button = QPushButton("Copy token", objectName="copyTokenButton", enabled=False,
                                             toolTip="every request needs it: Authorization: Bearer TOKEN")
        self.copy_token_button.clicked.connect(self.copy_token)
        row.addWidget(self.copy_token_button)
        row.addStretch(1)
        form.addRow("Port:", row)
        self.address = QLabel("—", objectName="serveAddress", textInteractionFlags=self._selectable())
        form.addRow("Address:", self.address)
        self.status = QLabel("stopped", objectName="serveStatus", wordWrap=True)
        form.addRow("Status:", self.status)
        layout.addWidget(box)

        box = QGroupBox("Configuration for your editor")
        v = QVBoxLayout(box)
        row = QHBoxLayout()
        self.tool_combo = QComboBox(objectName="snippetToolCombo")
        self.tool_combo.addItems(TOOLS)
        self.tool_combo.currentIndexChanged.connect(self._show_snippet)
        row.addWidget(self.tool_combo)
        row.addStretch(1)
        self.copy_snippet_button = QPushButton("Copy", objectName="copySnippetButton")
        self.copy_snippet_button.clicked.connect(lambda: QApplication.clipboard().setText(self.snippet.toPlainText()))
        row.addWidget(self.copy_snippet_button)
        v.addLayout(row)
        self.snippet: QPlainTextEdit = QPlainTextEdit(objectName="serveSnippet", readOnly=True)
        self.snippet.setMinimumHeight(180)
        v.addWidget(self.snippet, 1)
        layout.addWidget(box, 1)

        box = QGroupBox("Export n-grams for keyboards and toolkits")
        row = QHBoxLayout(box)
        self.format_combo = QComboBox(objectName="exportFormatCombo")
        self.format_combo.addItem("ARPA (KenLM, SRILM)", "arpa")
        self.format_combo.addItem("Presage database (OptiKey, ACAT)", "presage")
        row.addWidget(self.format_combo)
        self.from_combo = QComboBox(objectName="exportFromCombo")
        self.from_combo.addItem("from the counts", "counts")
        self.from_combo.addItem("distilled from the GRU", "gru")
        row.addWidget(self.from_combo)
        self.export_button = QPushButton("Export…", objectName="ngramExportButton")
        self.export_button.clicked.connect(self.choose_export)
        row.addWidget(self.export_button)
        layout.addWidget(box)
        self.export_status = QLabel(objectName="exportStatus", wordWrap=True)
        layout.addWidget(self.export_status)
        close = QPushButton("Close", objectName="serveCloseButton", toolTip="the server keeps running")
        close.clicked.connect(self.hide)
        end = QHBoxLayout()
        end.addStretch(1)
        end.addWidget(close)
        layout.addLayout(end)
        self.resize(720, 640)

    @staticmethod
    def _selectable():
        return Qt.TextInteractionFlag.TextSelectableByMouse

    # --- the run --------------------------------------------------------------------------------------
    def set_run(self, run_id: int | None, label: str = "") -> None:
        self.run_id = run_id
        self.run_label.setText(f"Run: <b>{label or run_id}</b>" if run_id is not None else "Pick a trained run first.")
        running = self.process is not None
        self.start_button.setEnabled(run_id is not None or running)
        self.export_button.setEnabled(run_id is not None)
        self._show_snippet()
        self._read_warning()
        if self.token is None:
            self._read_token()

    def _read_warning(self) -> None:
        """The run's exposed-text warning from its kept audit (one database read, in a worker)."""
        self._show_warning(None)
        if self.run_id is None:
            return

        def read(db):
            from ...jobs.audit import exposed_summary

            return exposed_summary(db, run_id)

        run_id = self.run_id
        self._warning_worker = read_job(self.home, read, result=self._warning_read, failed=lambda *a: None,
                                        run_id=run_id)
        self.jobs.start(self._warning_worker)

    def _warning_read(self, worker, warning: str | None) -> None:
        if worker is self._warning_worker and worker.run_id == self.run_id:
            self._show_warning(warning)
            self.warning_read.emit(warning or "")

    def _show_warning(self, warning: str | None) -> None:
        self.warning_label.setText(f"Warning: {warning}" if warning else "")
        self.warning_label.setVisible(bool(warning))

    def _show_snippet(self) -> None:
        run = self.run_id if self.run_id is not None else "latest"
        url = self.url or f"http://127.0.0.1:{self.port_spin.value() or DEFAULT_PORT}/v1"
        self.snippet.setPlainText(snippet(self.tool_combo.currentText(), run, url, self.token or "TOKEN"))

    def _read_token(self) -> None:
        home = self.home

        def read(progress, should_stop):
            import storage

            from ...serve.token import ensure_token

            return ensure_token(storage.resolve_home(home))

        self._token_worker = function_job(read, result=self._token_read, failed=self._token_failed)
        self.jobs.start(self._token_worker)

    def _token_read(self, worker, token: str) -> None:
        self.token = token
        self.copy_token_button.setEnabled(True)
        self._show_snippet()

    def _token_failed(self, worker, message: str) -> None:
        self.status.setText(f"no token: {message}")

    def copy_token(self) -> None:
        if self.token:
            QApplication.clipboard().setText(self.token)
            self.status.setText(self.status.text().split(" · ")[0] + " · token copied")

    # --- the server -----------------------------------------------------------------------------------
    def toggle_server(self) -> None:
        if self.process is not None:
            self.stop_server()
        else:
            self.start_server()

    def start_server(self) -> None:
        if self.run_id is None or self.process is not None:
            return
        args = ["-m", "gru_desktop"] + (["--home", str(self.home)] if self.home else []) + [
            "serve", str(self.run_id), "--port", str(self.port_spin.value()), "--json", "--exit-with-stdin"]
        proc = QProcess(self)
        proc.readyReadStandardOutput.connect(self._stdout)
        proc.readyReadStandardError.connect(self._stderr_ready)
        proc.finished.connect(self._finished)
        proc.errorOccurred.connect(self._process_error)
        self.process, self._stderr = proc, ""
        proc.start(sys.executable, args)  # stdin stays open: the server ends when it closes
        self._set_state("starting", f"starting run {self.run_id}…")

    def stop_server(self) -> None:
        """Ask the server to end (EOF on its stdin, then SIGTERM); `finished` reports it. Never waits."""
        proc = self.process
        if proc is None:
            return
        proc.closeWriteChannel()
        proc.terminate()
        self._set_state("stopping", "stopping…")

    def shutdown(self) -> None:
        """The window is closing: the child goes too (it also ends by itself on EOF)."""
        proc, self.process = self.process, None
        if proc is not None:
            proc.finished.disconnect(self._finished)
            proc.closeWriteChannel()
            proc.terminate()
            proc.setParent(None)  # not deleted with the dialog (its destructor would wait for the exit)
            _ENDING.append(proc)  # kept until it has exited, then dropped
            proc.finished.connect(lambda *_: _ENDING.remove(proc) if proc in _ENDING else None)

    def _stdout(self) -> None:
        proc = self.process
        if proc is None:
            return
        for line in bytes(proc.readAllStandardOutput().data()).decode(errors="replace").splitlines():
            try:
                info = json.loads(line)
            except ValueError:
                continue
            self.url = info.get("url")
            self.address.setText(self.url or "—")
            if info.get("warning"):
                self._show_warning(info["warning"])
            self._set_state("serving", f"serving run {info.get('run')} to programs on this machine")
            self._show_snippet()

    def _stderr_ready(self) -> None:
        if self.process is not None:
            self._stderr += bytes(self.process.readAllStandardError().data()).decode(errors="replace")

    def _finished(self, code: int, status) -> None:
        error = next((ln[len("error: "):] for ln in self._stderr.splitlines() if ln.startswith("error: ")), "")
        self.process, self.url = None, None
        self.address.setText("—")
        if error:
            self._set_state("failed", f"could not start: {error}")
        else:
            self._set_state("stopped", "stopped")
        self._show_snippet()

    def _process_error(self, error) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self.process = None
            self._set_state("failed", "could not start the server process")

    def _set_state(self, state: str, text: str) -> None:
        self.status.setText(text)
        self.start_button.setText("Stop" if self.process is not None else "Start")
        self.start_button.setEnabled(self.process is not None or self.run_id is not None)
        self.port_spin.setEnabled(self.process is None)
        self.server_changed.emit(state)

    # --- exports --------------------------------------------------------------------------------------
    def choose_export(self) -> None:
        fmt = self.format_combo.currentData()
        suffix = ".arpa" if fmt == "arpa" else ".db"
        path, _ = QFileDialog.getSaveFileName(self, "Export n-grams", f"run-{self.run_id}{suffix}",
                                              "ARPA files (*.arpa)" if fmt == "arpa" else "Presage databases (*.db)")
        if path:
            self.export(path, fmt, self.from_combo.currentData())

    def export(self, path: str, fmt: str, source: str) -> None:
        """Write the export in a worker; `exported(path)` or a message in `export_status` when done."""
        if self.run_id is None or self._export_worker is not None:
            return
        run_id, home = self.run_id, self.home

        def work(progress, should_stop):
            from ...jobs.ngram_exports import export_ngrams
            from ...jobs.runs import open_store

            _, db = open_store(home, write=False)
            try:
                return export_ngrams(db, run_id, path, fmt, source, should_stop=should_stop)
            finally:
                db.close()

        self._export_worker = function_job(work, result=self._exported, failed=self._export_failed,
                                           ended=self._export_ended)
        self.export_button.setEnabled(False)
        self.export_status.setText(f"exporting run {run_id}…")
        self.jobs.start(self._export_worker)

    def _exported(self, worker, made) -> None:
        self._export_worker = None
        self.export_button.setEnabled(self.run_id is not None)
        self.export_status.setText(f"wrote {made.path}: {made.describe()}")
        self.exported.emit(str(made.path))

    def _export_ended(self, worker) -> None:  # also after a crash (a bug: reported by the window's handler)
        if self._export_worker is worker:
            self._export_worker = None
            self.export_button.setEnabled(self.run_id is not None)

    def _export_failed(self, worker, message: str) -> None:
        self._export_worker = None
        self.export_button.setEnabled(self.run_id is not None)
        self.export_status.setText(f"export failed: {message}")
