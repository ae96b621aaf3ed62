"""The Runs page: the table model, filters, live updates, compare (curves, settings diff, suggestions),
rename/notes/tags/star, delete, continue training, exports."""
from __future__ import annotations

import csv
import os

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableView

import storage
from gru_desktop.core.config import TrainConfig
from gru_desktop.jobs import runs
from gru_desktop.jobs.run_table import prepare, table_rows
from gru_desktop.ui.pages.runs_model import COLUMNS, RunsTableModel
from ui_helpers import click, private_copy, runs_read, train_runs, write_corpus

BASE = TrainConfig(embed_dim=8, hidden_size=16, epochs=3, batch_size=32, lr=0.01, vocab_size=200)
NAME_COL = [c[1] for c in COLUMNS].index("name")


@pytest.fixture(scope="module")
def three_runs(tmp_path_factory):
    """Three completed runs on the small corpus: the second has a bigger GRU, the third a higher learning rate."""
    return train_runs(tmp_path_factory, {"base": BASE, "wide": BASE.replace(hidden_size=24), "fast": BASE.replace(lr=0.02)})


@pytest.fixture
def home(three_runs, tmp_path, monkeypatch):
    monkeypatch.setenv("GRU_DESKTOP_HOME", str(tmp_path / "home"))
    return private_copy(three_runs, tmp_path / "home")


@pytest.fixture
def page(qtbot, window):
    page = window.runs_page
    page.start()  # reads the runs in a worker
    qtbot.waitUntil(lambda: page.model.rowCount() > 0, timeout=10_000)
    page.confirm = lambda text: True
    return page


def db(home):
    return runs.open_store(home)[1]


def test_runs_table_model_passes_qtmodeltester(qtmodeltester, home):
    model = RunsTableModel()
    model.apply(table_rows(db(home)))
    assert model.rowCount() == 4  # three runs and the corpus's Kneser-Ney baseline
    qtmodeltester.check(model)


def test_painting_the_table_never_touches_the_file_system(home, monkeypatch):
    """Review defect: data() called Path.is_file for every name cell on every paint; now the table model checks once, when the rows arrive."""
    from pathlib import Path

    from PySide6.QtCore import Qt as QtNS

    model = RunsTableModel()
    Path(storage.get_run(db(home), 2)["model_path"]).unlink()
    model.apply(table_rows(db(home)))
    calls = []
    real = Path.is_file
    monkeypatch.setattr(Path, "is_file", lambda self: calls.append(self) or real(self))
    roles = [QtNS.ItemDataRole.DisplayRole, QtNS.ItemDataRole.ToolTipRole, QtNS.ItemDataRole.FontRole]
    texts = {}
    for r in range(model.rowCount()):
        for c in range(model.columnCount()):
            for role in roles:
                value = model.index(r, c).data(role)
                if c == NAME_COL and role == QtNS.ItemDataRole.DisplayRole:
                    texts[model.rows[r]["id"]] = value
    assert calls == []
    assert texts[2].endswith("(model file missing)") and not texts[1].endswith("(model file missing)")
    model.apply(table_rows(db(home)))  # the refresh is where the file system is looked at
    assert len(calls) == 3


def test_table_lists_runs_newest_first_and_filters(qtbot, window, page):
    table = window.findChild(QTableView, "runsTable")
    names = [table.model().index(r, NAME_COL).data() for r in range(table.model().rowCount())]
    assert names == ["fast", "wide", "base", "Kneser–Ney trigram"]
    page.filter_edit.setText("WID")
    qtbot.waitUntil(lambda: table.model().rowCount() == 1, timeout=2_000)  # filtered once typing pauses
    page.filter_edit.setText("")
    qtbot.waitUntil(lambda: table.model().rowCount() == 4, timeout=2_000)
    page.status_combo.setCurrentText("cancelled")
    assert table.model().rowCount() == 0
    page.status_combo.setCurrentText("completed")
    assert table.model().rowCount() == 3


def compare(qtbot, page, run_ids):
    """Select runs and wait until the compare area (read in a worker, drawn a run at a time) shows them."""
    with qtbot.waitSignal(page.compare.compared, timeout=10_000):
        page.select_runs(run_ids)


def test_two_selected_runs_overlay_their_curves_and_show_only_differences(qtbot, window, page):
    compare(qtbot, page, [1, 2])
    plot = page.compare_plot
    assert plot is not None and plot.objectName() == "comparePlot"
    for metric in ("train_loss", "val_loss", "train_accuracy", "val_accuracy"):
        curves = [c for (label, m), c in plot.curves.items() if m == metric]
        assert len(curves) == 2
        for c in curves:
            x, _ = c.getData()
            assert list(x) == [1, 2, 3]
    shown = [page.diff.verticalHeaderItem(i).text() for i in range(page.diff.rowCount())]
    assert "hidden_size" in shown and "seq_len" not in shown and "lr" not in shown
    page.show_all.setChecked(True)
    shown = [page.diff.verticalHeaderItem(i).text() for i in range(page.diff.rowCount())]
    assert "seq_len" in shown and "lr" in shown


def test_same_text_gives_each_runs_suggestions_side_by_side(qtbot, window, page):
    page.select_runs([1, 2, 3])
    qtbot.waitUntil(lambda: all(not isinstance(page.predictors.get(i), type(None)) for i in (1, 2, 3)), timeout=30_000)
    page.compare_input.setText("the cat sat on the ")
    for run_id in (1, 2, 3):
        words = page.suggestions_for(run_id)
        assert len(words) == 3 and all(words), words
        p = page.predictors[run_id]
        assert p.source == "blend" and words == [s.word for s in p.suggest("the cat sat on the ", 3)]  # what suggests
    assert page.compare_table.item(0, 0).text().endswith("(blend)")


def test_rename_notes_tags_and_star_are_saved_at_once(qtbot, window, page, home):
    model = page.model
    row = model.row_for(("run", 2))
    assert model.setData(model.index(row, NAME_COL), "wide GRU")
    notes_col = [c[1] for c in COLUMNS].index("notes")
    tags_col = [c[1] for c in COLUMNS].index("tags")
    assert model.setData(model.index(row, notes_col), "H 24 learns faster")
    assert model.setData(model.index(row, tags_col), "small, h24 ")
    page.select_runs([2])
    click(qtbot, window, "starRunButton")
    assert model.index(row, 0).data() == "★"  # shown at once; stored in the background, in order
    qtbot.waitUntil(lambda: not window.store.busy, timeout=10_000)
    run = storage.get_run(db(home), 2)
    assert (run["name"], run["notes"], run["tags"], run["starred"]) == ("wide GRU", "H 24 learns faster", ["small", "h24"], True)
    assert model.index(row, 0).data() == "★"


def test_delete_removes_row_and_model_file(qtbot, window, page, home):
    path = storage.model_path(home, 1)
    assert path.exists()
    page.select_runs([1])
    with qtbot.waitSignal(page.deleted):
        click(qtbot, window, "deleteRunButton")
    assert not path.exists() and storage.get_run(db(home), 1) is None
    assert page.model.row_for(("run", 1)) is None and page.model.rowCount() == 3  # two runs, the baseline


def test_deleting_a_running_run_is_refused(qtbot, window, page, home):
    running = storage.create_run(db(home), name="live", config={}, corpus="c", corpus_sha256="x",
                                 vocab_size=10, epochs_planned=1)  # owned by this (live) process
    runs_read(qtbot, page)
    page.select_runs([running])
    with qtbot.waitSignal(page.problem) as problem:
        click(qtbot, window, "deleteRunButton")
    assert "running" in problem.args[1] or "training" in problem.args[1]
    assert storage.get_run(db(home), running)["status"] == "running"
    storage.finish_run(db(home), running, "cancelled")


def test_runs_written_by_another_connection_appear_live(qtbot, window, page, home):
    other = storage.open_db(storage.db_path(home))  # as the CLI in another process would
    new = storage.create_run(other, name="from the cli", config={}, corpus="c", corpus_sha256="x",
                             vocab_size=10, epochs_planned=1)
    qtbot.waitUntil(lambda: page.model.row_for(("run", new)) is not None, timeout=5_000)
    storage.finish_run(other, new, "failed", error="boom")
    qtbot.waitUntil(lambda: page.model.rows[page.model.row_for(("run", new))]["status"] == "failed", timeout=5_000)


def test_a_run_without_its_model_file_can_still_be_reviewed(qtbot, window, page, home):
    storage.model_path(home, 3).unlink()
    runs_read(qtbot, page)
    row = page.model.row_for(("run", 3))
    assert "model file missing" in page.model.index(row, NAME_COL).data()
    compare(qtbot, page, [3])
    assert not page.buttons["use"].isEnabled() and not page.buttons["continue"].isEnabled()
    x, _ = page.compare_plot.curves[(next(iter(page.compare_plot.labels)), "val_loss")].getData()
    assert list(x) == [1, 2, 3]


def test_autocomplete_on_a_failed_run_says_why_instead_of_loading_another(qtbot, window, page, home):
    """A failed (or running) run keeps its last model file, but its model is not offered for suggestions: the
    Runs page's Autocomplete button is off for it, and asked anyway, the Autocomplete page says so rather than
    silently loading another run."""
    d = db(home)
    d["runs"].update(2, {"status": "failed", "error": "boom"})
    runs_read(qtbot, page)
    page.select_runs([2])
    assert not page.buttons["use"].isEnabled() and "failed" in page.buttons["use"].toolTip()
    page.select_runs([1])
    assert page.buttons["use"].isEnabled()
    ac = window.autocomplete
    with qtbot.waitSignal(ac.model_loaded, timeout=30_000):
        ac.refresh_runs(select=1)
    with qtbot.waitSignal(ac.runs_listed, timeout=10_000):
        ac.refresh_runs(select=2)
    assert ac.run["id"] == 1  # the run shown stays the one that was shown
    assert "run 2" in ac.picker.model_status.text() and "failed" in ac.picker.model_status.text()


def test_continue_training_makes_a_child_run_that_starts_where_the_parent_was(qtbot, window, page, home):
    page.select_runs([1])
    page.more_epochs.setValue(2)
    with qtbot.waitSignal(window.training_finished, timeout=60_000) as finished:
        click(qtbot, window, "continueRunButton")
    child = finished.args[0]
    assert child.status == "completed"
    d = db(home)
    run = storage.get_run(d, child.run_id)
    assert run["parent_run_id"] == 1 and run["config"]["hidden_size"] == BASE.hidden_size
    parent_epochs, child_epochs = storage.get_epochs(d, 1), storage.get_epochs(d, child.run_id)
    assert len(child_epochs) == 2
    # from the parent's loss level, not from scratch
    assert child_epochs[0]["train_loss"] < parent_epochs[0]["train_loss"]
    assert child_epochs[0]["train_loss"] < parent_epochs[-1]["train_loss"] * 1.05


def test_settings_of_a_run_go_into_the_form(qtbot, window, page):
    page.select_runs([2])
    click(qtbot, window, "settingsRunButton")
    assert window.settings_form.config().hidden_size == 24


def test_csv_export_round_trips(qtbot, window, page, home, tmp_path):
    page.select_runs([1, 2])
    out = tmp_path / "runs.csv"
    with qtbot.waitSignal(page.exported, timeout=10_000) as done:  # written in a worker
        assert page.run_actions.export_csv(out)
    assert done.args[0] == f"wrote {out}"
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    expected = storage.get_epochs(db(home), 1) + storage.get_epochs(db(home), 2)
    assert len(rows) == len(expected) == 6
    got = sorted((int(r["run_id"]), int(r["epoch"]), float(r["val_loss"])) for r in rows)
    want = sorted((e["run_id"], e["epoch"], e["val_loss"]) for e in expected)
    assert [(a, b) for a, b, _ in got] == [(a, b) for a, b, _ in want]
    assert all(abs(g[2] - w[2]) < 1e-9 for g, w in zip(got, want, strict=True))


def test_png_export(qtbot, window, page, tmp_path):
    """The chart is drawn on the GUI thread and written in a worker; a path that cannot be written is said."""
    page.select_runs([1])
    png = tmp_path / "chart.png"
    with qtbot.waitSignal(page.exported, timeout=10_000) as done:
        assert page.run_actions.export_png(png) is not None
    assert str(png) in done.args[0]
    assert png.read_bytes()[:4] == b"\x89PNG" and png.stat().st_size > 1000
    taken = tmp_path / "a folder.png"
    taken.mkdir()  # the write itself fails (in the worker): a message, no traceback
    with qtbot.waitSignal(page.problem, timeout=10_000) as problem:
        page.run_actions.export_png(taken)
    assert problem.args[0] == "Cannot export the chart" and f"cannot write {taken}" in problem.args[1]
    with qtbot.waitSignal(page.problem, timeout=1_000) as problem:  # no folder: said before drawing
        assert page.run_actions.export_png(tmp_path / "nope" / "chart.png") is None
    assert "does not exist" in problem.args[1]


def test_model_export_buttons_write_a_checked_pt2_in_the_background(qtbot, window, page, tmp_path):
    import torch

    page.select_runs([1])
    assert page.buttons["pt2"].isEnabled() and page.buttons["onnx"].isEnabled()
    out = tmp_path / "model.pt2"
    with qtbot.waitSignal(page.exported, timeout=120_000) as done:
        assert page.run_actions.export_model(out, "pt2") is not None
        assert not page.buttons["pt2"].isEnabled()  # one model export at a time
        assert window.statusBar().currentMessage().startswith("exporting run 1's model to")
    assert done.args[0].startswith(f"wrote {out}: torch.export program (.pt2) of run 1; ")
    assert "PyTorch" in done.args[0] and "over 20 steps" in done.args[0]
    qtbot.waitUntil(lambda: page.buttons["pt2"].isEnabled())
    assert window.statusBar().currentMessage() == done.args[0]
    assert torch.export.load(str(out)).module() is not None


def test_a_model_export_that_fails_says_so_and_writes_nothing(qtbot, window, page, tmp_path):
    page.select_runs([1])
    out = tmp_path / "out" / "missing" / "model.onnx"
    (tmp_path / "out").mkdir()
    with qtbot.waitSignal(page.problem, timeout=120_000) as problem:
        page.run_actions.export_model(out, "onnx")
    assert problem.args[0] == "Cannot export the model" and "does not exist" in problem.args[1]
    assert list((tmp_path / "out").iterdir()) == []


def test_export_to_an_unwritable_path_says_so(qtbot, window, page, tmp_path):
    page.select_runs([1])
    with qtbot.waitSignal(page.problem) as problem:  # written in a worker: the message comes back
        page.run_actions.export_csv(tmp_path / "no" / "such" / "folder" / "x.csv")
    assert "x.csv" in problem.args[1] or "folder" in problem.args[1]
    if os.geteuid() != 0:  # root can write anywhere
        ro = tmp_path / "ro"
        ro.mkdir(mode=0o500)
        with qtbot.waitSignal(page.problem):
            page.run_actions.export_csv(ro / "x.csv")


def test_baseline_rows_appear_as_their_own_kind(qtbot, window, page, home):
    storage.save_baseline(db(home), kind="kn3", corpus="small.txt", corpus_sha256="abc", split_key="k",
                          perplexity=42.0, top1=0.3, top3=0.5, tokens=100, train_tokens=900, seconds=0.1)
    runs_read(qtbot, page)
    rows = [r for r in page.model.rows if r["kind"] == "baseline" and r["corpus"] == "small.txt"]
    assert len(rows) == 1 and rows[0]["best_val_perplexity"] == 42.0
    row = page.model.row_for(("baseline", rows[0]["id"]))
    status_col = [c[1] for c in COLUMNS].index("status")
    assert page.model.index(row, status_col).data() == "baseline"
    assert not page.model.flags(page.model.index(row, NAME_COL)) & Qt.ItemFlag.ItemIsEditable


def test_every_trained_corpus_gets_a_kneser_ney_row_that_beats_unigram(home):
    """The runs job stores the count-based baseline of the corpus it trained on (the fixture's runs did)."""
    from gru_desktop.core.ngram import UnigramModel

    baselines = storage.list_baselines(db(home))
    assert len(baselines) == 1 and baselines[0]["kind"] == "kn3"  # one corpus, one split: one row
    run = storage.get_run(db(home), 1)
    assert baselines[0]["corpus_sha256"] == run["corpus_sha256"]
    dataset = runs.prepare(run["corpus_paths"], BASE)
    unigram = UnigramModel().fit(dataset.ids, dataset.corpus.starts, dataset.train_sentences, len(dataset.vocab))
    assert baselines[0]["perplexity"] < unigram.score(dataset.ids, dataset.corpus.starts, dataset.val_sentences).perplexity


def test_two_windows_on_one_data_dir_browse_and_train_without_locking(qtbot, make_window, home, tmp_path):
    """Like two app instances: one trains while the other lists runs and edits notes (own connections, WAL)."""
    trainer, browser = make_window(), make_window()
    for w in (trainer, browser):
        w.runs_page.start()
    corpus = write_corpus(tmp_path)
    with qtbot.waitSignal(trainer.corpus_ready, timeout=20_000):
        trainer.load_corpus([corpus])
    trainer.settings_form.set_config(BASE.replace(epochs=4))
    results = []
    trainer.training_finished.connect(results.append)
    click(qtbot, trainer, "trainButton")
    qtbot.waitUntil(lambda: trainer.trainer.run_id is not None, timeout=30_000)
    new = trainer.trainer.run_id
    qtbot.waitUntil(lambda: browser.runs_page.model.row_for(("run", new)) is not None, timeout=10_000)
    notes_col = [c[1] for c in COLUMNS].index("notes")
    model = browser.runs_page.model
    for i in range(5):  # writes from the browsing window while the other one records epochs and steps
        row = model.row_for(("run", 2))
        assert model.setData(model.index(row, notes_col), f"note {i}")
        qtbot.wait(50)
    qtbot.waitUntil(lambda: bool(results), timeout=60_000)
    assert results[0].status == "completed"
    qtbot.waitUntil(lambda: model.rows[model.row_for(("run", new))]["status"] == "completed", timeout=10_000)
    assert storage.get_run(db(home), 2)["notes"] == "note 4"
    assert not browser.messages.last_problem and not trainer.messages.last_problem


def test_settings_diff_reads_old_runs_as_untied():
    from gru_desktop.jobs.compare import settings_rows

    old = {"config": {"seq_len": 10, "lr": 0.02}, "corpus": "a", "vocab_size": 50}  # stored before tie_weights
    new = {"config": {"seq_len": 10, "lr": 0.02, "tie_weights": True}, "corpus": "a", "vocab_size": 50}
    assert settings_rows([old, new], show_all=False) == [("tie_weights", [False, True])]
    assert settings_rows([new, dict(new)], show_all=False) == []


def test_settings_diff_knows_epochs_auto_and_the_budget():
    from gru_desktop.jobs.compare import settings_rows

    old = {"config": {"epochs": 5, "lr": 0.02}, "corpus": "a", "vocab_size": 50}  # stored before the budget
    numbered = {"config": {"epochs": 5, "budget": 300.0, "lr": 0.02}, "corpus": "a", "vocab_size": 50}
    auto = {"config": {"epochs": 0, "budget": 600.0, "lr": 0.02}, "corpus": "a", "vocab_size": 50}
    assert settings_rows([old, numbered], show_all=False) == []  # the budget does not count without auto
    assert settings_rows([old, auto], show_all=False) == [("budget", ["not used", "600 s"]), ("epochs", [5, "auto"])]


def test_runs_table_shows_the_blends_and_the_grus_numbers(home):
    model = RunsTableModel()
    model.apply(table_rows(db(home)))
    keys = [c[1] for c in COLUMNS]
    for r, row in enumerate(model.rows):
        shown = {k: model.index(r, keys.index(k)).data() for k in
                 ("blend_lambda", "blend_perplexity", "blend_top3", "gru_perplexity", "gru_top3")}
        if row["kind"] == "baseline":
            assert set(shown.values()) == {""}
            continue
        assert row["eval_source"] == "blend"  # fitted when training ended
        assert shown == {"blend_lambda": f"{row['blend_lambda']:.2f}", "blend_perplexity": f"{row['eval_perplexity']:.1f}",
                         "blend_top3": f"{row['eval_top3']:.1%}", "gru_perplexity": f"{row['eval_gru_perplexity']:.1f}",
                         "gru_top3": f"{row['eval_gru_top3']:.1%}"}
        assert row["eval_perplexity"] <= row["eval_gru_perplexity"] + 1e-9  # the fitted blend is never worse there
    # a run evaluated before blends (GRU numbers in eval_*, no source): GRU columns, no blend ones
    old = {**model.rows[0], "eval_source": None, "eval_gru_perplexity": None, "eval_gru_top3": None,
           "blend_lambda": None, "eval_perplexity": 61.25, "eval_top3": 0.4}
    model.rows[0] = prepare(old)  # as a refresh prepares every row
    assert model.index(0, keys.index("gru_perplexity")).data() == "61.2"
    assert model.index(0, keys.index("blend_perplexity")).data() == "" and model.index(0, keys.index("blend_lambda")).data() == ""
