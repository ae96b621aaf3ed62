"""Learning as you type on the Autocomplete page (design §17): what is typed and accepted is learned and listed,
Forget, pausing stores nothing, the threshold hides unlikely suggestions, and time saved is shown."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPlainTextEdit

import storage
from gru_desktop.core.config import TrainConfig
from ui_helpers import autocomplete_loaded, train_runs

CFG = TrainConfig(embed_dim=16, hidden_size=32, epochs=6, batch_size=32, lr=0.02, vocab_size=200, dropout=0.0)


@pytest.fixture(scope="module")
def trained_home(tmp_path_factory):
    return train_runs(tmp_path_factory, {"small": CFG})


@pytest.fixture
def page(qtbot, window):
    page = autocomplete_loaded(qtbot, window)
    qtbot.waitUntil(lambda: page.learning.learner is not None, timeout=20_000)
    return page


def _box(window) -> QPlainTextEdit:
    return window.findChild(QPlainTextEdit, "autocompleteEdit")


def _stored(home) -> set[str]:
    db = storage.open_db(storage.db_path(home))
    return {r[0] for r in db.execute("SELECT ngram FROM personal_ngrams").fetchall()}


def test_typing_and_accepting_updates_the_learned_list(qtbot, window, page, home):
    box, learning = _box(window), page.learning
    qtbot.keyClicks(box, "the cat sat on the ")
    qtbot.keyClick(box, Qt.Key.Key_Tab)  # accept the top chip: learned like a typed word
    accepted = box.toPlainText().split()[-1]
    qtbot.keyClicks(box, "zorblax ")
    learning.flush()
    qtbot.waitUntil(lambda: any(r[1] == "zorblax" for r in learning.learned_tab.model.rows), timeout=20_000)
    words = {row[1] for row in learning.learned_tab.model.rows}
    assert {"cat", accepted, "zorblax", f"{accepted} zorblax"} <= words
    seen = {row[1]: row[2] for row in learning.learned_tab.model.rows}
    assert seen["the"] == 2  # "the" was finished twice
    assert '["zorblax"]' in _stored(home)
    assert "learned" in learning.learned_tab.note.text()
    qtbot.waitUntil(lambda: "per 100 words" in learning.time_label.text(), timeout=5_000)


def test_forget_removes_a_word_from_the_list_and_the_database(qtbot, window, page, home):
    box, learning = _box(window), page.learning
    qtbot.keyClicks(box, "my zorblax ran ")
    learning.flush()
    qtbot.waitUntil(lambda: any(r[1] == "zorblax" for r in learning.learned_tab.model.rows), timeout=20_000)
    row = next(i for i, r in enumerate(learning.learned_tab.model.rows) if r[1] == "zorblax")
    learning.learned_tab.table.selectRow(row)
    qtbot.mouseClick(learning.learned_tab.forget_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: all("zorblax" not in r[1] for r in learning.learned_tab.model.rows), timeout=20_000)
    assert not any("zorblax" in k for k in _stored(home))
    with qtbot.waitSignal(learning.list_refreshed, timeout=20_000):
        learning.forget_all()
    assert _stored(home) == set() and learning.learned_tab.model.rows == []


def test_nothing_is_stored_while_paused(qtbot, window, page, home):
    box, learning = _box(window), page.learning
    learning.learn_check.setChecked(False)
    assert learning.learned_tab.pause_button.isChecked()
    qtbot.keyClicks(box, "my secret pin is ")
    learning.flush()
    qtbot.wait(300)
    assert _stored(home) == set() and not learning.counts.rows


def test_threshold_hides_low_probability_suggestions(qtbot, window, page):
    box, learning = _box(window), page.learning
    qtbot.keyClicks(box, "the cat sat on the ")
    probs = [s.probability for s in page.chips.ranked]
    assert len(probs) == 3 and min(probs) < 0.2
    learning.set_threshold(0.2)
    assert page.chips.ranked and all(s.probability >= 0.2 for s in page.chips.ranked)
    assert len(page.chips.ranked) < 3
    learning.set_threshold(0.0)
    assert len(page.chips.ranked) == 3


def test_a_finished_word_is_learned_after_its_chips(qtbot, window, page):
    """The keystroke that finishes a word shows its chips; the check and learn wait for the event loop."""
    box, learning = _box(window), page.learning
    tick, shown = learning.counts.tick, len(page.latencies_ms)
    qtbot.keyClicks(box, "the cat ")
    assert learning.counts.tick == tick and len(page.chips.ranked) == 3  # chips first, nothing learned yet
    qtbot.waitUntil(lambda: learning.counts.tick == tick + 2, timeout=5_000)
    assert len(page.latencies_ms) == shown + len("the cat ")  # the chips again after a learn: not keystrokes
