"""The runs comparison chart: curves per run and metric from epoch rows, and its PNG export."""
from __future__ import annotations

import numpy as np
import pytest

from gru_desktop.core.errors import UserError
from gru_desktop.ui.widgets.compare_plot import METRICS, ComparePlot


def rows(losses, accs):
    return [{"run_id": 1, "epoch": i + 1, "train_loss": tl, "val_loss": vl, "train_accuracy": ta, "val_accuracy": va,
             "val_top3": None, "observation": "x"}
            for i, ((tl, vl), (ta, va)) in enumerate(zip(losses, accs, strict=True))]


SERIES = {
    "1: small": rows([(6.0, 6.2), (5.0, 5.5), (4.5, 5.3)], [(0.10, 0.08), (0.20, 0.15), (0.25, 0.17)]),
    "2: big": rows([(5.8, 6.0), (4.2, 5.0)], [(0.12, 0.10), (0.30, 0.20)]),
}


@pytest.fixture
def plot(qtbot):
    w = ComparePlot()
    qtbot.addWidget(w)
    w.resize(800, 600)
    return w


def test_object_name_and_two_linked_plots(plot):
    assert plot.objectName() == "comparePlot"
    assert plot.acc_plot.getViewBox().linkedView(0) is plot.loss_plot.getViewBox()


def test_set_runs_draws_every_metric_per_run(plot):
    plot.set_runs(SERIES)
    assert set(plot.curves) == {(label, m) for label in SERIES for m in METRICS}
    x, y = plot.curves[("1: small", "train_loss")].getData()
    np.testing.assert_array_equal(x, [1, 2, 3])
    np.testing.assert_allclose(y, [6.0, 5.0, 4.5])
    x, y = plot.curves[("2: big", "val_loss")].getData()
    np.testing.assert_array_equal(x, [1, 2])
    np.testing.assert_allclose(y, [6.0, 5.0])
    _, y = plot.curves[("2: big", "val_accuracy")].getData()
    np.testing.assert_allclose(y, [10.0, 20.0])  # percent
    _, y = plot.curves[("1: small", "train_accuracy")].getData()
    np.testing.assert_allclose(y, [10.0, 20.0, 25.0])
    # One colour per run, training dashed and validation solid; one legend entry per run.
    small = plot.curves[("1: small", "val_loss")].opts["pen"]
    big = plot.curves[("2: big", "val_loss")].opts["pen"]
    assert small.color() != big.color()
    assert plot.curves[("1: small", "train_loss")].opts["pen"].color() == small.color()
    assert plot.curves[("1: small", "train_loss")].opts["pen"].style() != small.style()
    assert [label.text for _, label in plot.legend.items] == list(SERIES)


def shown(p):
    return [c for c in p.listDataItems() if c.isVisible()]


def test_set_runs_again_replaces_curves_reusing_them(plot):
    plot.set_runs(SERIES)
    before = set(plot.loss_plot.listDataItems())
    plot.set_runs({"3: other": SERIES["2: big"]})
    assert {label for label, _ in plot.curves} == {"3: other"}
    assert len(shown(plot.loss_plot)) == 2 and len(shown(plot.acc_plot)) == 2
    assert set(plot.loss_plot.listDataItems()) == before  # hidden and reused, not made again (what costs)
    assert len(plot.legend.items) == 1
    plot.set_runs({})
    assert plot.curves == {} and shown(plot.loss_plot) == []


def test_curves_can_be_drawn_one_at_a_time(plot):
    plot.begin(SERIES)
    assert plot.drawing and plot.curves == {}
    assert plot.draw_next() is True and plot.labels == ["1: small"] and list(plot.curves) == [("1: small", "train_loss")]
    for _ in range(3):
        assert plot.draw_next() is True
    assert plot.labels == ["1: small"] and len(plot.curves) == 4 and len(plot.legend.items) == 1
    for _ in range(3):
        assert plot.draw_next() is True
    assert plot.draw_next() is False and plot.labels == list(SERIES) and not plot.drawing
    x, _ = plot.curves[("2: big", "val_loss")].getData()
    assert list(x) == [1, 2]


def test_repaints_wait_for_the_last_curve_and_the_range_is_the_datas(plot):
    """One repaint for a whole comparison, not one per curve (each redrew every curve so far), and the ranges
    set once from the data, not by pyqtgraph's auto range at the repaint."""
    plot.begin(SERIES)
    assert not plot.updatesEnabled()
    while plot.draw_next():
        assert not plot.updatesEnabled()
    assert plot.updatesEnabled()
    (x0, x1), (y0, y1) = plot.loss_plot.viewRange()
    assert x0 < 1 and 3 < x1 < 3.5 and y0 < 4.2 < 6.2 < y1 < 6.5
    (_, _), (a0, a1) = plot.acc_plot.viewRange()
    assert a0 < 8 and 30 < a1 < 33  # percent
    plot.begin({})
    assert plot.updatesEnabled() and plot.draw_next() is False


def test_missing_and_nan_values_are_skipped(plot):
    r = rows([(6.0, float("nan")), (5.0, 5.5)], [(0.1, None), (0.2, 0.15)])
    plot.set_runs({"r": r})
    x, y = plot.curves[("r", "val_loss")].getData()
    np.testing.assert_array_equal(x, [2])
    x, y = plot.curves[("r", "val_accuracy")].getData()
    np.testing.assert_array_equal(x, [2])


def test_export_png(plot, tmp_path):
    plot.set_runs(SERIES)
    path = tmp_path / "chart.png"
    plot.export_png(path, width=900)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 1024
    width = int.from_bytes(data[16:20], "big")  # IHDR
    assert width == 900


def test_export_png_to_missing_folder_names_the_path(plot, tmp_path):
    plot.set_runs(SERIES)
    target = tmp_path / "nope" / "chart.png"
    with pytest.raises(UserError, match="nope"):
        plot.export_png(target)


def test_the_exported_image_lays_out_the_legends_last_run_too(plot):
    """The CLI renders right after set_runs: the legend's last row (two columns from five runs on) was not laid
    out yet and sat on the first."""
    plot.set_runs({f"{k}: run {k}": SERIES["1: small"] for k in range(8)})
    plot.render_image(400)
    (_, first), (_, last) = plot.legend.items[0], plot.legend.items[-1]
    assert last.pos().y() > first.pos().y()
