"""GUI measurements for `bench` (design §10): first paint after launch, and event-loop lateness while training.

- first paint: `python main.py` is started with GRU_DESKTOP_STARTUP_PROBE=1 on a fresh data dir; the time
  from spawning the process to its "first-paint" line (printed right after the window's first paint).
- lateness: the real window trains the default model on WikiText-2 (pretokenized); a 10 ms precise QTimer
  records how late each tick fires, for `seconds` once the first training steps have arrived.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ..core.stats import summary_ms

ROOT = Path(__file__).resolve().parents[2]
TICK_MS = 10


def first_paint(runs: int = 5) -> dict:
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, "GRU_DESKTOP_HOME": tmp, "GRU_DESKTOP_STARTUP_PROBE": "1",
                   "XDG_CONFIG_HOME": str(Path(tmp) / "config")}
            env.setdefault("QT_QPA_PLATFORM", "offscreen")
            t0 = time.perf_counter()
            proc = subprocess.Popen([sys.executable, str(ROOT / "main.py")], stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL, text=True, env=env, cwd=tmp)
            for line in proc.stdout:
                if line.strip() == "first-paint":
                    times.append(time.perf_counter() - t0)
                    break
            proc.wait(timeout=60)
    if not times:
        return {"error": "the window never reported its first paint"}
    return {"platform": os.environ.get("QT_QPA_PLATFORM", "offscreen"), "runs": len(times),
            "median_s": statistics.median(times), "min_s": min(times), "max_s": max(times)}


def timer_lateness(train_file: Path, seconds: float = 20.0, threads: int = 0) -> dict:
    os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QSettings, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from ..core.config import TrainConfig
    from ..ui.window.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        window = MainWindow(home=tmp, settings=QSettings(str(Path(tmp) / "gui.ini"), QSettings.Format.IniFormat),
                            load_last=False)
        window.confirm_close = lambda: True
        window.resize(1280, 800)
        window.show()
        window.settings_form.set_config(TrainConfig(tokenizer="pretokenized", lowercase=False, epochs=100,
                                                    threads=threads))

        def wait_for(signal, timeout_s):
            loop = QEventLoop()
            signal.connect(loop.quit)
            QTimer.singleShot(int(timeout_s * 1000), loop.quit)
            loop.exec()

        window.load_corpus([train_file])
        wait_for(window.corpus_ready, 120)
        window.trainer.start()
        deadline = time.monotonic() + 120
        while window.trainer.progress.tokens_per_s is None and time.monotonic() < deadline:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        ticks: list[float] = []
        clock = QElapsedTimer()
        clock.start()
        last = [clock.nsecsElapsed()]

        def tick():
            now = clock.nsecsElapsed()
            ticks.append((now - last[0]) / 1e6 - TICK_MS)
            last[0] = now

        timer = QTimer(timerType=Qt.TimerType.PreciseTimer, interval=TICK_MS)
        timer.timeout.connect(tick)
        timer.start()
        done = QEventLoop()
        QTimer.singleShot(int(seconds * 1000), done.quit)
        done.exec()
        timer.stop()
        rate = window.trainer.progress.tokens_per_s
        window.trainer.cancel()
        window.close()
    late = [max(t, 0.0) for t in ticks]
    if not late:
        return {"error": "no timer ticks"}
    return {"threads": threads or "default", "seconds": seconds, "ticks": len(late), **summary_ms(late),
            "training_tokens_per_s": rate or 0.0}


def typing_latency(home: Path, text: str, keystrokes: int = 2000) -> dict:
    """Type `keystrokes` characters of `text` into the real autocomplete box (key events) with the
    latest run's model; the page's own probe times keystroke → suggestions computed."""
    os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEvent, QEventLoop, QSettings, Qt, QTimer
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    from ..ui.window.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    window = MainWindow(home=home, settings=QSettings(str(Path(home) / "gui.ini"), QSettings.Format.IniFormat),
                        load_last=False)
    window.show()
    page = window.autocomplete
    loop = QEventLoop()
    page.model_loaded.connect(loop.quit)
    page.model_failed.connect(loop.quit)
    QTimer.singleShot(60_000, loop.quit)
    page.refresh_runs()
    loop.exec()
    if page.predictor is None:
        return {"error": "no usable model"}
    page.edit.setFocus()
    page.latencies_ms.clear()
    typed = 0
    for ch in text:
        if typed >= keystrokes:
            break
        key = Qt.Key.Key_Return if ch == "\n" else (Qt.Key.Key_Space if ch == " " else Qt.Key.Key_unknown)
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):  # any character, as a keyboard sends it
            QApplication.sendEvent(page.edit, QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier, ch))
        app.processEvents()
        typed += 1
    lat = list(page.latencies_ms)
    window.close()
    return {"keystrokes": typed, "computed": len(lat), **summary_ms(lat)}


if __name__ == "__main__":  # `bench gui` runs this in a fresh process, configured as the app is
    import json

    from ..ui.window.app import configure_process

    configure_process()
    print(json.dumps(timer_lateness(Path(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]))))
