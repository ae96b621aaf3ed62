"""Warnings reach the GUI user: the app's logger shows them in the status bar (and writes the log file)."""
from __future__ import annotations

import logging
import threading

from PySide6.QtWidgets import QLabel

from gru_desktop.logs import LOG_NAME
from gru_desktop.ui.window import status_log


def test_a_warning_from_a_worker_thread_shows_in_the_status_bar_and_the_log(qtbot, window, home):
    handler = status_log.install(window, home)
    try:
        worker = threading.Thread(target=lambda: logging.getLogger("gru_desktop.jobs.runs").warning(
            "run %s: the checkpoint could not be written", 7))
        worker.start()
        worker.join()
        label = window.findChild(QLabel, "logWarnings")
        qtbot.waitUntil(lambda: label.isVisibleTo(window), timeout=5000)
        assert "run 7: the checkpoint could not be written" in label.text()
        assert "run 7" in window.statusBar().currentMessage() and "run 7" in label.toolTip()
        logging.getLogger("gru_desktop.jobs.runs").info("a note is not a warning")
        qtbot.wait(50)
        assert "note" not in label.toolTip()
        text = (home / LOG_NAME).read_text(encoding="utf-8")
        assert "WARNING gru_desktop.jobs.runs" in text and "run 7: the checkpoint could not be written" in text
    finally:
        status_log.uninstall(handler)


def test_the_baseline_warning_that_went_to_stderr_is_seen(qtbot, window, home, corpus_file, monkeypatch):
    """The runs job's baseline warning (a print to stderr before, which a GUI user never saw)."""
    from gru_desktop.core.config import TrainConfig
    from gru_desktop.jobs import baselines, run_driver, runs

    def broken(*_args, **_kw):
        raise MemoryError("no room for the counts")

    monkeypatch.setattr(baselines, "ensure_baseline", broken)
    handler = status_log.install(window, home)
    try:
        config = TrainConfig(epochs=1, embed_dim=8, hidden_size=8, vocab_size=100)
        dataset = runs.prepare([corpus_file], config)
        _, db = runs.open_store(home)
        run_driver._baseline(db, dataset, config)
        label = window.findChild(QLabel, "logWarnings")
        qtbot.waitUntil(lambda: label.isVisibleTo(window), timeout=5000)
        assert "no count-based baseline for this corpus: MemoryError: no room for the counts" in label.text()
    finally:
        status_log.uninstall(handler)
