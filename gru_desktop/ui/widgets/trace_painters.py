"""The prediction trace's painted parts: a matrix as a heat map (`HeatMap`), the softmax's top words as bars
(`TopBars`), and what suggests — each source's ten most likely words side by side (`SourceColumns`). They show
the numbers they are given and nothing else; `pages/prediction_trace.py` decides what goes in.
"""
from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget


def diverging(values):
    """Blue (negative) – white (0) – red (positive), scaled by the largest magnitude: (h, w, 4) uint8 RGBA."""
    import numpy as np  # here, not at the top: the window must paint before numpy loads (~70 ms)

    scale = float(np.abs(values).max()) or 1.0
    t = np.clip(values / scale, -1, 1)[..., None]  # (h, w, 1)
    white, red, blue = np.array([255, 255, 255]), np.array([214, 39, 40]), np.array([31, 119, 180])
    rgb = np.where(t >= 0, white + (red - white) * t, white + (blue - white) * -t)
    out = np.empty(values.shape + (4,), np.uint8)
    out[..., :3] = rgb.round().astype(np.uint8)
    out[..., 3] = 255
    return out


class HeatMap(QWidget):
    """A matrix drawn as coloured cells (rows × columns), nearest-neighbour scaled to the widget."""

    def __init__(self, name: str, parent=None):
        super().__init__(parent)
        self.setObjectName(name)
        self.setMinimumHeight(60)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.values = None  # (rows, columns) numpy array
        self._image: QImage | None = None

    def set_values(self, values) -> None:
        self.values = values
        if values is None or values.size == 0:
            self._image = None
        else:
            rgba = diverging(values.astype("float32")).copy(order="C")
            h, w = values.shape
            self._image = QImage(rgba.data, w, h, 4 * w, QImage.Format.Format_RGBA8888).copy()
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(300, 90)

    def paintEvent(self, event):
        p = QPainter(self)
        if self._image is None:
            p.setPen(self.palette().color(self.palette().ColorRole.PlaceholderText))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "type to see this layer")
            return
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        p.drawImage(QRectF(self.rect()), self._image)
        p.end()


class TopBars(QWidget):
    """Horizontal bars: the ten most likely next words and their probabilities."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("softmaxBars")
        self.setMinimumHeight(10 * (self.fontMetrics().height() + 3))
        self.top: list[tuple[str, float]] = []

    def set_top(self, top: list[tuple[str, float]]) -> None:
        self.top = list(top)
        self.update()

    def paintEvent(self, event):
        p = QPainter(self)
        text = self.palette().color(self.palette().ColorRole.WindowText)
        fm = p.fontMetrics()
        if not self.top:
            p.setPen(text)
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "no prediction yet")
            return
        row = max(fm.height() + 2, (self.height() - 2) // max(len(self.top), 1))
        label_w = max(fm.horizontalAdvance(w) for w, _ in self.top) + 8
        value_w = fm.horizontalAdvance("100.0%") + 8
        bar_w = max(self.width() - label_w - value_w, 10)
        peak = max(pr for _, pr in self.top) or 1.0
        for i, (word, prob) in enumerate(self.top):
            y = i * row
            p.setPen(text)
            p.drawText(QRectF(0, y, label_w - 6, row), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, word)
            p.fillRect(QRectF(label_w, y + 2, bar_w * prob / peak, row - 4), QColor(31, 119, 180) if i else QColor(214, 39, 40))
            p.drawText(QRectF(label_w + bar_w * prob / peak + 4, y, value_w, row), Qt.AlignmentFlag.AlignVCenter, f"{prob:.1%}")
        p.end()


SOURCE_TITLES = {"gru": "GRU", "counts": "counts", "blend": "blend"}
SOURCE_COLOURS = {"gru": (31, 119, 180), "counts": (255, 127, 14), "blend": (44, 160, 44)}


class SourceColumns(QWidget):
    """The three distributions side by side: per source a column of its ten most likely words, with bars.

    `columns`: [(source, subtitle, [(word, probability), ...])]; `chosen`: the source that suggests."""

    ROWS = 10

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("sourceDistributions")
        line = self.fontMetrics().height() + 3
        self.setMinimumHeight((self.ROWS + 2) * line + 4)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.columns: list[tuple[str, str, list[tuple[str, float]]]] = []
        self.chosen = ""

    def sizeHint(self) -> QSize:
        return QSize(420, self.minimumHeight())

    def set_columns(self, columns, chosen: str) -> None:
        self.columns, self.chosen = list(columns), chosen
        self.update()

    def top(self, source: str) -> list[tuple[str, float]]:
        for s, _, top in self.columns:
            if s == source:
                return top
        return []

    def paintEvent(self, event):
        p = QPainter(self)
        pal = self.palette()
        text, grey = pal.color(pal.ColorRole.WindowText), pal.color(pal.ColorRole.PlaceholderText)
        fm = p.fontMetrics()
        if not self.columns:
            p.setPen(grey)
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "no prediction yet")
            return
        line = fm.height() + 3
        n = len(self.columns)
        gap = 8
        col_w = (self.width() - gap * (n - 1)) / n
        value_w = fm.horizontalAdvance("100.0%") + 4
        bold = p.font()
        bold.setBold(True)
        for c, (source, subtitle, top) in enumerate(self.columns):
            x0 = c * (col_w + gap)
            if source == self.chosen:  # the column that fills the chips
                p.fillRect(QRectF(x0, 0, col_w, self.height()), pal.color(pal.ColorRole.AlternateBase))
            p.setPen(text)
            p.setFont(bold)
            title = SOURCE_TITLES.get(source, source) + ("  ◀ suggests" if source == self.chosen else "")
            p.drawText(QRectF(x0 + 2, 0, col_w - 4, line), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                       p.fontMetrics().elidedText(title, Qt.TextElideMode.ElideRight, int(col_w - 4)))
            p.setFont(self.font())
            p.setPen(grey)
            p.drawText(QRectF(x0 + 2, line, col_w - 4, line), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                       fm.elidedText(subtitle, Qt.TextElideMode.ElideRight, int(col_w - 4)))
            if not top:
                p.drawText(QRectF(x0, 2 * line, col_w, line), Qt.AlignmentFlag.AlignCenter, "no word fits")
                continue
            label_w = min(max(fm.horizontalAdvance(w) for w, _ in top) + 6, col_w * 0.45)
            bar_w = max(col_w - label_w - value_w - 2, 6)
            peak = max(pr for _, pr in top) or 1.0
            colour = QColor(*SOURCE_COLOURS.get(source, (120, 120, 120)))
            for i, (word, prob) in enumerate(top[: self.ROWS]):
                y = (i + 2) * line
                p.setPen(text)
                p.drawText(QRectF(x0, y, label_w - 4, line), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                           fm.elidedText(word, Qt.TextElideMode.ElideRight, int(label_w - 4)))
                w = bar_w * prob / peak
                p.fillRect(QRectF(x0 + label_w, y + 2, w, line - 4), colour)
                p.drawText(QRectF(x0 + label_w + w + 2, y, value_w, line), Qt.AlignmentFlag.AlignVCenter,
                           f"{prob:.1%}")
        p.end()
