"""SIGTERM (logout, systemd, `kill`) and SIGHUP reach the window like a close without the question: the
training run is cancelled (its best finished epoch's model kept) and the app exits with 128 + the signal.

Python runs a signal handler only when the interpreter gets control, which Qt's event loop does not give
it; `signal.set_wakeup_fd` writes the signal's number to a socket that a QSocketNotifier watches, so the
signal is handled at once, without a polling timer.
"""
from __future__ import annotations

import signal
import socket
from typing import Callable

from PySide6.QtCore import QObject, QSocketNotifier

STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


class SignalBridge(QObject):
    """Calls `on_signal(signum)` on the GUI thread for SIGTERM/SIGHUP."""

    def __init__(self, on_signal: Callable[[int], None], parent=None):
        super().__init__(parent)
        self.on_signal = on_signal
        self._read, self._write = socket.socketpair()
        for end in (self._read, self._write):
            end.setblocking(False)
        self._previous_fd = signal.set_wakeup_fd(self._write.fileno())
        # A Python-level handler must exist or the default action (exit) happens; the work is done below.
        self._previous = {sig: signal.signal(sig, lambda *_: None) for sig in STOP_SIGNALS}
        self.notifier = QSocketNotifier(self._read.fileno(), QSocketNotifier.Type.Read, self)
        self.notifier.activated.connect(self._drain)

    def _drain(self, *_) -> None:
        try:
            data = self._read.recv(64)
        except OSError:
            return
        for signum in data:  # set_wakeup_fd writes one byte per signal: its number
            if signum in STOP_SIGNALS:
                self.on_signal(signum)

    def close(self) -> None:
        """Give the signals back (tests create several windows in one process)."""
        self.notifier.setEnabled(False)
        signal.set_wakeup_fd(self._previous_fd)
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._read.close()
        self._write.close()
