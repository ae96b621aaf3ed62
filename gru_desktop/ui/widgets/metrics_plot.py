"""The live training chart (`metricsPlot`): loss on top, accuracy below, sharing the epoch axis.

Points go into preallocated numpy buffers that double when full; a QTimer redraws what changed ten
times a second, so a burst of signals never means a burst of repaints (design §8, §9). The x axis is in
epochs: step i of n in epoch e sits at e - 1 + i/n, and epoch e's metrics at x = e.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer

from .epoch_curve import EpochCurve, EpochSample

REDRAW_MS = 250  # 4 repaints a second: each costs ~5 ms of the GUI thread (measured)
DASH = Qt.PenStyle.DashLine
SMOOTHING = 0.05  # weight of the newest step in the smoothed loss (an exponential moving average)
RANGE_MARGIN = 0.08  # room above and below the data, as a share of its span, when the chart sets its y ranges
MIN_SPAN = 0.1  # a range spans at least this share of the data's size (one point, or a flat start, is no span)
LOSS_CURVES = ("step_loss", "smooth_loss", "train_loss", "val_loss")
ACCURACY_CURVES = ("train_accuracy", "val_accuracy", "val_top3")


def steady_range(current: tuple[float, float] | None, lo: float, hi: float) -> tuple[float, float] | None:
    """The y range to show for data from `lo` to `hi`, or None to keep `current`. It grows as soon as the data
    leaves it and shrinks only once the data fills under half of it, so it changes seldom: a new range
    means new axis ticks, most of a repaint's cost (pyqtgraph's auto-range: 6.8 ms a repaint, median;
    ranges that hold: 2.7 ms)."""
    least = MIN_SPAN * max(abs(lo), abs(hi), 1.0)
    if hi - lo < least:  # widened around its middle
        lo, hi = (lo + hi - least) / 2, (lo + hi + least) / 2
    span = hi - lo
    if current is not None and current[0] <= lo and hi <= current[1] and span >= 0.5 * (current[1] - current[0]):
        return None
    return lo - RANGE_MARGIN * span, hi + RANGE_MARGIN * span


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
        self.legends = [pg.LegendItem(labelTextColor=text, verSpacing=-4, sampleType=EpochSample) for _ in range(2)]
        for row, legend in enumerate(self.legends):
            self.addItem(legend, row=row, col=1)
        self.acc_plot.setLimits(yMin=-5, yMax=105)
        yield True
        grey, blue, orange, green = (150, 150, 150), (31, 119, 180), (255, 127, 14), (44, 160, 44)
        self.curves = {
            "step_loss": self.loss_plot.plot(pen=pg.mkPen(grey + (110,), width=1), name="training loss per step"),
            "smooth_loss": self.loss_plot.plot(pen=pg.mkPen(blue, width=2), name="smoothed"),
            # one point per epoch: EpochCurve, what a PlotDataItem with symbols drew, cheaper at an epoch end
            "train_loss": EpochCurve(pg.mkPen(blue, width=2, style=DASH), "o", blue, "training loss per epoch"),
            "val_loss": EpochCurve(pg.mkPen(orange, width=2), "s", orange, "validation loss"),
            "train_accuracy": EpochCurve(pg.mkPen(blue, width=2, style=DASH), "o", blue, "training accuracy"),
            "val_accuracy": EpochCurve(pg.mkPen(orange, width=2), "s", orange, "validation accuracy"),
            "val_top3": EpochCurve(pg.mkPen(green, width=2), "t", green, "validation top-3"),
        }
        for name, curve in self.curves.items():
            if isinstance(curve, EpochCurve):
                (self.loss_plot if name.endswith("loss") else self.acc_plot).addItem(curve)
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
        # The chart sets its own ranges (steady_range) until the user pans or zooms; reset() hands them back.
        self.own_ranges = True
        self._x_hi = 0.0
        # The run's planned epochs (0: unknown, epochs auto): the x axis spans them from the start, so the chart
        # shows how far the run has come and an epoch end does not also lay out both x axes again
        self.planned_epochs = 0
        self._y_ranges: dict[str, tuple[float, float]] = {}
        for plot in (self.loss_plot, self.acc_plot):
            plot.disableAutoRange()
            plot.getViewBox().sigRangeChangedManually.connect(self._user_ranges)
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
        self.own_ranges, self._x_hi, self._y_ranges = True, 0.0, {}
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
        if self._dirty and self.own_ranges:
            self._fit_ranges()
        self._dirty = set()

    def _user_ranges(self, *_) -> None:
        self.own_ranges = False

    def _fit_ranges(self) -> None:
        """x from 0 to the planned epochs (or the next power of two past the current epoch); y by steady_range."""
        filled = [s for s in self.series.values() if s.n]
        if not filled:
            return
        x_end = max(1, math.ceil(max(float(s.view()[0][-1]) for s in filled)))
        # the planned epochs, else the next power of two: the x range changes a few times in a run, not each epoch
        x_hi = float(self.planned_epochs if x_end <= self.planned_epochs else 2 ** math.ceil(math.log2(x_end)))
        if x_hi != self._x_hi:
            self._x_hi = x_hi
            self.loss_plot.setXRange(0, x_hi, padding=0.02)  # the accuracy plot's x axis is linked
        for key, plot, names in (("loss", self.loss_plot, LOSS_CURVES), ("accuracy", self.acc_plot, ACCURACY_CURVES)):
            values = [self.series[n].view()[1] for n in names if self.series[n].n]
            y = np.concatenate(values) if values else np.empty(0)
            y = y[np.isfinite(y)]
            if y.size:
                new = steady_range(self._y_ranges.get(key), float(y.min()), float(y.max()))
                if new is not None:
                    self._y_ranges[key] = new
                    plot.setYRange(*new, padding=0)

