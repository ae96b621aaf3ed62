"""Python's cycle collector runs on the GUI thread only, on a timer; what the app imports at start is frozen.

Why, both seen:
- **A freeze.** CPython collects cycles in whichever thread happens to allocate when a generation fills up.
  When that was a worker thread and the garbage held Qt objects (pyqtgraph's plots and their menus are
  reference cycles), their C++ destructors ran off the GUI thread: `~QObject` took Qt's connection lock and
  waited for the GIL, while the GUI thread, holding the GIL, waited for that lock to delete a menu. The
  window hung for good (CI, a Runs page test: the training thread, a worker opening the database, the GUI
  thread). pyqtgraph's `GarbageCollector` documents the same remedy: no automatic collection, a GUI timer.
- **Stalls.** With torch, torch._dynamo and pyqtgraph loaded the process holds ~335,000 tracked objects and
  one full collection takes ~200 ms with the GIL held, whichever thread runs it: the window froze that long
  after launch and at the first training step (`bench --only journey`). Freezing what the start-up imports
  made (`gc.freeze`, once, when they are done) leaves full collections only the app's own objects to scan.
  Until then nothing is collected: every object those imports make lives for good, and collecting them as
  they came (up to 335,000 of them in generations 0 and 1) would stall the GUI thread instead.
"""
from __future__ import annotations

import gc
import time

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication

CHECK_MS = 200  # a generation-0 collection is well under 1 ms; checking often keeps each one small
STARTUP_GRACE_S = 60.0  # collection starts by then even if no window said its start-up imports were done


class GuiThreadCollector(QObject):
    """Automatic collection off; every CHECK_MS the GUI thread collects the generations whose thresholds
    have been crossed, as CPython itself would have."""

    def __init__(self, app: QApplication):
        super().__init__(app)
        self.thresholds = gc.get_threshold()
        self.frozen = False
        self.paused_until = time.monotonic() + STARTUP_GRACE_S
        gc.disable()
        self.timer = QTimer(self, interval=CHECK_MS)
        self.timer.timeout.connect(self.check)
        self.timer.start()

    def check(self) -> int:
        """Collect like CPython's own trigger would (generation 0, then older ones when they are due);
        returns the oldest generation collected, -1 for none (also while the start-up imports run)."""
        if time.monotonic() < self.paused_until:
            return -1
        counts, oldest = gc.get_count(), -1
        for generation in range(3):
            if counts[generation] <= self.thresholds[generation]:
                break
            gc.collect(generation)
            oldest = generation
        return oldest

    def freeze_startup(self) -> bool:
        """Move every object alive now into the permanent generation, once per process (after the start-up
        imports), and start collecting; later windows of the same process (tests) do not freeze again. True
        if it froze now."""
        self.paused_until = 0.0
        if self.frozen:
            return False
        gc.freeze()
        self.frozen = True
        return True


def install() -> GuiThreadCollector:
    """The process's collector, made on the first call (from the GUI thread, after QApplication exists)."""
    app = QApplication.instance()
    if app is None:
        raise RuntimeError("gc_guard.install() needs a QApplication")
    collector = app.findChild(GuiThreadCollector)
    return collector if collector is not None else GuiThreadCollector(app)


__all__ = ["CHECK_MS", "STARTUP_GRACE_S", "GuiThreadCollector", "install"]
