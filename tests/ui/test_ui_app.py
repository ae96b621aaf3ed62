"""Start-up and the error handler: the window paints before torch and pyqtgraph are imported; errors are
logged and shown, never silent."""
from __future__ import annotations

import os
import subprocess
import sys
import threading

from gru_desktop.logs import LOG_NAME
from gru_desktop.ui.window.errors import ErrorHandler

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_window_is_built_without_torch_pyqtgraph_storage_or_numpy(tmp_path):
    code = (
        "import sys; from PySide6.QtWidgets import QApplication; app = QApplication([]);"
        "from PySide6.QtCore import QSettings;"
        "from gru_desktop.ui.window.main_window import MainWindow;"
        f"w = MainWindow(home={str(tmp_path)!r}, settings=QSettings({str(tmp_path / 'g.ini')!r}, QSettings.Format.IniFormat), load_last=False);"
        "w.show(); app.processEvents();"
        "print(sorted(m for m in ('torch', 'pyqtgraph', 'sqlite_utils', 'numpy') if m in sys.modules))"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYQTGRAPH_QT_LIB": "PySide6"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_app_starts_paints_and_quits(tmp_path):
    """`python main.py` opens the window (here: reports its first paint and closes, as `bench startup` does)."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "GRU_DESKTOP_HOME": str(tmp_path),
           "GRU_DESKTOP_STARTUP_PROBE": "1", "XDG_CONFIG_HOME": str(tmp_path / "config")}
    out = subprocess.run([sys.executable, "main.py"], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "first-paint" in out.stdout


def test_errors_are_logged_and_shown(qtbot, tmp_path):
    handler = ErrorHandler(home=tmp_path)
    try:
        raise ValueError("boom in a slot")
    except ValueError:
        with qtbot.waitSignal(handler.report):
            handler._excepthook(*sys.exc_info())
    qtbot.waitUntil(lambda: bool(handler.dialogs), timeout=2000)
    box = handler.dialogs[-1]
    assert "ValueError: boom in a slot" in box.text()
    assert str(tmp_path / LOG_NAME) in box.text()
    log = (tmp_path / LOG_NAME).read_text()
    assert "Traceback" in log and "boom in a slot" in log
    box.close()


def test_thread_errors_reach_the_handler(qtbot, tmp_path):
    handler = ErrorHandler(home=tmp_path)
    saved = sys.excepthook, threading.excepthook
    try:
        handler.install()

        def fail():
            raise RuntimeError("boom in a thread")

        with qtbot.waitSignal(handler.report) as reported:
            t = threading.Thread(target=fail)
            t.start()
            t.join()
        assert "RuntimeError: boom in a thread" in reported.args[0]
    finally:
        sys.excepthook, threading.excepthook = saved
    qtbot.waitUntil(lambda: bool(handler.dialogs), timeout=2000)
    for box in list(handler.dialogs):
        box.close()
