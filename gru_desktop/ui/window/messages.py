"""The window's message boxes: readable, window-modal but never blocking the event loop (workers keep running),
and the text of the last one kept for tests and the status bar; a bug's traceback goes to the app's error
handler (a dialog, and the log: `errors.py`), or without one to a box with its last line."""
from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from ..workers.threads import BackgroundJobs
from .errors import ErrorHandler


class Messages:
    def __init__(self, parent: QWidget, jobs: BackgroundJobs, error_handler: ErrorHandler | None = None):
        self.parent = parent
        self.jobs = jobs
        self.error_handler = error_handler  # ErrorHandler (errors.py) of the app; None in tests
        self.last_problem = ""  # the text of the last problem shown
        self._boxes: list[QMessageBox] = []  # the open boxes: kept alive until they close

    def problem(self, title: str, text: str) -> None:
        """A warning box. None once the window is closed: a job cancelled by the closing (e.g. a corpus still
        being read) would otherwise open a box that keeps the app running with no window."""
        self.last_problem = text
        if self.jobs.closed:
            return
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self.parent)
        box.setObjectName("problemBox")
        self.open(box)

    def open(self, box: QMessageBox) -> None:
        """Show `box` without blocking; it is forgotten when it closes."""
        box.finished.connect(lambda *_: self._boxes.remove(box) if box in self._boxes else None)
        self._boxes.append(box)
        box.open()

    def ask(self, title: str, text: str) -> bool:
        """A yes/no question (modal: used only where the answer decides what happens next)."""
        return QMessageBox.question(self.parent, title, text) == QMessageBox.StandardButton.Yes

    def crashed(self, text: str) -> None:
        """A bug in a worker or a controller: `text` is its traceback."""
        if self.error_handler is not None:
            self.error_handler.report.emit(text)
        else:
            self.problem("Unexpected error", text.strip().splitlines()[-1])
