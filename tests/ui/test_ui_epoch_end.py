"""An epoch end costs the GUI thread the same whatever came before it (issue 22 item 4: within one frame): the
epoch table adds a row of C++ items and only widens columns, the sample suggestions add a column, and the
chart's per-epoch curves are light EpochCurve items that still show what a PlotDataItem with symbols did."""
from __future__ import annotations

from types import SimpleNamespace as NS

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics

from gru_desktop.ui.pages.samples_view import CHANGED, SamplesPanel
from gru_desktop.ui.widgets.epoch_curve import EpochCurve
from gru_desktop.ui.widgets.epoch_table import COLUMNS, EpochTable
from gru_desktop.ui.widgets.metrics_plot import MetricsPlot


def epoch(n, best, loss=3.0, seconds=1.5, perplexity=22.2, observation="improving"):
    return NS(epoch=n, train_loss=loss, train_accuracy=0.2, val_loss=loss + 0.1, val_accuracy=0.25, val_top3=0.4,
              val_perplexity=perplexity, seconds=seconds, observation=observation, best_epoch=best,
              samples=[{"prefix": "thank you for your", "suggestions": ["help", "time", "work"]}])


def test_the_epoch_table_adds_rows_moves_the_star_and_only_widens(qtbot):
    table = EpochTable()
    qtbot.addWidget(table)
    model, header = table.table_model, table.horizontalHeader()
    model.add(epoch(1, 1))
    model.add(epoch(2, 2, loss=2.5))
    assert model.rowCount() == 2 and model.index(1, 8).data() == "improving"
    assert model.index(1, 0).data() == "★ 2" and model.index(0, 0).data() == "1"  # the star moved
    assert model.index(1, 3).data(Qt.ItemDataRole.FontRole).bold() and model.index(0, 3).data(Qt.ItemDataRole.FontRole) is None
    assert "thank you for your → help, time, work" in model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole)
    assert model.index(0, 1).data(Qt.ItemDataRole.ToolTipRole) == COLUMNS[1][3]
    widths = [header.sectionSize(c) for c in range(8)]
    fm = QFontMetrics(model.bold)
    assert all(w >= fm.horizontalAdvance(model.index(1, c).data()) for c, w in enumerate(widths))
    model.add(epoch(3, 2, perplexity=12345678901.2, seconds=9876543.2))  # wider numbers: those columns widen, none narrows
    after = [header.sectionSize(c) for c in range(8)]
    assert after[6] > widths[6] and after[7] > widths[7] and all(a >= b for a, b in zip(after, widths, strict=True))
    assert table.isColumnHidden(len(COLUMNS) - 1)  # no canaries
    model.clear()
    assert model.rowCount() == 0 and model.best_epoch == 0 and model.columnCount() == len(COLUMNS)


def test_the_samples_add_a_column_per_epoch_and_keep_the_earlier_ones(qtbot):
    panel = SamplesPanel()
    qtbot.addWidget(panel)
    panel.start_run(["thank you for your"])
    first = [{"prefix": "the cat", "suggestions": ["sat", "is", "was"]},
             {"prefix": "thank you for your", "suggestions": ["help", "time", "work"]}]
    panel.add_epoch(1, first)
    kept = panel.table.item(0, 0)
    panel.add_epoch(2, [first[0], {"prefix": "thank you for your", "suggestions": ["time", "help", "work"]}])
    t = panel.table
    assert t.columnCount() == 2 and t.horizontalHeaderItem(1).text() == "epoch 2"
    assert t.item(0, 0) is kept  # not rebuilt
    assert t.item(1, 1).text() == "time · help · work" and t.item(1, 1).background().color() == CHANGED
    assert t.item(0, 1).background().color() != CHANGED  # the same words as the epoch before
    assert panel.row_words("thank you for your") == [["help", "time", "work"], ["time", "help", "work"]]


def test_the_epoch_curves_hold_their_points_bounds_and_legend(qtbot):
    plot = MetricsPlot()
    qtbot.addWidget(plot)
    plot.resize(800, 500)
    plot.show()
    qtbot.waitExposed(plot)
    for n, loss in ((1, 5.0), (2, 4.0), (3, float("nan"))):  # a NaN epoch draws no point and no bounds
        plot.add_epoch(NS(epoch=n, train_loss=loss, val_loss=loss + 0.2, train_accuracy=0.1 * n, val_accuracy=0.1,
                          val_top3=0.3, best_epoch=2))
    plot.redraw()
    curve = plot.curves["val_loss"]
    assert isinstance(curve, EpochCurve) and curve.getViewBox() is plot.loss_plot.getViewBox()
    x, y = curve.getData()
    assert list(x) == [1, 2, 3] and list(y[:2]) == [5.2, 4.2]
    assert curve.dataBounds(1) == (4.2, 5.2) and curve.dataBounds(0) == (1.0, 3.0)
    rect = curve.boundingRect()
    assert rect.left() < 1.0 and rect.right() > 2.0 and rect.top() < 4.2 and rect.bottom() > 5.2  # padded for markers
    image = plot.grab().toImage()  # paints the curves, markers and legend samples
    assert not image.isNull()
    plot.loss_plot.getViewBox().autoRange()  # the "A" button: the ranges from dataBounds
    (_, _), (y0, y1) = plot.loss_plot.viewRange()
    assert y0 <= 4.2 and y1 >= 5.2
