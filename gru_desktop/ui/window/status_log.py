"""Warnings in the status bar: what a CLI user reads as `warning: …` lines on stderr (a baseline that
could not be computed, a checkpoint that could not be written, a blend that failed to fit), a GUI user
sees here. A logging handler on the app's logger (gru_desktop/logs.py) relays each warning through a
signal, so any thread may log; the GUI thread shows it for a while and keeps the latest ones in a
permanent label (`logWarnings`) whose tooltip lists them, because a transient message is easily missed.
"""
from __future__ import annotations

import datetime
import logging
from collections import deque

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel, QMainWindow

SHOW_MS = 20_000
KEEP = 10  # warnings listed in the label's tooltip
MAX_CHARS = 90  # of the latest warning in the label


class _Relay(QObject):
    message = Signal(str)


class StatusBarLog(logging.Handler):
    """Shows WARNING and above of the `gru_desktop` logger in `window`'s status bar."""

    def __init__(self, window: QMainWindow, level: int = logging.WARNING):
        super().__init__(level)
        self.window = window
        self.recent: deque[str] = deque(maxlen=KEEP)
        self.label = QLabel(objectName="logWarnings")
        self.label.setVisible(False)
        window.statusBar().addPermanentWidget(self.label)
        self.relay = _Relay()  # lives in the GUI thread: a signal from another thread is queued to it
        self.relay.message.connect(self._show)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.relay.message.emit(record.getMessage().strip().splitlines()[0] if record.getMessage().strip() else "")
        except RuntimeError:  # the window (and its relay) is gone: nothing to show it in
            self.handleError(record)

    def _show(self, text: str) -> None:
        stamp = datetime.datetime.now().strftime("%H:%M:%S")
        self.recent.append(f"{stamp}  {text}")
        short = text if len(text) <= MAX_CHARS else text[: MAX_CHARS - 1] + "…"
        self.label.setText(f"⚠ {short}")
        self.label.setToolTip("Recent warnings (also in the log file, gru-desktop.log in the data folder):\n"
                              + "\n".join(self.recent))
        self.label.setVisible(True)
        self.window.statusBar().showMessage(f"warning: {text}", SHOW_MS)


def install(window: QMainWindow, home=None) -> StatusBarLog:
    """The app's logging for the window: the data folder's log file, and warnings in the status bar."""
    from ... import logs

    log = logs.setup(home)
    for old in [h for h in log.handlers if isinstance(h, StatusBarLog)]:
        log.removeHandler(old)
    handler = StatusBarLog(window)
    log.addHandler(handler)
    return handler


def uninstall(handler: StatusBarLog) -> None:
    logging.getLogger("gru_desktop").removeHandler(handler)
