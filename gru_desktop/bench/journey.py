"""`bench --only journey` (issue 13): a scripted new user in the real window, with a 10 ms timer measuring
how late the GUI thread answers over the whole journey, and for every tick later than 50 ms, which step
it fell in.

Run in a fresh process configured as the app is (`python -m gru_desktop.bench.journey CORPUS...`):
1. small corpus, fresh data folder: launch (first paint and the imports after it) → load the corpus →
   press Train (10 short epochs: every epoch end) → the run's end (baseline, evaluation, the model
   offered to Autocomplete) → switch pages → load the model in Autocomplete → type;
2. a data folder of 1,000 runs: launch → open the Runs page → type a filter → select ten runs →
   select all.
The timer starts before the window is built, so the launch is measured too. A step is "in effect" from
its mark until the next one; a late tick is charged to the step in effect when the gap began.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

from .lateness import Recorder, action_table, per_action

LICENCES = ("/usr/share/common-licenses/GPL-3", "/usr/share/common-licenses/GFDL-1.3",
            "/usr/share/common-licenses/LGPL-2.1")


def _pump(app, seconds: float) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


def _wait(signal, seconds: float, until=None) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    if signal is not None:
        signal.connect(loop.quit)
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    poll = None
    if until is not None:
        poll = QTimer(interval=50)
        poll.timeout.connect(lambda: until() and loop.quit())
        poll.start()
    loop.exec()
    if poll is not None:
        poll.stop()


def _type(app, widget, text: str, gap_s: float = 0.03) -> None:
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    widget.setFocus()
    for ch in text:
        key = Qt.Key.Key_Space if ch == " " else Qt.Key.Key_unknown
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier, ch))
        _pump(app, gap_s)


def make_runs_folder(home: Path, n: int = 1000, epochs: int = 10, steps: int = 50) -> None:
    """A data folder with `n` finished runs (epochs and steps recorded, no model files), as sweeps leave."""
    import random

    import storage

    db = storage.open_db(storage.db_path(storage.ensure_data_dir(home)))
    rng = random.Random(0)
    with storage.db.write_transaction(db):
        for k in range(n):
            run_id = storage.create_run(db, name=f"run {k + 1}", config={"hidden_size": rng.choice([32, 64, 128]),
                                                                      "lr": rng.choice([0.01, 0.02])},
                                        corpus="1 file: text.txt", corpus_sha256="ab" * 32, vocab_size=5000,
                                        epochs_planned=epochs)
            loss = 6.0 + rng.random()
            rows = []
            for e in range(1, epochs + 1):
                loss *= 0.95
                rows.append({"run_id": run_id, "epoch": e, "train_loss": loss, "train_accuracy": 0.1 + e / 100,
                             "val_loss": loss + 0.1, "val_accuracy": 0.1 + e / 110, "val_top3": 0.2 + e / 100,
                             "val_perplexity": 2.718 ** (loss + 0.1), "seconds": 1.0, "tokens_per_s": 40000.0,
                             "observation": "improving", "lr": 0.02})
            db["epochs"].insert_all(rows)
            db["steps"].insert_all({"run_id": run_id, "step": s, "epoch": 1 + (s - 1) * epochs // steps,
                                    "loss": 6.5 - s / steps} for s in range(1, steps + 1))
            storage.finish_run(db, run_id, "completed", stop_reason="finished")
            storage.set_best(db, run_id, epoch=epochs, val_loss=loss + 0.1, val_accuracy=0.2, val_top3=0.3,
                             val_perplexity=2.718 ** (loss + 0.1), model_path=str(home / "models" / f"{run_id}.pt"))
    db.close()


def journey(corpus: list[str], runs: int = 1000, parts: tuple[str, ...] = ("corpus", "runs")) -> dict:
    """Both parts (or those in `parts`: "corpus", "runs") with one recorder; the report as a dict."""
    os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(["gru-desktop"])
    result: dict = {"corpus": [Path(p).name for p in corpus], "runs_folder": runs}
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "runs1000"
        if "runs" in parts:
            make_runs_folder(big, runs)  # before the window: not part of the journey
        # Until the first paint the event loop does not run yet (the app shows nothing): that time is the
        # startup bench's first paint, reported here as "launch" and kept out of the lateness figures.
        rec = Recorder()
        if "corpus" in parts:
            _small_corpus(app, rec, corpus, Path(tmp), result)
        if "runs" in parts:
            _many_runs(app, rec, big, Path(tmp), runs)
    rec.stop()
    result["whole journey"] = rec.summary(exclude="launch")
    result["launch (before first paint)"] = rec.summary("launch")
    if "corpus" in parts:
        result["small corpus"] = rec.summary("small corpus")
    if "runs" in parts:
        result[f"{runs} runs"] = rec.summary(f"{runs} runs")
    result["per action"] = per_action(rec.ticks, cpu=rec.cpu)  # the worst tick in each action's own window
    result["per action table"] = action_table(result["per action"]).splitlines()
    return result


def _window(rec, home: Path, ini: Path, phase: str, suffix: str = ""):
    from PySide6.QtCore import QSettings

    from ..ui.window.main_window import MainWindow

    w = MainWindow(home=home, settings=QSettings(str(ini), QSettings.Format.IniFormat), load_last=False)
    w.confirm_close = lambda: True
    w.resize(1280, 800)
    rec.mark("launch: first paint")
    # The work after the first paint runs in the same slot that emits first_painted: charge it from then on.
    w.first_painted.connect(lambda: rec.split(f"after first paint{suffix}: imports, first reads", phase))
    w.show()
    _wait(w.first_painted, 30)
    return w


def _small_corpus(app, rec, corpus: list[str], tmp: Path, result: dict) -> None:
    """A new user on a small corpus: load it, train 10 short epochs, every page, Autocomplete, typing."""
    from ..core.config import TrainConfig

    rec.split("launch: building the window", "launch")
    w = _window(rec, tmp / "home", tmp / "gui.ini", "small corpus")
    _pump(app, 2.0)
    rec.begin("loading the corpus")
    w.load_corpus(corpus)
    _wait(w.corpus_ready, 120)
    _pump(app, 0.5)
    w.settings_form.set_config(TrainConfig(epochs=10, patience=0, embed_dim=32, hidden_size=64))
    _pump(app, 0.5)
    rec.begin("pressing Train")

    def follow(worker):  # before its thread starts: no signal is missed
        worker.run_started.connect(rec.on_run_started)
        worker.epoch.connect(rec.on_epoch)
        worker.stage.connect(rec.on_stage)
        worker.run_finished.connect(rec.on_run_finished)

    w.trainer.starting.connect(follow)
    w.trainer.start()
    _wait(w.training_finished, 900)
    result["epochs"] = rec.epochs
    result["training_tokens_per_s"] = round(sorted(rec.rates)[len(rec.rates) // 2]) if rec.rates else None
    _pump(app, 3.0)
    for page in (*w.pages, w.training_view):
        rec.begin("switching pages: " + w.tabs.tabText(w.pages.index(page)).replace("&&", "&"))
        w.show_page(page)
        _pump(app, 0.4)
    rec.begin("loading the model in Autocomplete")
    w.show_page(w.autocomplete)
    run_id = w.trainer.last_result.run_id if w.trainer.last_result else None
    w.autocomplete.refresh_runs(select=run_id)
    _wait(w.autocomplete.model_loaded, 60)
    _pump(app, 0.5)
    rec.begin("typing in Autocomplete")
    _type(app, w.autocomplete.edit, "the licensee may convey the work under the terms of this ")
    _pump(app, 0.5)
    from PySide6.QtWidgets import QLineEdit

    probe = w.findChild(QLineEdit, "probeEdit")
    if probe is not None:
        w.show_page(w.training_view)
        _pump(app, 0.5)
        rec.begin("typing in the probe field")
        _type(app, probe, "thank you for your")
        _pump(app, 0.5)
    rec.begin("closing")
    w.close()
    _pump(app, 0.5)


def _many_runs(app, rec, big: Path, tmp: Path, runs: int) -> None:
    """A data folder of `runs` runs: the Runs page, a filter, ten runs selected, select all."""
    from PySide6.QtCore import QItemSelection, QItemSelectionModel

    rec.split(f"launch with {runs} runs", "launch")  # the window's build is the startup bench's, not "closing"'s
    w = _window(rec, big, tmp / "gui2.ini", f"{runs} runs", f" with {runs} runs")
    _pump(app, 2.0)
    rec.begin("opening the Runs page")
    w.show_page(w.runs_page)
    page = w.runs_page
    _wait(None, 10, until=lambda: page.proxy.rowCount() >= runs)
    _pump(app, 1.0)
    for other in (*w.pages, w.training_view):  # every page with 1,000 runs in the folder
        rec.begin(f"switching pages with {runs} runs: " + w.tabs.tabText(w.pages.index(other)).replace("&&", "&"))
        w.show_page(other)
        _pump(app, 0.4)
    w.show_page(page)
    _pump(app, 1.0)
    rec.begin("typing a filter")
    _type(app, page.filter_edit, "run 1")
    _pump(app, 1.0)
    page.filter_edit.clear()
    _pump(app, 1.0)
    rec.begin("selecting ten runs")
    sel = QItemSelection(page.proxy.index(0, 0), page.proxy.index(9, page.proxy.columnCount() - 1))
    page.table.selectionModel().select(sel, QItemSelectionModel.SelectionFlag.ClearAndSelect)
    _pump(app, 2.0)
    rec.begin("select all")
    page.table.selectAll()
    _pump(app, 2.0)
    rec.begin("closing")
    w.close()
    _pump(app, 0.3)


def default_corpus() -> list[str]:
    found = [p for p in LICENCES if Path(p).is_file()]
    if len(found) == len(LICENCES):
        return found
    from ..core.corpus import SAMPLE_CORPUS

    return [str(SAMPLE_CORPUS)]


if __name__ == "__main__":  # `bench journey` runs this in a fresh process, configured as the app is
    from ..ui.window.app import configure_process
    from .bytecode import ensure_bytecode

    ensure_bytecode()  # as a user's launches find it (bench/bytecode.py), however it is started
    configure_process()
    n = int(os.environ.get("GRU_JOURNEY_RUNS", "1000"))
    parts = tuple(os.environ.get("GRU_JOURNEY_PARTS", "corpus,runs").split(","))
    print(json.dumps(journey(sys.argv[1:] or default_corpus(), n, parts)))
