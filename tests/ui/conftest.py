"""GUI fixtures: a MainWindow on a temporary data dir and settings file, closed cleanly after each test."""
from __future__ import annotations

import os

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402

from ui_helpers import private_copy, write_corpus  # noqa: E402


@pytest.fixture
def home(request, tmp_path, monkeypatch):
    """The test's data folder (GRU_DESKTOP_HOME): empty, or, in a module that defines a `trained_home` fixture
    (a data folder with trained runs, made once per module), a private copy of it per test (tests delete files,
    rename runs and write evaluation numbers)."""
    home = tmp_path / "home"
    monkeypatch.setenv("GRU_DESKTOP_HOME", str(home))
    if hasattr(request.module, "trained_home"):
        return private_copy(request.getfixturevalue("trained_home"), home)
    return home


@pytest.fixture
def settings_file(tmp_path):
    return str(tmp_path / "gui.ini")


@pytest.fixture
def make_window(qtbot, home, settings_file):
    from gru_desktop.ui.window.main_window import MainWindow

    windows = []

    def make(load_last: bool = False):
        w = MainWindow(home=home, settings=QSettings(settings_file, QSettings.Format.IniFormat), load_last=load_last)
        w.confirm_close = lambda: True
        qtbot.addWidget(w)
        windows.append(w)
        return w

    yield make
    for w in windows:  # no thread may outlive the test (design §9)
        w.close()
        assert w.jobs.stop_all(20_000)


@pytest.fixture
def window(make_window):
    return make_window()


@pytest.fixture
def corpus_file(tmp_path):
    return write_corpus(tmp_path)
