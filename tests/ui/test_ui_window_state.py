"""What the window remembers (ui/window/state.py): a damaged settings file means the defaults for what is
damaged, never a window that does not open."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings

from gru_desktop.core.config import TrainConfig

DAMAGED = [
    {"corpus": "[\"a.txt\", "},  # truncated JSON
    {"corpus": "5"},  # JSON, but not a list
    {"corpus": "{\"a\": 1}", "probes": "7", "config": "[1, 2]"},
    {"config": "{\"seq_len\": \"ten\"}", "probes": "{"},
    {"geometry": "not a geometry", "mainSplitter": "12", "trainingSplitter3": "x"},
]


@pytest.mark.parametrize("values", DAMAGED)
def test_a_damaged_settings_file_opens_with_the_defaults(qtbot, home, tmp_path, values):
    from gru_desktop.ui.window.main_window import MainWindow

    path = str(tmp_path / "gui.ini")
    s = QSettings(path, QSettings.Format.IniFormat)
    for key, value in values.items():
        s.setValue(key, value)
    s.sync()
    w = MainWindow(home=home, settings=QSettings(path, QSettings.Format.IniFormat), load_last=False)
    qtbot.addWidget(w)
    try:
        assert w.data.paths == [] and isinstance(w.settings_form.config(), TrainConfig)
    finally:
        w.close()
        assert w.jobs.stop_all(20_000)


def test_what_is_saved_comes_back(qtbot, make_window, corpus_file):
    w = make_window()
    w.settings_form.set_config(TrainConfig(seq_len=7, lr=0.000002))
    w.training_view.samples.set_probes(["the cat"])
    w.data.paths = [str(corpus_file)]
    w.close()
    again = make_window()
    assert again.settings_form.config().seq_len == 7 and again.settings_form.config().lr == 0.000002
    assert again.training_view.samples.probes == ["the cat"] and again.data.paths == [str(corpus_file)]
