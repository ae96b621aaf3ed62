"""Runs side by side (`comparePlot`): loss on top, accuracy below, sharing the epoch axis.

One colour per run; training dashed, validation solid. The chart only shows what it is given
(`set_runs` with epoch rows as `storage.get_epochs` returns them), so the Runs page and the CLI's
`runs export --png` draw the same picture. `render_image` draws it with pyqtgraph's ImageExporter (on the GUI
thread: it paints the scene); `write_png` writes the image, on any thread (the Runs page: in a worker).
"""
from __future__ import annotations

import os

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402
from PySide6.QtCore import QBuffer, QEvent, QIODevice, Qt  # noqa: E402
from PySide6.QtGui import QImage  # noqa: E402

from ...core.atomic import write_atomic  # noqa: E402
from ...core.errors import UserError  # noqa: E402
from .metrics_plot import StagedPlot, loss_and_accuracy_plots  # noqa: E402

DASH = Qt.PenStyle.DashLine
# matplotlib's tab10: distinct on light and dark backgrounds.
COLOURS = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
           (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]
METRICS = ("train_loss", "val_loss", "train_accuracy", "val_accuracy")
PERCENT = {"train_accuracy", "val_accuracy"}


def _column(rows: list[dict], key: str) -> tuple[np.ndarray, np.ndarray]:
    """(epochs, values) of one metric, skipping epochs where it is missing or not finite."""
    pts = [(r["epoch"], r[key]) for r in rows if r.get(key) is not None]
    x = np.array([p[0] for p in pts], dtype=float)
    y = np.array([p[1] for p in pts], dtype=float)
    keep = np.isfinite(y)
    if key in PERCENT:
        y = 100.0 * y
    return x[keep], y[keep]


class ComparePlot(StagedPlot):
    def __init__(self, parent=None, staged: bool = False):
        super().__init__(parent, staged)
        self.setObjectName("comparePlot")

    def _build_steps(self):
        yield from loss_and_accuracy_plots(self)
        yield True
        # Top right: loss falls away from it; the run labels sit there.
        self.legend = self.loss_plot.addLegend(offset=(-10, 10))
        self._apply_palette()
        self.acc_plot.setLimits(yMin=-5, yMax=105)
        self.curves: dict[tuple[str, str], pg.PlotDataItem] = {}
        self.labels: list[str] = []
        self._pool: list[dict[str, pg.PlotDataItem]] = []  # the curves of run slot i, reused
        self._pending: list[tuple[str, list[dict], str]] = []  # (label, epoch rows, metric): curves still to draw

    def _apply_palette(self) -> None:
        """Text in the theme's colours (again when the theme changes while the window is open)."""
        pal = self.palette()
        text = pal.color(pal.ColorRole.WindowText)
        for p in (self.loss_plot, self.acc_plot):
            for side in ("left", "bottom"):
                p.getAxis(side).setTextPen(text)
        self.loss_plot.setTitle("loss: training dashed, validation solid", color=text.name())
        self.legend.setLabelTextColor(text)
        self.legend.setBrush(pg.mkBrush(pal.color(pal.ColorRole.Window).name() + "c0"))
        for _item, label in self.legend.items:  # existing labels keep their colour unless redrawn
            label.setText(label.text, color=text.name())

    def changeEvent(self, event) -> None:
        if hasattr(self, "legend") and event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._apply_palette()
        super().changeEvent(event)

    def reset_runs(self) -> None:
        """Remove every run's curves (they are hidden and kept for reuse: making pyqtgraph curves is what
        costs). (Not `clear`: pyqtgraph binds that name to removing the plots.)"""
        for slot in self._pool:
            for curve in slot.values():
                curve.setData([], [])
                curve.setVisible(False)
        self.legend.clear()
        self.legend.setColumnCount(1)
        self.curves = {}
        self.labels = []
        self._pending = []

    def set_runs(self, series: dict[str, list[dict]]) -> None:
        """Show these runs at once: {label: epoch rows (dicts with epoch and the metric columns)}, in order."""
        self.begin(series)
        self.finish()

    def begin(self, series: dict[str, list[dict]]) -> None:
        """Start showing these runs; `draw_next` then draws one curve at a time (the Runs page draws one per
        event-loop turn, so the window answers between them: a curve with its symbols costs ~2.5 ms)."""
        self.reset_runs()
        self._pending = [(label, rows, metric) for label, rows in series.items() for metric in METRICS]
        last = max((int(r["epoch"]) for rows in series.values() for r in rows), default=0)
        # Whole epochs on the x axis (pyqtgraph would put ticks at 1.5); automatic ticks for long runs.
        ticks = [[(e, str(e)) for e in range(1, last + 1)]] if 0 < last <= 20 else None
        for p in (self.loss_plot, self.acc_plot):
            p.getAxis("bottom").setTicks(ticks)
            p.enableAutoRange()

    @property
    def drawing(self) -> bool:
        return bool(self._pending)

    def finish(self) -> None:
        while self.draw_next():
            pass

    def draw_next(self) -> bool:
        """Draw the next curve (the runs in order, each run's metrics in turn); False when none is left."""
        if not self._pending:
            return False
        label, rows, metric = self._pending.pop(0)
        if metric == METRICS[0]:  # the run's first curve
            self.labels.append(label)
            if len(self.labels) > len(self._pool):
                self._pool.append({})
        i = len(self.labels) - 1
        colour = COLOURS[i % len(COLOURS)]
        slot = self._pool[i]
        x, y = _column(rows, metric)
        train = metric.startswith("train")
        pen = pg.mkPen(colour, width=2, style=DASH if train else Qt.PenStyle.SolidLine)
        curve = slot.get(metric)
        if curve is None:
            plot = self.acc_plot if metric in PERCENT else self.loss_plot
            curve = slot[metric] = plot.plot(x, y, pen=pen, symbol=None if train else "o", symbolSize=5,
                                             symbolBrush=colour, symbolPen=None)
        else:
            curve.setData(x, y, pen=pen, symbolBrush=colour)
            curve.setVisible(True)
        self.curves[(label, metric)] = curve
        if metric == "val_loss":
            # The legend lists each run once, by its validation loss curve (solid, in the run's colour); past
            # four runs in two columns, so it stays inside the loss plot.
            if len(self.labels) == 5:
                self.legend.setColumnCount(2)
            self.legend.addItem(curve, label)
        return bool(self._pending)

    def render_image(self, width: int = 1200) -> QImage:
        """The chart drawn `width` pixels wide (GUI thread: it paints the scene; ~the time of one repaint)."""
        import pyqtgraph.exporters  # noqa: F401  (registers the exporters)

        if not self.isVisible():  # never shown (the CLI): lay the plots out for the widget's size first
            pg.GraphicsView.resizeEvent(self, None)
            self.ci.layout.activate()
        exporter = pg.exporters.ImageExporter(self.scene())
        exporter.parameters()["width"] = int(width)
        # The widget itself is transparent; an image needs a background: the theme's window colour.
        exporter.parameters()["background"] = self.palette().color(self.palette().ColorRole.Window)
        return exporter.export(toBytes=True)

    def export_png(self, path, width: int = 1200) -> None:
        """Draw the chart and write it as a PNG at once (the CLI); UserError naming the path if it cannot."""
        check_folder(path)
        write_png(self.render_image(width), path)


def check_folder(path) -> None:
    """UserError naming `path` when its folder does not exist (before drawing anything for it)."""
    path = os.fspath(path)
    parent = os.path.dirname(path) or "."
    if not os.path.isdir(parent):
        raise UserError(f"cannot write {path}: the folder {parent} does not exist")


def write_png(image: QImage, path) -> None:
    """Write `image` as a PNG at `path`, whole (a temporary file beside it, renamed); UserError naming the path
    when it cannot be written (no folder, no permission, a full disk). Any thread: a QImage is not a widget."""
    check_folder(path)
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if image.isNull() or not image.save(buffer, "PNG"):
        raise UserError(f"cannot write {path}: the chart could not be encoded as PNG")
    try:
        write_atomic(path, bytes(buffer.data().data()))
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None


__all__ = ["ComparePlot", "COLOURS", "METRICS", "check_folder", "write_png"]
