"""The window's message boxes: readable, window-modal but never blocking the event loop (workers keep running),
and the text of the last one kept for tests and the status bar."""
from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from ..workers.threads import BackgroundJobs


class Messages:
    def __init__(self, parent: QWidget, jobs: BackgroundJobs):
        self.parent = parent
        self.jobs = jobs
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
