"""An epoch curve of the training chart (issue 22 item 4: an epoch end within one frame): a line through one
point per epoch with a marker at each — what a pyqtgraph PlotDataItem with symbols draws, at a fraction of
the GUI thread's time.

A PlotDataItem with symbols is a PlotCurveItem plus a ScatterPlotItem: each `setData` rebuilt the scatter's
per-point records and pens (5 curves: ~8 ms of an epoch end's redraw on a busy core), and every repaint of
the chart asked both items for their bounding rectangles dozens of times, each answer computed from the
data in Python (with the axes, most of a ~18 ms epoch-end repaint). This item keeps its points as a
QPolygonF, its marker as one pre-rendered image (antialiased, as the scatter's), and its bounding rectangle
until the data or the view changes. It answers what the chart, its ViewBox (auto range: `dataBounds`,
`pixelPadding`) and the tests ask of a PlotDataItem: `setData`, `getData`, `name`, `opts` (the legend).
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from pyqtgraph.graphicsItems.LegendItem import ItemSample
from pyqtgraph.graphicsItems.ScatterPlotItem import drawSymbol, renderSymbol
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QPolygonF

MARKER_PEN = (200, 200, 200)  # the marker's outline: PlotDataItem's default symbol pen, as before


class EpochCurve(pg.GraphicsObject):
    """A few (x, y) points joined by `pen`, a `symbol` ("o", "s", "t", …) of `size` px filled with `brush`
    at each."""

    def __init__(self, pen, symbol: str, brush, name: str, size: int = 7):
        super().__init__()
        pen = pg.mkPen(pen)  # cosmetic: its width in pixels whatever the view's scale
        self.opts = {"pen": pen, "symbol": symbol, "size": size, "symbolPen": pg.mkPen(MARKER_PEN),
                     "brush": pg.mkBrush(brush), "name": name, "antialias": False}
        self._marker = renderSymbol(symbol, size, self.opts["symbolPen"], self.opts["brush"])
        self._x = self._y = np.empty(0)
        self._points = QPolygonF()
        self._bounds: QRectF | None = None  # in data coordinates, padded by the marker's pixels; None: stale

    def name(self) -> str:
        return self.opts["name"]

    def setData(self, x, y) -> None:
        self._x = np.array(x, dtype=float)
        self._y = np.array(y, dtype=float)
        keep = np.isfinite(self._x) & np.isfinite(self._y)
        self._points = QPolygonF([QPointF(a, b) for a, b in zip(self._x[keep], self._y[keep], strict=True)])
        self.prepareGeometryChange()
        self._bounds = None
        self.update()
        self.informViewBoundsChanged()  # for the ViewBox's auto range, when the user turned it on

    def getData(self) -> tuple[np.ndarray, np.ndarray]:
        return self._x, self._y

    def dataBounds(self, ax: int, frac: float = 1.0, orthoRange=None):
        values = (self._x, self._y)[ax]
        values = values[np.isfinite(values)]
        return (float(values.min()), float(values.max())) if values.size else (None, None)

    def pixelPadding(self) -> float:
        return self.opts["size"] / 2 + 1

    def viewTransformChanged(self) -> None:  # the ViewBox's range or size changed: the padding in data units too
        self.prepareGeometryChange()
        self._bounds = None

    def boundingRect(self) -> QRectF:
        if self._bounds is None:
            if self._points.isEmpty():
                self._bounds = QRectF()
            else:
                rect = self._points.boundingRect()
                px, py = self.pixelVectors()
                pad = self.pixelPadding()
                dx = 0.0 if px is None else px.length() * pad
                dy = 0.0 if py is None else py.length() * pad
                self._bounds = rect.adjusted(-dx, -dy, dx, dy)
        return self._bounds

    def paint(self, painter, *_):
        if self._points.isEmpty():
            return
        painter.setPen(self.opts["pen"])
        painter.drawPolyline(self._points)
        # the markers in device pixels, centred on each point
        transform = painter.transform()
        painter.resetTransform()
        w, h = self._marker.width() / 2, self._marker.height() / 2
        for point in transform.map(self._points):
            painter.drawImage(QPointF(point.x() - w, point.y() - h), self._marker)
        painter.setTransform(transform)


class EpochSample(ItemSample):
    """An EpochCurve's entry in a legend: its line with its marker (grey outline) on it, as PlotDataItem's."""

    def paint(self, painter, *args):
        if not isinstance(self.item, EpochCurve) or not self.item.isVisible():
            super().paint(painter, *args)  # a PlotDataItem's entry, or the "hidden" eye
            return
        opts = self.item.opts
        painter.setPen(opts["pen"])
        painter.drawLine(0, 11, 20, 11)
        painter.translate(10, 10)
        drawSymbol(painter, opts["symbol"], opts["size"], opts["symbolPen"], opts["brush"])
