"""The window and faults (issue 11): SIGTERM while training cancels the run and exits 143; a read-only data
folder still lists runs and suggests; a disk fault in a slot is a plain message, not a traceback."""
from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from gru_desktop.logs import LOG_NAME
from gru_desktop.ui.window.errors import ErrorHandler

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Starts the app as `python main.py` does, then training on the bundled sample once the corpus is read.
_TRAIN_AT_START = """
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QSpinBox
import gru_desktop.ui.window.main_window as mw
real_show = mw.MainWindow.show
def show(self):
    real_show(self)
    def go():
        if self.data.corpus is None or not self.controls.train_button.isEnabled():
            QTimer.singleShot(100, go)
            return
        for name, value in (("epochsSpin", 500), ("patienceSpin", 0), ("hiddenSizeSpin", 16), ("embedDimSpin", 8)):
            self.findChild(QSpinBox, name).setValue(value)
        self.trainer.start()
    QTimer.singleShot(100, go)
mw.MainWindow.show = show
from gru_desktop.ui.window.app import main
raise SystemExit(main([]))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigterm_while_training_cancels_the_run_and_exits_143(tmp_path):
    home = tmp_path / "home"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "GRU_DESKTOP_HOME": str(home),
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-c", _TRAIN_AT_START], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None and not _epochs(home):
            time.sleep(0.2)
        assert proc.poll() is None, proc.communicate()[1]
        assert _epochs(home), "no epoch finished in time"
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    stderr = proc.stderr.read()
    assert code == 143, stderr
    assert "Traceback" not in stderr
    con = sqlite3.connect(home / "runs.db")
    try:
        [(status, model_path)] = con.execute("SELECT status, model_path FROM runs").fetchall()
    finally:
        con.close()
    assert status == "cancelled"
    assert (home / model_path).is_file()


def _epochs(home) -> int:
    try:
        con = sqlite3.connect(f"file:{home / 'runs.db'}?mode=ro", uri=True)
        try:
            return con.execute("SELECT COUNT(*) FROM epochs").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def test_disk_fault_in_a_slot_is_a_plain_message(qtbot, tmp_path):
    handler = ErrorHandler(home=tmp_path)
    try:
        raise sqlite3.OperationalError("database or disk is full")
    except sqlite3.OperationalError:
        with qtbot.waitSignal(handler.notice):
            handler._excepthook(*sys.exc_info())
    qtbot.waitUntil(lambda: bool(handler.dialogs), timeout=2000)
    box = handler.dialogs[-1]
    assert box.text().startswith("no space left on the disk holding")
    assert not box.detailedText()
    assert not (tmp_path / LOG_NAME).exists()
    box.close()


def test_read_only_data_folder_lists_and_suggests(qtbot, make_window, tmp_path_factory, home, monkeypatch):
    """The pages open runs.db read-only when it cannot be written (here: writing refused as on a full disk)."""
    import shutil

    import storage
    import storage.store
    from gru_desktop.core.config import TrainConfig
    from ui_helpers import runs_read, train_runs

    src = train_runs(tmp_path_factory, {"one": TrainConfig(seq_len=4, embed_dim=8, hidden_size=16, epochs=1)})
    shutil.copytree(src, home)

    def full(path):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(storage.store, "open_db", full)
    window = make_window()
    page = window.autocomplete
    page.refresh_runs()
    assert storage.is_read_only(storage.open_store(home, write=False)[1])  # what the page's reads get
    qtbot.waitUntil(lambda: page.predictor is not None, timeout=20_000)
    runs_read(qtbot, window.runs_page)
    assert window.runs_page.model.rowCount() >= 1
