"""The main window trains in a QThread: epoch table, live curves, progress, the database, cancel, close."""
from __future__ import annotations

import math
import time

from PySide6.QtWidgets import QProgressBar, QTableView

import storage
from ui_helpers import QUICK, click, load, on_train_worker, set_spins


def _db(home):
    return storage.open_db(storage.db_path(home))


def test_train_fills_table_curves_and_database(qtbot, window, corpus_file, home, monkeypatch):
    load(qtbot, window, [corpus_file])
    set_spins(window, {**QUICK, "epochsSpin": 3})
    epochs, steps, ends = [], [], []
    on_train_worker(window, monkeypatch, epoch=epochs.append, steps=steps.extend,  # before it starts
                    stage=lambda s: ends.append(s.text), run_finished=lambda r: ends.append("finished"))
    with qtbot.waitSignal(window.training_finished, timeout=120_000) as finished:
        click(qtbot, window, "trainButton")
        assert window.trainer.active and not window.findChild(QProgressBar, "trainingProgress").value() > 1000
    result = finished.args[0]
    assert result.status == "completed", result.message
    qtbot.waitUntil(lambda: not window.jobs.busy, timeout=10_000)

    table = window.findChild(QTableView, "epochTable")
    assert table.model().rowCount() == 3
    assert [e.epoch for e in epochs] == [1, 2, 3]
    assert steps[0].step == 1  # nothing missed at the start
    assert table.model().index(2, 8).data() == epochs[2].observation

    plot = window.training_view.plot
    assert plot.objectName() == "metricsPlot"
    # the plots are still laid out (a reset once removed them, leaving a blank chart)
    assert plot.getItem(0, 0) is plot.loss_plot and plot.getItem(1, 0) is plot.acc_plot
    assert plot.curves["val_loss"].getViewBox() is plot.loss_plot.getViewBox()
    window.show()  # the step curves are clipped to the visible range: let the plot lay itself out
    qtbot.waitExposed(window)
    plot.redraw()
    qtbot.wait(50)
    x, y = plot.curves["val_loss"].getData()
    assert list(x) == [1, 2, 3]
    assert list(y) == [e.val_loss for e in epochs]
    x, y = plot.curves["val_accuracy"].getData()
    assert list(y) == [100 * e.val_accuracy for e in epochs]
    x, y = plot.curves["step_loss"].getData()
    assert len(x) == len(steps) == steps[-1].step
    assert list(y) == [s.loss for s in steps]
    assert x[-1] == 3.0 and all(a < b for a, b in zip(x, x[1:], strict=False))  # fractional epochs, increasing
    assert plot.best_epoch == result.best_epoch > 0
    assert steps[0].loss > steps[-1].loss  # it learned

    assert window.findChild(QProgressBar, "trainingProgress").value() == 1000
    assert result.model_path in window.statusBar().currentMessage()
    # after the last epoch the window says what it is doing (the blend fit takes minutes on a big corpus)
    assert [e.split(" (")[0].split(" and")[0] for e in ends] == ["Scoring the count-based baseline", "Fitting the blend of GRU",
                                                                   "finished"]
    from gru_desktop.jobs.runs import RunStage

    window.trainer._stage(RunStage(result.run_id, "Fitting the blend of GRU and counts…"))  # the slot the signal reaches
    assert window.controls.progress_bar.format() == "Fitting the blend of GRU and counts…"
    assert "Fitting the blend" in window.statusBar().currentMessage()
    db = _db(home)
    run = storage.get_run(db, result.run_id)
    assert run["status"] == "completed"
    assert run["config"]["hidden_size"] == QUICK["hiddenSizeSpin"]
    assert [e["epoch"] for e in storage.get_epochs(db, result.run_id)] == [1, 2, 3]
    assert len(storage.get_steps(db, result.run_id)) == len(steps)
    assert math.isclose(run["best_val_loss"], min(e.val_loss for e in epochs))
    # settings unlocked again
    assert window.findChild(QTableView, "epochTable") and window.settings_form.inputs["seq_len"].isEnabled()
    assert window.controls.train_button.isEnabled() and not window.controls.cancel_button.isEnabled()


def test_settings_are_locked_while_training_and_cancel_is_quick(qtbot, window, corpus_file, home, monkeypatch):
    load(qtbot, window, [corpus_file])
    set_spins(window, {**QUICK, "epochsSpin": 10_000})
    first_steps = []
    on_train_worker(window, monkeypatch, steps=first_steps.extend)
    click(qtbot, window, "trainButton")
    qtbot.waitUntil(lambda: len(first_steps) > 0, timeout=60_000)
    assert not window.settings_form.inputs["seq_len"].isEnabled()
    assert not window.controls.train_button.isEnabled() and not window.corpus_box.load_button.isEnabled()
    with qtbot.waitSignal(window.training_finished, timeout=5_000) as finished:
        t0 = time.monotonic()
        click(qtbot, window, "cancelButton")
    waited = time.monotonic() - t0
    assert finished.args[0].status == "cancelled"
    assert waited < 1.0, f"cancel took {waited:.2f} s"
    assert storage.get_run(_db(home), finished.args[0].run_id)["status"] == "cancelled"
    assert window.settings_form.inputs["seq_len"].isEnabled() and window.controls.train_button.isEnabled()


def test_escape_cancels(qtbot, window, corpus_file):
    load(qtbot, window, [corpus_file])
    set_spins(window, {**QUICK, "epochsSpin": 10_000})
    click(qtbot, window, "trainButton")
    qtbot.waitUntil(lambda: window.trainer.run_id is not None, timeout=60_000)
    with qtbot.waitSignal(window.training_finished, timeout=5_000) as finished:
        window.menus.cancel_action.trigger()  # the Run menu's Cancel, bound to Esc
    assert finished.args[0].status == "cancelled"
    assert window.menus.cancel_action.shortcut().toString() == "Esc"


def test_closing_while_training_cancels_cleanly(qtbot, make_window, corpus_file, home):
    window = make_window()
    window.show()
    load(qtbot, window, [corpus_file])
    set_spins(window, {**QUICK, "epochsSpin": 10_000})
    click(qtbot, window, "trainButton")
    qtbot.waitUntil(lambda: window.trainer.run_id is not None, timeout=60_000)
    asked = []
    window.confirm_close = lambda: asked.append(1) or False  # the user says no: keep training
    window.close()
    assert asked and window.isVisible() and window.trainer.active
    window.confirm_close = lambda: True
    window.close()
    assert not window.isVisible()
    assert all(not t.isRunning() for t in window.jobs._running)  # every thread ended before close returned
    run = storage.get_run(_db(home), window.trainer.run_id)
    assert run["status"] == "cancelled"


def test_diverging_run_stops_with_a_message(qtbot, window, corpus_file, home, monkeypatch):
    import torch

    from gru_desktop.core.model import GRULanguageModel

    original = GRULanguageModel.from_config.__func__

    def poisoned(cls, config, vocab_size, *device):
        model = original(cls, config, vocab_size, *device)
        with torch.no_grad():
            model.fc.bias[5] = float("nan")
        return model

    monkeypatch.setattr(GRULanguageModel, "from_config", classmethod(poisoned))
    load(qtbot, window, [corpus_file])
    set_spins(window, QUICK)
    with qtbot.waitSignal(window.training_finished, timeout=60_000) as finished:
        click(qtbot, window, "trainButton")
    result = finished.args[0]
    assert result is not None, window.messages.last_problem
    assert result.status == "failed" and "diverged" in result.message
    assert "learning rate" in window.messages.last_problem
    assert storage.get_run(_db(home), result.run_id)["status"] == "failed"


def test_probe_field_adds_rows_that_fill_per_epoch(qtbot, window, corpus_file, home):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QLineEdit, QTableWidget

    load(qtbot, window, [corpus_file])
    set_spins(window, {**QUICK, "epochsSpin": 3})
    probe = window.findChild(QLineEdit, "probeEdit")
    view = window.findChild(QTableWidget, "samplesView")
    panel = window.training_view.samples
    qtbot.keyClicks(probe, "thank you  for your")
    qtbot.keyClick(probe, Qt.Key.Key_Return)  # Enter adds it
    assert probe.text() == "" and panel.probes == ["thank you for your"]
    assert view.rowCount() == 1 and view.verticalHeaderItem(0).text() == "thank you for your"
    probe.setText("the cat sat on the")
    click(qtbot, window, "addProbeButton")
    probe.setText("a probe to remove")
    click(qtbot, window, "addProbeButton")
    assert view.rowCount() == 3
    view.selectRow(2)
    click(qtbot, window, "removeProbeButton")
    assert panel.probes == ["thank you for your", "the cat sat on the"] and view.rowCount() == 2
    probe.setText("   ")
    click(qtbot, window, "addProbeButton")  # nothing to add: said, not added
    assert panel.probes == ["thank you for your", "the cat sat on the"] and panel.hint.text()

    epochs, filled = [], []
    add_epoch = window.training_view.add_epoch

    def record(epoch):  # on the GUI thread, as each epoch reaches the page
        add_epoch(epoch)
        epochs.append(epoch)
        filled.append((view.columnCount(), panel.row_words("the cat sat on the")))

    window.training_view.add_epoch = record
    with qtbot.waitSignal(window.training_finished, timeout=120_000) as finished:
        click(qtbot, window, "trainButton")
        assert not probe.isEnabled()  # a run reads its probes when it starts
    assert finished.args[0].status == "completed"
    assert [n for n, _ in filled] == [1, 2, 3]  # a column per epoch, as each ends
    assert [len(words) for _, words in filled] == [1, 2, 3] and all(w for _, words in filled for w in words)
    assert view.columnCount() == 3 and view.horizontalHeaderItem(2).text() == "epoch 3"
    assert view.rowCount() == len(epochs[0].samples) == 5 + 2  # five from the validation text, then the probes
    for e in epochs:
        assert [s["prefix"] for s in e.samples[-2:]] == ["thank you for your", "the cat sat on the"]
    assert panel.row_words("the cat sat on the") == [e.samples[-1]["suggestions"] for e in epochs]
    assert all(len(w) == 3 for w in panel.row_words("thank you for your"))
    row = [view.verticalHeaderItem(r).text() for r in range(view.rowCount())].index("the cat sat on the")
    assert view.item(row, 2).text() == " · ".join(epochs[2].samples[-1]["suggestions"])
    validation = epochs[0].samples[0]["prefix"]
    assert view.verticalHeaderItem(0).text() == validation and view.verticalHeaderItem(0).font().italic()
    assert probe.isEnabled()
    # stored per epoch with the run, and the epoch table's tooltip shows them too
    stored = storage.get_epochs(_db(home), finished.args[0].run_id)
    assert [e["samples"] for e in stored] == [e.samples for e in epochs]
    tip = window.findChild(QTableView, "epochTable").model().index(0, 0).data(Qt.ItemDataRole.ToolTipRole)
    assert f"the cat sat on the → {', '.join(epochs[0].samples[-1]['suggestions'])}" in tip


def test_probes_are_remembered_between_sessions(qtbot, make_window):
    first = make_window()
    assert first.training_view.samples.add_probe("dear sir")
    first.close()
    second = make_window()
    assert second.training_view.samples.probes == ["dear sir"]
    assert not second.training_view.samples.add_probe("dear   sir")  # the same probe twice
