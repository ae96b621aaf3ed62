"""The autocomplete page: suggestions from a trained run, Tab/Alt/Esc, the prediction trace, quality numbers,
unusable runs, pasting, generating, and typing while another run trains."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPlainTextEdit, QWidget

import storage
from gru_desktop.core.config import TrainConfig
from gru_desktop.jobs import runs
from ui_helpers import QUICK, autocomplete_loaded, click, load, set_spins, train_runs, write_corpus

# No dropout: the network learns this tiny text by heart ("the cat sat on the" → mat) and the fitted blend leans
# on it, while the counts, which see only "on the", prefer rug; with dropout "auto" (0.3 here) 12 epochs
# leave the network unsure and the fitted blend picks rug.
CFG = TrainConfig(embed_dim=16, hidden_size=32, epochs=12, batch_size=32, lr=0.02, vocab_size=200, dropout=0.0)


@pytest.fixture(scope="module")
def trained_home(tmp_path_factory):
    """A data dir with one completed run trained on the small corpus ("the cat sat on the mat." …)."""
    return train_runs(tmp_path_factory, {"small": CFG})


@pytest.fixture
def page(qtbot, window):
    return autocomplete_loaded(qtbot, window)


def edit(window) -> QPlainTextEdit:
    return window.findChild(QPlainTextEdit, "autocompleteEdit")


def test_learned_next_word_is_suggested_in_the_middle(qtbot, window, page):
    qtbot.keyClicks(edit(window), "the cat sat on the ")
    chips = window.findChild(QWidget, "suggestionList")
    assert "mat" in chips.words()
    assert chips.ranked[0].word == "mat" and chips.words()[1] == "mat"  # most likely in the middle
    probs = [s.probability for s in chips.ranked]
    assert probs == sorted(probs, reverse=True) and len(probs) == 3
    assert "%" in chips.buttons[1].toolTip()


def test_half_typed_word_gets_only_completions(qtbot, window, page):
    qtbot.keyClicks(edit(window), "the bird sang in the mo")
    words = [w for w in page.chips.words() if w]
    assert words and all(w.startswith("mo") for w in words)
    assert "morning" in words


def test_tab_accepts_the_top_suggestion(qtbot, window, page):
    box = edit(window)
    qtbot.keyClicks(box, "the cat sat on the ")
    qtbot.keyClick(box, Qt.Key.Key_Tab)
    assert box.toPlainText() == "the cat sat on the mat "
    box.clear()
    qtbot.keyClicks(box, "The C")  # a capital stays a capital
    top = page.chips.ranked[0].word
    assert top.startswith("c")
    qtbot.keyClick(box, Qt.Key.Key_Tab)
    assert box.toPlainText() == "The " + top.capitalize() + " "


def test_alt_digit_picks_a_chip_and_escape_hides(qtbot, window, page):
    box = edit(window)
    qtbot.keyClicks(box, "the cat sat on the ")
    left = page.chips.words()[0]
    qtbot.keyClick(box, Qt.Key.Key_1, Qt.KeyboardModifier.AltModifier)
    assert box.toPlainText() == f"the cat sat on the {left} "
    assert any(page.chips.words())
    qtbot.keyClick(box, Qt.Key.Key_Escape)
    assert page.chips.words() == ["", "", ""]
    qtbot.keyClicks(box, "t")  # the next keystroke brings them back
    assert any(page.chips.words())


def test_clicking_a_chip_inserts_it(qtbot, window, page):
    box = edit(window)
    qtbot.keyClicks(box, "thank you for your ")
    right = page.chips.words()[2]
    qtbot.mouseClick(page.chips.buttons[2], Qt.MouseButton.LeftButton)
    assert box.toPlainText() == f"thank you for your {right} "


def test_empty_box_and_unknown_words_still_get_suggestions(qtbot, window, page):
    page.update_suggestions()
    assert all(page.chips.words())  # sentence starters
    qtbot.keyClicks(edit(window), "zzqx blorf ")
    assert all(page.chips.words())


def test_prediction_trace_shows_the_shapes(qtbot, window, page):
    qtbot.keyClicks(edit(window), "the cat sat on the ")
    page.update_trace()
    trace = window.findChild(QWidget, "predictionTrace")
    texts = trace.shape_texts()
    V = page.predictor.vocab.__len__()
    assert f"shape ({CFG.seq_len},)" in texts["input"]
    assert f"shape (6, {CFG.embed_dim})" in texts["embedding"]  # <bos> + 5 words, L × E at most
    assert f"shape ({CFG.hidden_size}, 6)" in texts["gru"] and f"last state ({CFG.hidden_size},)" in texts["gru"]
    assert f"shape ({V:,},)" in texts["dense"]
    assert trace.embedding.values.shape == (6, CFG.embed_dim)
    assert trace.hidden.values.shape == (CFG.hidden_size, 6)
    assert trace.bars.top[0][0] == "mat" and len(trace.bars.top) == 10
    assert "mat" in trace.prediction.text()


def test_quality_numbers_are_computed_stored_and_shown(qtbot, window, page, home):
    if page.run.get("eval_perplexity") is None:
        with qtbot.waitSignal(page.picker.evaluated, timeout=60_000):
            pass
    run = storage.get_run(runs.open_store(home)[1], page.run["id"])
    assert run["eval_perplexity"] > 1 and 0 < run["eval_top3"] <= 1 and run["eval_keystroke_savings"] > 0
    qtbot.keyClicks(edit(window), "the cat sat")
    page.show_quality()
    text = page.quality.text()
    assert "keystroke savings" in text and f"{run['eval_perplexity']:.1f}" in text
    assert "p99" in text and len(page.latencies_ms) >= len("the cat sat")


@pytest.mark.parametrize("damage", ["missing", "corrupt"])
def test_unusable_model_is_explained(qtbot, window, home, damage):
    db = runs.open_store(home)[1]
    run = storage.list_runs(db)[0]
    path = storage.model_path(home, run["id"])
    if damage == "missing":
        path.unlink()
    else:
        path.write_bytes(b"not a model at all")
    page = window.autocomplete
    with qtbot.waitSignal(page.model_failed, timeout=30_000) as failed:
        page.refresh_runs()
    assert str(run["id"]) in failed.args[0] or "model" in failed.args[0]
    assert "cannot be used" in page.picker.model_status.text()
    assert "cannot be used" in edit(window).placeholderText()
    if damage == "missing":
        assert "model file missing" in page.picker.run_combo.itemText(0)
    qtbot.keyClicks(edit(window), "the cat ")  # typing does not fail
    assert page.chips.words() == ["", "", ""]


def test_the_box_is_read_only_without_a_usable_model(qtbot, window, home):
    """Review defect: _set_enabled(False) left the box editable."""
    db = runs.open_store(home)[1]
    storage.model_path(home, storage.list_runs(db)[0]["id"]).unlink()
    page = window.autocomplete
    with qtbot.waitSignal(page.model_failed, timeout=30_000):
        page.refresh_runs()
    assert edit(window).isReadOnly() and not page.continue_bar.button.isEnabled()
    qtbot.keyClicks(edit(window), "the cat ")
    assert edit(window).toPlainText() == ""


def test_the_box_is_editable_once_a_model_is_loaded(qtbot, window, page):
    assert not edit(window).isReadOnly() and page.continue_bar.button.isEnabled()
    page._set_enabled(False)
    assert edit(window).isReadOnly() and not page.continue_bar.button.isEnabled()
    page._set_enabled(True)
    assert not edit(window).isReadOnly()


def test_the_picker_offers_no_model_of_a_failed_run(qtbot, window, home):
    """Review defect: storage does not trust a failed run's checkpoint (MODEL_STATUSES), the picker did."""
    import shutil

    db = runs.open_store(home)[1]
    good = storage.list_runs(db)[0]
    failed = storage.create_run(db, name="diverged", config=good["config"], corpus=good["corpus"],
                                corpus_sha256=good["corpus_sha256"], vocab_size=good["vocab_size"], epochs_planned=3)
    shutil.copy(good["model_path"], storage.model_path(home, failed))
    db["runs"].update(failed, {"model_path": str(storage.model_path(home, failed)), "best_epoch": 1})
    storage.finish_run(db, failed, "failed", error="diverged")
    page = window.autocomplete
    with qtbot.waitSignal(page.model_loaded, timeout=30_000):
        page.refresh_runs()
    offered = [page.picker.run_combo.itemData(i) for i in range(page.picker.run_combo.count())]
    assert offered == [good["id"]]
    with qtbot.waitSignal(page.runs_listed, timeout=10_000):
        page.refresh_runs(select=failed)  # e.g. from the Runs page: not loaded either
    assert page.picker.run_combo.currentData() == good["id"] and page.run["id"] == good["id"]


def test_pasting_a_long_sentence_catches_up_in_slices(qtbot, window, page):
    box = edit(window)
    long_sentence = " ".join(["the cat sat on the mat and"] * 200)  # 1,400 words, no sentence break
    with qtbot.waitSignal(page.suggestions_shown, timeout=20_000):
        box.insertPlainText(long_sentence + " the ")
    assert page.predictor.pending(page.predictor.context(box.text_before_cursor()).ids) == 0
    assert all(page.chips.words())


def test_pasting_a_megabyte_stays_responsive(qtbot, window, page):
    box = edit(window)
    text = "the cat sat on the mat. " * 45_000  # ~1 MB
    with qtbot.waitSignal(page.suggestions_shown, timeout=20_000):
        box.insertPlainText(text)
    assert len(box.toPlainText()) > 1_000_000
    assert len(box.text_before_cursor()) <= 4000
    assert all(page.chips.words())


def test_continue_writes_words(qtbot, window, page):
    box = edit(window)
    qtbot.keyClicks(box, "the cat ")
    page.continue_bar.words_spin.setValue(5)
    page.continue_bar.temperature.setValue(20)
    click(qtbot, window, "continueButton")
    added = box.toPlainText()[len("the cat "):].split()
    assert len(added) == 5


def test_typing_works_while_another_run_trains(qtbot, window, page, tmp_path):
    load(qtbot, window, [write_corpus(tmp_path)])
    set_spins(window, {**QUICK, "epochsSpin": 10_000})
    click(qtbot, window, "trainButton")
    qtbot.waitUntil(lambda: window.trainer.run_id is not None, timeout=60_000)
    qtbot.keyClicks(edit(window), "the cat sat on the ")
    assert "mat" in page.chips.words()
    with qtbot.waitSignal(window.training_finished, timeout=10_000):
        window.trainer.cancel()


def test_ghost_text_shows_the_rest_of_the_top_suggestion(qtbot, window, page):
    page.ghost_check.setChecked(True)
    box = edit(window)
    qtbot.keyClicks(box, "the bird sang in the mo")
    top = page.chips.ranked[0].word
    assert box.ghost == top[2:] and box.ghost_enabled
    qtbot.keyClicks(box, "rning ")
    assert box.ghost == page.chips.ranked[0].word  # after a space: the whole next word


# --- what suggests: the blend, the GRU alone, the counts alone (issue 10) -----------------------------------
def _expected(page, source: str, text: str) -> list[tuple[str, float]]:
    """That source's top 3 for the text, from a predictor of its own (not the page's)."""
    from gru_desktop.core.predict import Predictor

    p = page.predictor
    other = Predictor(p.model, p.vocab, p.config, blend=p.blend, source=source, personal=p.personal)
    return [(s.word, round(s.probability, 6)) for s in other.suggest(text, 3)]


def _chips(page) -> list[tuple[str, float]]:
    return [(s.word, round(s.probability, 6)) for s in page.chips.ranked]


def test_picker_offers_three_sources_and_each_changes_the_chips(qtbot, window, page):
    lam = page.predictor.blend.weights.lam
    offered = page.picker.sources()
    assert offered == {"blend": (f"GRU + counts (λ = {lam:.2f})", True), "gru": ("GRU only", True),
                       "counts": ("counts only", True)}
    assert page.picker.source_combo.currentData() == "blend" and page.predictor.source == "blend"  # the default
    text = "the cat sat on the "
    qtbot.keyClicks(edit(window), text)
    shown = {}
    for source in ("gru", "counts", "blend"):
        page.picker.source_combo.setCurrentIndex(page.picker.source_combo.findData(source))
        page.picker.source_combo.activated.emit(page.picker.source_combo.currentIndex())  # as a user's pick does
        shown[source] = _chips(page)
        assert shown[source] == _expected(page, source, text), source
    assert shown["gru"][0][0] == "mat" and shown["counts"][0][0] == "rug"  # the two parts disagree here
    assert shown["blend"] != shown["gru"] and shown["blend"] != shown["counts"]
    # Tab accepts the chosen source's top word, and prefix completion ranks by it too
    page.picker.set_source("counts")
    qtbot.keyClick(edit(window), Qt.Key.Key_Tab)
    assert edit(window).toPlainText() == text + "rug "
    edit(window).clear()
    qtbot.keyClicks(edit(window), "the bird sang in the mo")
    assert _chips(page) == _expected(page, "counts", "the bird sang in the mo")


def test_chosen_source_is_kept_when_another_run_loads(qtbot, window, page):
    page.picker.set_source("gru")
    with qtbot.waitSignal(page.model_loaded, timeout=30_000):
        page.picker.load_run(page.run["id"])
    assert page.predictor.source == "gru" and page.picker.source_combo.currentData() == "gru"


def test_trace_shows_the_three_distributions_and_the_weights(qtbot, window, page):
    text = "the cat sat on the "
    qtbot.keyClicks(edit(window), text)
    page.update_trace()
    view = page.trace_view
    w = page.predictor.blend.weights
    cols = view.sources.columns
    assert [c[0] for c in cols] == ["gru", "counts", "blend"]
    for source, _, top in cols:
        assert len(top) == 10
        assert [(a, round(b, 6)) for a, b in top[:3]] == _expected(page, source, text)
        assert all(a >= b for (_, a), (_, b) in zip(top, top[1:], strict=False))
    assert view.sources.chosen == "blend"
    weights = view.weights.text()
    assert f"{w.gru:.2f}" in weights and f"{w.counts:.2f}" in weights and f"{w.cache:.2f}" in weights
    assert f"λ = a / (a + b) = <b>{w.lam:.2f}</b>" in weights
    page.picker.set_source("counts")  # the trace follows the picker at once
    assert view.sources.chosen == "counts" and "rug" in view.prediction.text()
    qtbot.keyClicks(edit(window), "r")  # a half-typed word: completions, ranked by each source
    page.update_trace()
    assert all(word.startswith("r") for _, _, top in view.sources.columns for word, _ in top)


def test_damaged_counts_suggest_with_the_gru_alone_and_the_picker_says_so(qtbot, window, home):
    from gru_desktop.core.counts_file import counts_path

    db = runs.open_store(home)[1]
    run = storage.list_runs(db)[0]
    counts_path(run["model_path"]).write_bytes(b"PK\x03\x04 not what we wrote")
    page = window.autocomplete
    with qtbot.waitSignal(page.model_loaded, timeout=30_000):
        page.refresh_runs()
    assert page.predictor.blend is None and page.predictor.source == "gru"
    offered = page.picker.sources()
    assert offered["gru"][0].startswith("GRU only — counts unusable:") and offered["gru"][1]
    assert not offered["blend"][1] and not offered["counts"][1]
    assert "counts file" in page.picker.source_combo.toolTip()
    page.picker.set_source("counts")  # refused: nothing to count with
    assert page.predictor.source == "gru"
    qtbot.keyClicks(edit(window), "the cat sat on the ")
    assert _chips(page) == _expected(page, "gru", "the cat sat on the ")
    page.update_trace()
    assert [c[0] for c in page.trace_view.sources.columns] == ["gru"]
    assert "GRU only" in page.trace_view.weights.text()


def test_a_run_without_counts_gets_its_blend_fitted_when_loaded(qtbot, window, home):
    from gru_desktop.core.counts_file import counts_path

    db = runs.open_store(home)[1]
    run = storage.list_runs(db)[0]
    counts_path(run["model_path"]).unlink()  # as a run trained before blends existed
    db["runs"].update(run["id"], {"blend_lambda": None, "blend_weights": None, "eval_source": None})
    page = window.autocomplete
    with qtbot.waitSignal(page.model_loaded, timeout=60_000):
        page.refresh_runs()
    assert page.predictor.blend is not None and page.predictor.source == "blend"
    assert counts_path(run["model_path"]).is_file()
    stored = storage.get_run(db, run["id"])
    assert stored["eval_source"] == "blend" and stored["blend_lambda"] == pytest.approx(page.predictor.blend.weights.lam)
    page.show_quality()
    text = page.quality.text()
    assert f"λ = {stored['blend_lambda']:.2f}" in text and f"{stored['eval_perplexity']:.1f}" in text
    assert f"GRU only: perplexity {stored['eval_gru_perplexity']:.1f}" in text


def test_long_text_grows_for_the_predictor_instead_of_sliding(qtbot, window, page):
    from gru_desktop.ui.pages.autocomplete import ANCHOR_STEP, HISTORY_CHARS

    box = edit(window)
    box.insertPlainText("the cat sat on the mat. " * 1000 + "the dog ")  # 24,008 characters
    before = box.text_for_predictor()
    assert HISTORY_CHARS <= len(before) <= HISTORY_CHARS + ANCHOR_STEP and before.endswith("the dog ")
    history = page.predictor._history[1]
    qtbot.keyClicks(box, "sat")  # typing appends to what the predictor saw: its start stays put
    assert box.text_for_predictor() == before + "sat"
    assert page.predictor._history[1] is history  # the text before the sentence was not read again
    assert page.chips.words() and all(w.startswith("sat") for w in page.chips.words() if w)
