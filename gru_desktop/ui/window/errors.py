"""One handler for every unexpected error: it logs the traceback to `gru-desktop.log` in the data dir (the
app's one log, gru_desktop/logs.py) and shows a readable dialog, so the app never dies silently (a slot's
exception, a Python thread's, or a worker's `crashed` signal all come here)."""
from __future__ import annotations

import logging
import sys
import threading
import traceback
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QMessageBox

log = logging.getLogger(__name__)


class ErrorHandler(QObject):
    report = Signal(str)  # a formatted traceback; queued, so any thread may emit it
    notice = Signal(str)  # a fault the user can fix (full disk, read-only or damaged data): its message

    def __init__(self, home=None, parent=None):
        super().__init__(parent)
        self.home = home
        self.window = None  # the dialog's parent, once the main window exists
        self.last_log: Path | None = None
        self.dialogs: list[QMessageBox] = []
        self.report.connect(self._show)
        self.notice.connect(self._show_notice)

    def install(self) -> "ErrorHandler":
        sys.excepthook = self._excepthook
        threading.excepthook = lambda args: self._excepthook(args.exc_type, args.exc_value, args.exc_traceback)
        return self

    def _excepthook(self, exc_type, exc, tb):
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        from ...jobs.faults import user_message

        message = user_message(exc, self.home) if exc is not None else None
        if message is not None:
            self.notice.emit(message)
            return
        self.report.emit("".join(traceback.format_exception(exc_type, exc, tb)))

    def write_log(self, text: str) -> Path | None:
        """The traceback into the data folder's log file; the file, or None when it could not be written."""
        from ... import logs

        logs.ensure_file(self.home)  # writing it never raises: a failure leaves log_file() None
        log.error("unexpected error in the window\n%s", text.rstrip(), extra={"file_only": True})
        self.last_log = logs.log_file()
        return self.last_log

    @Slot(str)
    def _show_notice(self, message: str) -> None:
        """A fault with a message of its own (e.g. "the data folder … is read-only"): no traceback, no log."""
        self._open(QMessageBox(QMessageBox.Icon.Warning, "GRU Desktop", message, QMessageBox.StandardButton.Ok,
                               self.window))

    @Slot(str)
    def _show(self, text: str) -> None:
        sys.stderr.write(text)
        path = self.write_log(text)
        last = text.strip().splitlines()[-1] if text.strip() else "unknown error"
        box = QMessageBox(QMessageBox.Icon.Critical, "GRU Desktop: something went wrong",
                          f"An unexpected error happened:\n\n{last}\n\nThe app keeps running. "
                          + (f"The details were written to {path}." if path else "The details could not be logged."),
                          QMessageBox.StandardButton.Ok, self.window)
        box.setDetailedText(text)
        self._open(box)

    def _open(self, box: QMessageBox) -> None:
        box.finished.connect(lambda *_: self.dialogs.remove(box) if box in self.dialogs else None)
        self.dialogs.append(box)
        box.open()  # not exec(): a dialog per error without nesting event loops
