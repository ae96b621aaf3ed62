"""The Training page: the live chart over the epoch table, and the progress/ETA arithmetic for the bar."""
from __future__ import annotations

import time
from collections import deque

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

from .epoch_table import EpochTable


class TrainingView(QWidget):
    """The chart is built on demand (`ensure_plot`): pyqtgraph costs ~0.3 s to import, after first paint."""

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.splitter = QSplitter(Qt.Orientation.Vertical, objectName="trainingSplitter")
        self.placeholder = QLabel("Press Train to watch the loss and accuracy curves here.",
                                  alignment=Qt.AlignmentFlag.AlignCenter)
        self.table = EpochTable()
        top = QWidget()  # the chart with the system monitor's line under it
        self.top = QVBoxLayout(top)
        self.top.setContentsMargins(0, 0, 0, 0)
        self.top.setSpacing(2)
        self.top.addWidget(self.placeholder, 1)
        self.system_label = QLabel(objectName="systemMonitor")
        self.system_label.setStyleSheet("color: gray;")
        self.system_label.setToolTip("the training process during the last epoch: CPU use (100 % = one core), "
                                     "peak memory, threads, device, speed")
        self.top.addWidget(self.system_label)
        self.splitter.addWidget(top)
        self.splitter.addWidget(self.table)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        layout.addWidget(self.splitter)
        self.plot = None

    def ensure_plot(self):
        if self.plot is None:
            from .metrics_plot import MetricsPlot

            self.plot = MetricsPlot()
            sizes = self.splitter.sizes()
            self.top.replaceWidget(self.placeholder, self.plot)
            self.top.setStretchFactor(self.plot, 1)
            self.placeholder.deleteLater()
            total = sum(sizes)
            if total > 0 and sizes[0] < total // 2:  # the placeholder was small: give the chart 60 %
                self.splitter.setSizes([total * 3 // 5, total - total * 3 // 5])
        return self.plot

    def clear(self) -> None:
        self.ensure_plot().reset()
        self.table.table_model.clear()
        self.system_label.setText("")

    def add_steps(self, steps) -> None:
        self.ensure_plot().add_steps(steps)

    def add_epoch(self, epoch) -> None:
        from ..sysmon import describe

        self.ensure_plot().add_epoch(epoch)
        self.table.table_model.add(epoch)
        line = describe(getattr(epoch, "system", None), epoch.tokens_per_s)
        self.system_label.setText(f"epoch {epoch.epoch}: {line}" if line else "")


class Progress:
    """Share of the planned work done, ETA and recent tokens/s from the StepResults seen so far."""

    RATE_WINDOW = 3.0  # seconds of steps behind the tokens/s figure

    def __init__(self, epochs: int, time_limit: float = 0.0):
        self.epochs, self.time_limit = epochs, time_limit
        self.fraction, self.eta, self.elapsed, self.epoch = 0.0, None, 0.0, 1
        self._recent: deque = deque()  # (elapsed, tokens)
        self.started = time.monotonic()

    def update(self, step) -> None:
        self.epoch = step.epoch
        self.elapsed = step.elapsed
        frac = (step.epoch - 1 + step.batch / step.batches) / self.epochs
        if self.time_limit > 0:
            frac = max(frac, min(step.elapsed / self.time_limit, 1.0))
        self.fraction = min(frac, 1.0)
        self.eta = step.elapsed * (1 - self.fraction) / self.fraction if self.fraction > 0 else None
        self._recent.append((step.elapsed, step.tokens))
        while len(self._recent) > 2 and self._recent[-1][0] - self._recent[0][0] > self.RATE_WINDOW:
            self._recent.popleft()

    @property
    def tokens_per_s(self) -> float | None:
        if len(self._recent) < 2:
            return None
        (t0, n0), (t1, n1) = self._recent[0], self._recent[-1]
        return (n1 - n0) / (t1 - t0) if t1 > t0 else None

    def text(self) -> str:
        eta = "ETA …" if self.eta is None else f"ETA {format_seconds(self.eta)}"
        return f"epoch {self.epoch}/{self.epochs} · {self.fraction:.0%} · {eta}"


def format_seconds(s: float) -> str:
    s = int(round(s))
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"
