"""The live training chart sets steady ranges itself (few new axis ticks, cheap repaints) until the user
pans or zooms; it is built in steps when asked to."""
from __future__ import annotations

from types import SimpleNamespace as NS

import pytest

from gru_desktop.ui.widgets.metrics_plot import RANGE_MARGIN, MetricsPlot, steady_range


def test_a_steady_range_grows_at_once_and_shrinks_only_when_half_empty():
    first = steady_range(None, 2.0, 6.0)
    assert first == pytest.approx((2.0 - 4 * RANGE_MARGIN, 6.0 + 4 * RANGE_MARGIN))
    assert steady_range(first, 2.5, 5.0) is None  # inside, and fills over half of it: kept
    grown = steady_range(first, 1.0, 6.0)  # below it: grows at once
    assert grown is not None and grown[0] < 1.0
    assert steady_range(first, 3.0, 4.0) is not None  # fills under half of it: shrinks
    lo, hi = steady_range(None, 7.4, 7.4)  # one point: a readable range around it, not a millionth wide
    assert lo < 7.4 < hi and hi - lo > 0.5


def steps(epoch, losses):
    return [NS(epoch=epoch, batch=i + 1, batches=len(losses), loss=v) for i, v in enumerate(losses)]


def test_the_chart_keeps_its_ranges_while_the_data_stays_inside(qtbot):
    plot = MetricsPlot()
    qtbot.addWidget(plot)
    plot.add_steps(steps(1, [6.0, 5.0, 4.0, 3.5]))
    plot.redraw()
    (x0, x1), (y0, y1) = plot.loss_plot.viewRange()
    assert x0 <= 0.0 and 1.0 <= x1 < 1.1 and y0 < 3.5 and 6.0 < y1
    plot.add_steps(steps(1, [4.5, 4.0]))  # inside: nothing moves
    plot.redraw()
    assert plot.loss_plot.viewRange() == [[x0, x1], [y0, y1]]
    plot.add_steps(steps(2, [3.0, 2.0]))  # the second epoch: x to 2, y down
    plot.redraw()
    (_, x1b), (y0b, _) = plot.loss_plot.viewRange()
    assert 2.0 <= x1b < 2.1 and y0b < 2.0
    plot.add_epoch(NS(epoch=2, train_loss=3.0, val_loss=3.2, train_accuracy=0.2, val_accuracy=0.25, val_top3=0.4, best_epoch=2))
    plot.redraw()
    (_, _), (a0, a1) = plot.acc_plot.viewRange()
    assert a0 < 20.0 and 40.0 < a1


def test_after_the_user_zooms_the_ranges_are_left_alone_until_the_next_run(qtbot):
    plot = MetricsPlot()
    qtbot.addWidget(plot)
    plot.add_steps(steps(1, [6.0, 5.0]))
    plot.redraw()
    plot.loss_plot.getViewBox().sigRangeChangedManually.emit([True, True])  # as a mouse zoom does
    plot.loss_plot.setYRange(10, 20, padding=0)
    plot.add_steps(steps(2, [1.0]))
    plot.redraw()
    assert plot.loss_plot.viewRange()[1] == [10, 20] and not plot.own_ranges
    plot.reset()
    assert plot.own_ranges


def test_a_staged_chart_is_built_one_step_at_a_time(qtbot):
    plot = MetricsPlot(staged=True)
    qtbot.addWidget(plot)
    assert not hasattr(plot, "curves")
    n = 1
    while plot.build_next():
        n += 1
    assert n >= 4 and set(plot.curves) and plot.build_next() is False
    assert plot.complete() is plot


def test_the_x_axis_spans_the_planned_epochs_from_the_start_else_grows_by_doubling(qtbot):
    plot = MetricsPlot()
    qtbot.addWidget(plot)
    plot.planned_epochs = 10
    plot.add_steps(steps(1, [6.0, 5.0]))
    plot.redraw()
    first = plot.loss_plot.viewRange()[0]
    assert 10.0 <= first[1] < 10.3  # the whole run's width at once
    for epoch in range(2, 11):  # no epoch end moves it
        plot.add_steps(steps(epoch, [4.0]))
        plot.redraw()
        assert plot.loss_plot.viewRange()[0] == first
    plot.add_steps(steps(11, [3.0]))  # past the plan (a resumed or continued run): doubling from there
    plot.redraw()
    assert 16.0 <= plot.loss_plot.viewRange()[0][1] < 16.5
    plot.reset()
    plot.planned_epochs = 0  # epochs auto: 1, 2, 4, 8 …
    for epoch, hi in ((1, 1), (2, 2), (3, 4), (4, 4), (5, 8)):
        plot.add_steps(steps(epoch, [2.0]))
        plot.redraw()
        assert hi <= plot.loss_plot.viewRange()[0][1] < hi * 1.05, epoch
