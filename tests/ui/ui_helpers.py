"""Shared by the GUI tests: a small corpus, quick settings, and helpers to drive the window by object names."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractSpinBox, QPushButton

SENTENCES = [
    "the cat sat on the mat.",
    "the dog sat on the rug.",
    "my cat likes warm milk.",
    "the bird sang in the morning.",
    "we walked to the park today.",
    "thank you for your letter.",
]

QUICK = {"embedDimSpin": 8, "hiddenSizeSpin": 16, "vocabSizeSpin": 200, "epochsSpin": 2}


def write_corpus(folder: Path, repeat: int = 30) -> Path:
    p = folder / "small.txt"
    p.write_text("\n".join(SENTENCES * repeat), encoding="utf-8")
    return p


def set_spins(window, values: dict) -> None:
    for name, value in values.items():
        box = window.findChild(QAbstractSpinBox, name)
        assert box is not None, name
        box.setValue(value)


def click(qtbot, window, name: str) -> None:
    button = window.findChild(QPushButton, name)
    assert button is not None and button.isEnabled(), name
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def load(qtbot, window, paths, timeout: int = 20_000) -> None:
    with qtbot.waitSignal(window.corpus_ready, timeout=timeout):
        window.load_corpus(paths)


def autocomplete_loaded(qtbot, window):
    """The window's Autocomplete page once it has loaded the latest run's model (in its worker) and the
    learning panel has given that predictor its personal part (another worker): typing before then would
    learn or not by timing."""
    page = window.autocomplete
    with qtbot.waitSignal(page.model_loaded, timeout=30_000):
        page.refresh_runs()
    learning = page.learning
    qtbot.waitUntil(lambda: learning.learner is not None and page.predictor is not None
                    and page.predictor.personal is learning.learner.part, timeout=30_000)
    return page


def runs_read(qtbot, page, timeout: int = 10_000) -> None:
    """The Runs page reads the runs again (in its worker, as the window does) and shows what is stored now."""
    with qtbot.waitSignal(page.refreshed, timeout=timeout):
        page.refresh()


def private_copy(src: Path, dst: Path) -> Path:
    """A copy of a data folder for one test (tests delete files, rename runs): model paths point into it."""
    import shutil

    import storage

    shutil.copytree(src, dst)
    db = storage.open_db(storage.db_path(dst))
    for r in storage.list_runs(db):
        db["runs"].update(r["id"], {"model_path": str(storage.model_path(dst, r["id"]))})
    return dst


def train_runs(tmp_path_factory, configs: dict) -> Path:
    """A data folder with one completed run per (name, TrainConfig), all on the small corpus."""
    from gru_desktop.jobs import runs

    home = tmp_path_factory.mktemp("runs")
    corpus = write_corpus(tmp_path_factory.mktemp("text"))
    for name, cfg in configs.items():
        events = list(runs.train_run(runs.prepare([corpus], cfg), cfg, home=home, name=name))
        assert events[-1].status == "completed"
    return home


def on_train_worker(window, monkeypatch, **slots) -> None:
    """Connect `slots` (signal name → callable) to the next training worker's signals *before* its thread
    starts. Connecting after the Train click races the worker: its first signals can already be gone."""
    from gru_desktop.ui.workers.train_worker import TrainWorker

    start = window.jobs.start

    def start_connected(worker):
        if isinstance(worker, TrainWorker):
            for name, slot in slots.items():
                getattr(worker, name).connect(slot)
        return start(worker)

    monkeypatch.setattr(window.jobs, "start", start_connected)


def on_next_worker(window, **slots) -> None:
    """Connect `slots` (signal name → callable) to the next training worker the window starts, before its
    thread starts (`TrainingController.starting`): connected after the click, its first signals can be gone."""

    def connect(worker):
        window.trainer.starting.disconnect(connect)
        for name, slot in slots.items():
            getattr(worker, name).connect(slot)

    window.trainer.starting.connect(connect)


def run_result(window, blocker):
    """The RunFinished that `qtbot.waitSignal(window.training_finished)` caught. None (the job ended before a run
    existed) fails with what the window said: its status bar and its last problem message."""
    result = blocker.args[0]
    assert result is not None, (f"the training job ended without a run; status bar: "
                                f"{window.statusBar().currentMessage()!r}; last problem: {window.messages.last_problem!r}")
    return result
