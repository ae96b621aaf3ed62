"""Start the desktop app: QApplication, the error handler, the main window; torch comes later.

Only PySide6 and our light modules are imported before the window is painted: pyqtgraph and torch
(~0.3 s and ~1.1 s) are imported after the first paint, off the critical path (design §10: ≤ 0.5 s).
"""
from __future__ import annotations

import os
import sys
from typing import cast


def configure_process() -> None:
    """Process-wide settings of the desktop app (also used by `bench gui`, so it measures the same app)."""
    os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
    # OpenMP threads that sleep instead of spinning when they wait. With the default (spinning), torch's
    # two threads collapse when anything else wants a core — here the GUI thread itself, or any other
    # program: measured 850 tokens/s instead of 43,000-56,000 while another process was busy. Read by
    # libgomp when torch is first imported, so it must be set before that; the user may override it.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    # The training thread runs Python between torch ops; with the default 5 ms GIL switch interval the GUI
    # thread waited up to that long for each turn. 1 ms: 10 ms timer p99 lateness 10.2 -> 6.7 ms (measured).
    sys.setswitchinterval(0.001)


def main(argv: list[str] | None = None) -> int:
    from .crash_log import enable_early, to_log_file

    enable_early()  # a fatal signal prints every thread's stack (to the log file once it is known)
    configure_process()
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    app = cast(QApplication, QApplication.instance() or QApplication(sys.argv[:1] if argv is None else
                                                                     ["gru-desktop", *argv]))
    app.setApplicationName("gru-desktop")
    app.setOrganizationName("gru-desktop")
    app.setApplicationDisplayName("GRU Desktop")
    from .errors import ErrorHandler
    from .icons import app_icon
    from .main_window import MainWindow

    app.setWindowIcon(app_icon())
    handler = ErrorHandler(parent=app).install()
    window = MainWindow(error_handler=handler)
    handler.window = window
    window.show()
    from . import status_log

    logging_handlers = []  # once warmed up: the log file's setup needs storage, which loads in a worker
    window.warmed_up.connect(lambda: logging_handlers.append(status_log.install(window, window.home)))
    window.warmed_up.connect(lambda: to_log_file(window.home))
    if os.environ.get("GRU_DESKTOP_STARTUP_PROBE"):  # `bench startup`: report first paint, then quit
        window.first_painted.connect(lambda: QTimer.singleShot(0, window.close))
    from .signals import SignalBridge

    received: list[int] = []

    def stop_for_signal(signum: int) -> None:  # SIGTERM/SIGHUP: close without asking, training cancelled
        received.append(signum)
        window.confirm_close = lambda: True
        window.close()
        app.quit()

    bridge = SignalBridge(stop_for_signal, app)
    code = app.exec()
    if not window.jobs.shutdown():  # the window normally did this on close; never leave a thread running
        code = _outlive_workers(window.jobs, code)
    for log_handler in logging_handlers:
        status_log.uninstall(log_handler)
    bridge.close()
    return 128 + received[0] if received else code


def run(argv: list[str] | None = None) -> int:
    """`gru-desktop` and `python main.py`: the window (`main`), then leave without Python's teardown.

    By the time `main` returns the window is closed, every worker has ended and the log handlers are off;
    what is left is Python finalizing PySide6's and torch's objects, and that crashed: 3 of 200 launch/close
    cycles (tools/stress_launch.py, all at a 5 s close delay) ended in a segmentation fault whose stack had
    no Python frame and no other thread, i.e. after the last line of Python ran (PySide6's exit-time
    destruction, upstream PYSIDE-2254). Nothing of the user's is in memory then (runs and settings are
    written by the close), so the process flushes its streams and logs and exits with `main`'s code."""
    code = main(argv)
    import logging

    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed or broken pipe: nothing more can be said there
            pass
    os._exit(code)


LAST_WAIT_S = 300


def _outlive_workers(jobs, code: int) -> int:
    """Wait for workers that did not stop within shutdown's 10 s: work that cannot be interrupted (the
    warm-up's `import torch` took over 25 s on a 2-core machine with a load of 10). Returning while one runs
    crashed the app as it ended (tools/stress_launch.py: "QThread: Destroyed while thread is still running",
    SIGABRT, with the warm-up worker's stack inside torch's import), as does Python finalizing under a thread
    that still runs Python code. The window is closed already; if they still run after LAST_WAIT_S, leave
    without tearing anything down (os._exit) rather than crash."""
    import logging
    import time

    deadline = time.monotonic() + LAST_WAIT_S
    while time.monotonic() < deadline:
        if jobs.stop_all(1000):
            return code
    logging.getLogger("gru_desktop").warning("a background task did not end within %d s of closing; leaving "
                                             "without waiting for it", LAST_WAIT_S)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
