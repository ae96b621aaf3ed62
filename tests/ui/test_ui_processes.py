"""The Advanced group's Device and Processes (design §12): only present devices can be chosen; with more
than one process the window runs the command line under torchrun and follows the run from the database."""
from __future__ import annotations

import sys

import pytest
from PySide6.QtWidgets import QComboBox, QLabel, QPushButton, QTableView

import storage
from ui_helpers import QUICK, click, load, set_spins


def test_device_combo_enables_only_present_devices(qtbot, window):
    combo = window.findChild(QComboBox, "deviceCombo")
    window.settings_form.set_present_devices(["cpu"])  # what a CPU-only machine reports
    items = {combo.itemText(i): combo.model().item(i).isEnabled() for i in range(combo.count())}
    assert items == {"auto": True, "cpu": True, "cuda": False, "mps": False}
    combo.setCurrentText("cuda")
    assert not window.settings_form.valid and "not present" in window.settings_form.errors["device"]
    assert not window.controls.train_button.isEnabled()
    combo.setCurrentText("cpu")
    assert window.settings_form.valid
    window.settings_form.set_present_devices(["cpu", "cuda:0", "cuda:1"])  # a machine with two GPUs
    names = [combo.itemText(i) for i in range(combo.count())]
    assert "cuda:0" in names and "cuda:1" in names and combo.model().item(names.index("cuda")).isEnabled()


@pytest.mark.skipif(sys.platform == "win32", reason="torchrun's c10d store")
def test_two_processes_train_through_torchrun_and_are_followed(qtbot, window, corpus_file, home):
    load(qtbot, window, [corpus_file])
    set_spins(window, {**QUICK, "epochsSpin": 2, "processesSpin": 2, "threadsSpin": 1, "batchSizeSpin": 16})
    window.findChild(QComboBox, "deviceCombo").setCurrentText("cpu")
    epochs = []
    with qtbot.waitSignal(window.training_finished, timeout=240_000) as finished:
        click(qtbot, window, "trainButton")
        window.trainer.worker.epoch.connect(epochs.append)
        qtbot.waitUntil(lambda: window.trainer.run_id is not None, timeout=120_000)
        assert window.findChild(QLabel, "deviceLabel").text() == "training on cpu, 2 processes"
    result = finished.args[0]
    assert result.status == "completed", result.message
    assert [e.epoch for e in epochs] == [1, 2]
    assert window.findChild(QTableView, "epochTable").model().rowCount() == 2
    db = storage.open_db(storage.db_path(home))
    run = storage.get_run(db, result.run_id)
    assert run["processes"] == 2 and run["status"] == "completed" and len(storage.list_runs(db)) == 1
    assert [e["val_loss"] for e in storage.get_epochs(db, result.run_id)] == [e.val_loss for e in epochs]
    assert result.model_path and result.model_path == run["model_path"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_cancel_sends_sigint_and_the_run_is_cancelled(qtbot, window, corpus_file, home):
    load(qtbot, window, [corpus_file])
    set_spins(window, {**QUICK, "epochsSpin": 500, "patienceSpin": 0, "processesSpin": 2, "threadsSpin": 1,
                       "batchSizeSpin": 16})
    window.findChild(QComboBox, "deviceCombo").setCurrentText("cpu")
    epochs = []
    with qtbot.waitSignal(window.training_finished, timeout=240_000) as finished:
        click(qtbot, window, "trainButton")
        window.trainer.worker.epoch.connect(epochs.append)
        qtbot.waitUntil(lambda: len(epochs) >= 1, timeout=180_000)
        pause = window.findChild(QPushButton, "pauseButton")  # several processes write no checkpoints
        assert not pause.isEnabled() and "cannot be paused" in pause.toolTip()
        window.trainer.pause()  # the shortcut's way in does nothing either: Cancel still works
        assert not window.trainer.worker.pause_event.is_set()
        window.trainer.cancel()
    result = finished.args[0]
    assert result.status == "cancelled", result.message
    assert result.model_path
    run = storage.get_run(storage.open_db(storage.db_path(home)), result.run_id)
    assert run["status"] == "cancelled" and run["epochs_done"] >= 1


def test_train_command_spells_every_setting_so_the_cli_reads_it_back():
    """The child's command line: every setting, "auto" ones included, read back to the same config."""
    from gru_desktop.cli.parser import build_parser, config_from_args
    from gru_desktop.core.config import TrainConfig
    from gru_desktop.ui.workers.process_worker import train_command

    for config in (TrainConfig(), TrainConfig(lr=0.01, dropout=0.2, epochs=3, processes=2)):
        cmd = train_command(["a.txt"], config, None)
        args = build_parser().parse_args(cmd[3:])
        assert config_from_args(args) == config
