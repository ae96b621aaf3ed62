"""The window's start-up after its first paint: the heavy imports in a worker (`warm_up`), then each page's
start-up steps, one step per event-loop turn, so the window answers all along (`bench --only journey`)."""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from ..widgets.settings_form import SettingsForm
from ..workers import warm_up
from ..workers.threads import BackgroundJobs, function_job
from .gc_guard import GuiThreadCollector
from .messages import Messages
from .turns import in_turns


class Startup(QObject):
    first_painted = Signal()
    pages_started = Signal()  # every page has started (the window may now ask about an unfinished queue)
    warmed_up = Signal()  # torch and pyqtgraph are loaded and the pages have started (after first_painted)
    crashed = Signal(str)

    def __init__(self, jobs: BackgroundJobs, collector: GuiThreadCollector, form: SettingsForm, messages: Messages,
                 pages: Callable[[], list[QWidget]], parent: QObject | None = None):
        super().__init__(parent)  # the window: nothing here outlives it
        self.jobs, self.collector, self.form, self.messages = jobs, collector, form, messages
        self.pages = pages  # the window's pages, in tab order; a page's `startup_steps()` (if any) is run
        self.painted = False

    def window_painted(self) -> None:
        """The window's paintEvent calls this; the first time, the start-up begins on the next turn."""
        if not self.painted:
            self.painted = True
            QTimer.singleShot(0, self._after_first_paint)

    def _after_first_paint(self) -> None:
        if os.environ.get("GRU_DESKTOP_STARTUP_PROBE"):
            print("first-paint", flush=True)
        self.first_painted.emit()
        # torch, pyqtgraph and sqlite-utils load in a worker, now that the window is on screen: imported
        # here they held the GUI thread for 1–4 s (bench --only journey); then the pages start.
        self.jobs.start(function_job(warm_up.warm_up, result=self._warmed_up, failed=self._warm_up_failed,
                                     crashed=self.crashed))

    def _warmed_up(self, worker, devices) -> None:
        """Start the pages one step per event-loop turn, so the window answers between them (each chart is
        built a plot at a time: a whole one took 14-36 ms)."""
        in_turns(self, self._start_pages(devices))

    def _start_pages(self, devices) -> Iterator[bool]:
        """The start-up after the imports, as a generator: each `yield` gives the event loop a turn."""
        self.form.set_present_devices(devices)
        yield True
        for page in self.pages():
            steps = getattr(page, "startup_steps", None)
            if steps is not None:
                for _ in steps():
                    yield True
                yield True
        for page in self.pages():
            if not page.isVisible():
                # Painted once offscreen, a turn each: the page's first layout, text layouts and chart axes are
                # done here, not when the user first opens it or presses Train (then 27-35 ms of the GUI
                # thread for the Training page, 17-21 ms after this; each page costs 5-20 ms here).
                page.grab()
                yield True
        self.pages_started.emit()
        yield True
        # Then what a first training step loads (1.2 s), before Train is pressed; a failure there shows
        # when training starts, as a training error.
        self.jobs.start(function_job(warm_up.training_code, result=self._done, failed=self._done,
                                     crashed=self.crashed))
        self.warmed_up.emit()

    def _done(self, *_) -> None:
        self.collector.freeze_startup()  # what the start-up loaded lives for good: full collections skip it

    def _warm_up_failed(self, worker, message: str) -> None:
        self._done()
        self.messages.problem("Cannot start", message)
