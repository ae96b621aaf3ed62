"""The Runs page with many runs (as sweeps leave them): the compare area reads and diffs in a worker, draws
at most MAX_COMPARED runs and says so; sorting and selection stay cheap and keep the selection."""
from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt

from gru_desktop.bench.journey import make_runs_folder
from gru_desktop.jobs import compare as compare_jobs
from gru_desktop.jobs.compare import MAX_COMPARED
from gru_desktop.ui.pages.runs_model import COLUMNS

RUNS = 12


@pytest.fixture
def page(qtbot, home, make_window):
    make_runs_folder(home, RUNS, epochs=3, steps=6)
    window = make_window()
    page = window.runs_page
    page.start()
    qtbot.waitUntil(lambda: page.proxy.rowCount() == RUNS, timeout=10_000)
    return page


def test_more_runs_than_the_chart_shows_compares_the_first_and_says_so(qtbot, page, monkeypatch):
    threads = []
    real = compare_jobs.compare_data
    monkeypatch.setattr(compare_jobs, "compare_data", lambda db, runs: threads.append(threading.current_thread()) or real(db, runs))
    with qtbot.waitSignal(page.compare.compared, timeout=10_000):
        page.table.selectAll()
    assert threads and threads[-1] is not threading.main_thread()  # read and diffed in a worker
    plot = page.compare_plot
    assert len(plot.labels) == MAX_COMPARED and len(plot.curves) == 4 * MAX_COMPARED
    shown = [r["id"] for r in page.compare.runs]
    assert shown == list(range(RUNS, RUNS - MAX_COMPARED, -1))  # the first ones in the table's order
    note = page.compare.note
    assert not note.isHidden() and f"first {MAX_COMPARED} of the {RUNS} selected" in note.text()
    assert page.diff.columnCount() == MAX_COMPARED and plot.legend.columnCount == 2  # the legend fits
    rows = [page.diff.verticalHeaderItem(i).text() for i in range(page.diff.rowCount())]
    assert "hidden_size" in rows and "seq_len" not in rows  # only what differs (the runs' settings vary)
    with qtbot.waitSignal(page.compare.compared, timeout=10_000):
        page.select_runs([3, 4])
    assert note.isHidden() and len(plot.labels) == 2
    assert len([c for c in plot.loss_plot.listDataItems() if c.isVisible()]) == 4  # the rest hidden, kept


def test_sorting_a_column_keeps_the_selection_and_filters_still_apply(qtbot, page):
    page.select_runs([5])
    col = [c[1] for c in COLUMNS].index("best_val_loss")
    page.table.sortByColumn(col, Qt.SortOrder.AscendingOrder)
    losses = [page.model.rows[i]["best_val_loss"] for i in range(RUNS)]
    assert losses == sorted(losses)
    assert [r["id"] for r in page.selected_runs()] == [5]
    page.proxy.set_text("run 1")  # run 1, 10, 11, 12
    assert page.proxy.rowCount() == 4
    shown = [page.proxy.index(r, col).data() for r in range(4)]
    assert shown == sorted(shown)


def test_clear_token_cache_shows_its_size_and_asks_first(qtbot, home, make_window, tmp_path):
    from gru_desktop.jobs.runs import token_cache
    from ui_helpers import write_corpus

    cache = token_cache(home)
    cache.read_corpus([write_corpus(tmp_path)])  # as a CLI run or the queue leaves it
    size = cache.size()
    assert size > 0
    window = make_window()
    page = window.runs_page
    button = page.cache_button
    page.start()
    qtbot.waitUntil(lambda: button.entries == 1, timeout=10_000)
    from gru_desktop.core.corpus import describe_size

    assert button.isEnabled() and describe_size(size) in button.text()
    asked = []
    button.confirm = lambda text: asked.append(text) or False
    button.click()
    assert asked and "1 entry" in asked[0] and cache.size() == size  # refused: nothing removed
    button.confirm = lambda text: True
    with qtbot.waitSignal(page.exported, timeout=10_000) as said:
        button.click()
    assert "token cache cleared: 1 entry" in said.args[0]
    assert cache.entries() == []
    qtbot.waitUntil(lambda: button.text() == "Token cache: empty" and not button.isEnabled(), timeout=10_000)


def test_the_window_loads_torch_and_pyqtgraph_in_a_worker_then_starts_its_pages(qtbot, home, make_window, monkeypatch):
    """Imported on the GUI thread after the first paint, they held the window for 1–4 s (bench --only journey)."""
    from gru_desktop.ui.workers import warm_up

    make_runs_folder(home, 3, epochs=2, steps=4)
    threads = []
    real = warm_up.warm_up
    monkeypatch.setattr(warm_up, "warm_up", lambda *a: threads.append(threading.current_thread()) or real(*a))
    window = make_window()
    with qtbot.waitSignal(window.autocomplete.runs_listed, timeout=120_000):  # the last page to start
        window.show()
    assert threads and threads[0] is not threading.main_thread()
    assert window.training_view.plot is not None
    qtbot.waitUntil(lambda: window.runs_page.model.rowCount() == 3, timeout=10_000)
    combo = window.autocomplete.picker.run_combo  # listed in a worker too: labels made there
    assert combo.count() == 3 and combo.itemText(0).startswith("run 3 · completed") and "model file missing" in combo.itemText(0)


def test_after_the_pages_the_training_code_loads_in_a_worker_then_the_start_up_is_frozen(qtbot, make_window, monkeypatch):
    """torch._dynamo (what a first optimizer step imports, 1.2 s) loads once the pages have started, off the
    GUI thread; then gc_guard freezes what the start-up made (a full collection took ~200 ms before)."""
    from gru_desktop.ui.workers import warm_up

    order: list[str] = []
    real = warm_up.training_code
    monkeypatch.setattr(warm_up, "training_code",
                        lambda *a: order.append(f"training code on main thread: {threading.current_thread() is threading.main_thread()}") or real(*a))
    window = make_window()
    window.warmed_up.connect(lambda: order.append("pages started"))
    monkeypatch.setattr(window.collector, "freeze_startup", lambda: order.append("frozen"))
    window.show()
    qtbot.waitUntil(lambda: "frozen" in order, timeout=120_000)
    assert order == ["pages started", "training code on main thread: False", "frozen"] or \
        order == ["training code on main thread: False", "pages started", "frozen"]
