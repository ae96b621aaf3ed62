"""The live training chart (`metricsPlot`): loss on top, accuracy below, sharing the epoch axis.

Points go into preallocated numpy buffers that double when full; a QTimer redraws what changed ten
times a second, so a burst of signals never means a burst of repaints (design §8, §9). The x axis is in
epochs: step i of n in epoch e sits at e - 1 + i/n, and epoch e's metrics at x = e.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer

REDRAW_MS = 250  # 4 repaints a second: each costs ~5 ms of the GUI thread (measured)
DASH = Qt.PenStyle.DashLine
SMOOTHING = 0.05  # weight of the newest step in the smoothed loss (an exponential moving average)


class Series:
    """A growing (x, y) buffer: amortised O(1) append, `view()` without copying."""

    def __init__(self, capacity: int = 1024):
        self._x = np.empty(capacity)
        self._y = np.empty(capacity)
        self.n = 0

    def append(self, x: float, y: float) -> None:
        if self.n == len(self._x):
            self._x = np.concatenate([self._x, np.empty_like(self._x)])
            self._y = np.concatenate([self._y, np.empty_like(self._y)])
        self._x[self.n], self._y[self.n] = x, y
        self.n += 1

    def view(self) -> tuple[np.ndarray, np.ndarray]:
        return self._x[: self.n], self._y[: self.n]

    def clear(self) -> None:
        self.n = 0


class StagedPlot(pg.GraphicsLayoutWidget):
    """A chart built in steps (`_build_steps`, a generator): at once, or one step per event-loop turn
    (`build_next`) where the window must answer meanwhile: each plot costs ~5 ms, a whole chart 14-36 ms."""

    def __init__(self, parent=None, staged: bool = False):
        super().__init__(parent)
        self._steps = self._build_steps()
        if not staged:
            self.complete()

    def _build_steps(self):  # pragma: no cover - overridden
        yield True

    def build_next(self) -> bool:
        """Build the next part; False once the chart is complete."""
        if self._steps is not None and next(self._steps, False):
            return True
        self._steps = None
        return False

    def complete(self) -> StagedPlot:
        while self.build_next():
            pass
        return self


def loss_and_accuracy_plots(widget: pg.GraphicsLayoutWidget):
    """`widget.loss_plot` above `widget.acc_plot` (in %), sharing the epoch axis; background from the palette.
    A generator: yields after each plot (a StagedPlot's steps).

    No grid: pyqtgraph paints grid lines with the axes, ~27 ms a repaint here (measured), which made the
    GUI thread 40-60 ms late while training; without it a repaint costs ~5 ms.
    """
    widget.setBackground(None)  # follow the window's palette (light or dark)
    widget.loss_plot = widget.addPlot(row=0, col=0)
    yield True
    widget.acc_plot = widget.addPlot(row=1, col=0)
    widget.acc_plot.setXLink(widget.loss_plot)
    widget.loss_plot.setLabel("left", "loss (nats)")
    widget.acc_plot.setLabel("left", "accuracy", units="%")
    widget.acc_plot.setLabel("bottom", "epoch")


class MetricsPlot(StagedPlot):
    def __init__(self, parent=None, staged: bool = False):
        super().__init__(parent, staged)
        self.setObjectName("metricsPlot")

    def _build_steps(self):
        yield from loss_and_accuracy_plots(self)
        yield True
        text = self.palette().color(self.palette().ColorRole.WindowText)
        # The legends sit in a column right of the plots: inside, wherever they went, they hid some curve.
        self.legends = [pg.LegendItem(labelTextColor=text, verSpacing=-4) for _ in range(2)]
        for row, legend in enumerate(self.legends):
            self.addItem(legend, row=row, col=1)
        self.acc_plot.setLimits(yMin=-5, yMax=105)
        yield True
        grey, blue, orange, green = (150, 150, 150), (31, 119, 180), (255, 127, 14), (44, 160, 44)
        self.curves = {
            "step_loss": self.loss_plot.plot(pen=pg.mkPen(grey + (110,), width=1), name="training loss per step"),
            "smooth_loss": self.loss_plot.plot(pen=pg.mkPen(blue, width=2), name="smoothed"),
            "train_loss": self.loss_plot.plot(pen=pg.mkPen(blue, width=2, style=DASH), symbol="o", symbolSize=7,
                                              symbolBrush=blue, name="training loss per epoch"),
            "val_loss": self.loss_plot.plot(pen=pg.mkPen(orange, width=2), symbol="s", symbolSize=7,
                                            symbolBrush=orange, name="validation loss"),
            "train_accuracy": self.acc_plot.plot(pen=pg.mkPen(blue, width=2, style=DASH), symbol="o", symbolSize=7,
                                                 symbolBrush=blue, name="training accuracy"),
            "val_accuracy": self.acc_plot.plot(pen=pg.mkPen(orange, width=2), symbol="s", symbolSize=7,
                                               symbolBrush=orange, name="validation accuracy"),
            "val_top3": self.acc_plot.plot(pen=pg.mkPen(green, width=2), symbol="t", symbolSize=7,
                                           symbolBrush=green, name="validation top-3"),
        }
        yield True
        for name, curve in self.curves.items():
            self.legends[0 if name.endswith("loss") else 1].addItem(curve, curve.name())
        for legend in self.legends:  # as tall as its entries, at the top of its cell (not spread over it)
            legend.layout.activate()
            legend.setMaximumHeight(legend.layout.preferredHeight())
        for name in ("step_loss", "smooth_loss"):  # thousands of points: draw only what is in view, peaks kept
            self.curves[name].setClipToView(True)
            self.curves[name].setDownsampling(auto=True, method="peak")
        self.series = {name: Series() for name in self.curves}
        yield True
        self.best_lines = [pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen((214, 39, 40), width=1, style=DASH))
                           for _ in range(2)]
        self.best_lines[0].label = pg.InfLineLabel(self.best_lines[0], "best", position=0.06, anchors=[(1, 1), (1, 1)],
                                                   color=(214, 39, 40))
        for line, plot in zip(self.best_lines, (self.loss_plot, self.acc_plot), strict=True):
            line.setVisible(False)
            plot.addItem(line, ignoreBounds=True)
        self.best_epoch = 0
        self._smooth: float | None = None
        self._dirty: set[str] = set()
        self._timer = QTimer(self)
        self._timer.setInterval(REDRAW_MS)
        self._timer.timeout.connect(self.redraw)
        self._timer.start()

    def reset(self) -> None:
        """Empty every curve for a new run. (Not `clear`: pyqtgraph binds that name to remove all plots.)"""
        for s in self.series.values():
            s.clear()
        self._smooth = None
        self.best_epoch = 0
        for line in self.best_lines:
            line.setVisible(False)
        self._dirty = set(self.curves)
        self.redraw()

    def add_steps(self, steps) -> None:
        """StepResults: raw and smoothed training loss at fractional epochs."""
        for s in steps:
            x = s.epoch - 1 + s.batch / s.batches
            self._smooth = s.loss if self._smooth is None else self._smooth + SMOOTHING * (s.loss - self._smooth)
            self.series["step_loss"].append(x, s.loss)
            self.series["smooth_loss"].append(x, self._smooth)
        self._dirty |= {"step_loss", "smooth_loss"}

    def add_epoch(self, e) -> None:
        """An EpochResult (or anything with its metric attributes): one point per curve at x = epoch."""
        for name in ("train_loss", "val_loss"):
            self.series[name].append(e.epoch, getattr(e, name))
        for name in ("train_accuracy", "val_accuracy", "val_top3"):
            self.series[name].append(e.epoch, 100.0 * getattr(e, name))
        self._dirty |= {"train_loss", "val_loss", "train_accuracy", "val_accuracy", "val_top3"}
        if e.best_epoch:
            self.set_best(e.best_epoch)

    def set_best(self, epoch: int) -> None:
        self.best_epoch = epoch
        for line in self.best_lines:
            line.setPos(epoch)
            line.setVisible(True)
        self.best_lines[0].label.setFormat(f"best: epoch {epoch}")

    def redraw(self) -> None:
        for name in self._dirty:
            x, y = self.series[name].view()
            self.curves[name].setData(x, y)
        self._dirty = set()

