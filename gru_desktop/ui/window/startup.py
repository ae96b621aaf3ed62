"""The main window's start-up after its first paint (a mixin of MainWindow): the heavy imports in a worker
(`warm_up`), then the pages, one step per event-loop turn, so the window answers all along
(`bench --only journey`)."""
from __future__ import annotations

import os

from PySide6.QtCore import QTimer

from ..workers import warm_up
from ..workers.threads import function_job


class WindowStartup:
    def paintEvent(self, event):
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            QTimer.singleShot(0, self._after_first_paint)

    def _after_first_paint(self) -> None:
        if os.environ.get("GRU_DESKTOP_STARTUP_PROBE"):
            print("first-paint", flush=True)
        self.first_painted.emit()
        # torch, pyqtgraph and sqlite-utils load in a worker, now that the window is on screen: imported
        # here they held the GUI thread for 1–4 s (bench --only journey); then the pages start.
        self.jobs.start(function_job(warm_up.warm_up, result=self._warmed_up, failed=self._warm_up_failed,
                                     crashed=self._crashed))

    def _warmed_up(self, worker, devices) -> None:
        """Start the pages one step per event-loop turn, so the window answers between them (each chart is
        built a plot at a time: a whole one took 14-36 ms)."""
        steps = self._start_pages(devices)

        def next_step():
            if next(steps, False):
                QTimer.singleShot(0, self, next_step)

        next_step()

    def _start_pages(self, devices):
        """The start-up after the imports, as a generator: each `yield True` gives the event loop a turn."""
        self.settings_form.set_present_devices(devices)
        yield True
        while self.training_view.build_plot_step():
            yield True
        self.autocomplete.refresh_runs()  # the latest trained model, loaded in the background
        yield True
        self.runs_page.start()
        yield True
        while self.runs_page.compare.build_plot_step():
            yield True
        self.queue_view.start()
        yield True
        self._offer_queue_resume()
        yield True
        # Then what a first training step loads (1.2 s), before Train is pressed; a failure there shows
        # when training starts, as a training error.
        self.jobs.start(function_job(warm_up.training_code, result=self._startup_done, failed=self._startup_done,
                                     crashed=self._crashed))
        self.warmed_up.emit()

    def _startup_done(self, *_) -> None:
        self.collector.freeze_startup()  # what the start-up loaded lives for good: full collections skip it

    def _warm_up_failed(self, worker, message: str) -> None:
        self._startup_done()
        self.problem("Cannot start", message)

