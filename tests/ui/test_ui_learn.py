"""The Learn page and predict-then-reveal: answering by click and by keys updates the score, the hint and the
solution show, a test is scored at the end, guesses on the pipeline page are scored, and every answer is
stored (read back from the database). The session's rules are checked without a window first."""
from __future__ import annotations

import html
from types import SimpleNamespace

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton

import storage
from gru_desktop.core.config import TrainConfig
from gru_desktop.ui.pages.learn_session import LearnSession
from ui_helpers import load, train_runs

CFG = TrainConfig(seq_len=6, embed_dim=8, hidden_size=16, vocab_size=200, epochs=1, batch_size=128, threads=1)


def stored_answers(home) -> list[dict]:
    _, db = storage.open_store(home)
    try:
        return list(db["learn_answers"].rows)
    finally:
        db.close()


# --- the session, without a window -----------------------------------------------------------------------
def fake_question(i: int, answer: int = 1):
    """A question-shaped value for the session's bookkeeping (the real ones come from core.learn)."""
    Mistake = SimpleNamespace
    return SimpleNamespace(id=f"q{i}", family="shapes" if i % 2 else "concepts", difficulty="easy",
                           options=("a", "b", "c", "d"), answer=answer,
                           mistakes=[Mistake(option=o, misconception=f"tag{o}", explanation="")
                                     for o in range(4) if o != answer])


def session(mode: str, n: int) -> LearnSession:
    clock = iter(range(100)).__next__
    quiz = SimpleNamespace(mode=mode, seed=1, questions=[fake_question(i) for i in range(n)], skipped=())
    return LearnSession(quiz, clock=lambda: float(clock()))


def test_practice_answers_are_final_and_scored_at_once():
    s = session("practice", 3)
    assert s.show_hint() and s.hint_shown
    a = s.choose(1)
    assert a.correct and a.misconception is None and a.hint_used and s.score == (1, 1)
    assert s.choose(2) is None and s.score == (1, 1)  # final
    assert s.next() is None and s.index == 1 and not s.hint_shown
    a = s.choose(3)
    assert not a.correct and a.misconception == "tag3" and s.score == (1, 2)
    assert s.next() is None and s.next() is None and s.index == 2  # the third is not answered yet: no skipping
    s.choose(0)
    s.next()
    assert s.finished and s.misconceptions() == [("tag0", 1), ("tag3", 1)]
    assert s.by_family() == {"concepts": (1, 2), "shapes": (0, 1)}


def test_a_test_commits_on_next_and_gives_no_hints():
    s = session("test", 2)
    assert not s.show_hint()
    assert s.choose(0) is None and s.choose(1) is None and s.score == (0, 0)  # changeable until Next
    a = s.next()
    assert a.chosen == 1 and a.correct and s.score == (1, 1)
    assert s.next() is None and s.index == 1  # nothing chosen: cannot pass
    s.choose(2)
    assert not s.next().correct and s.finished and s.score == (1, 2)


# --- the page ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def trained_home(tmp_path_factory):
    return train_runs(tmp_path_factory, {"tiny": CFG})


@pytest.fixture
def page(qtbot, window):
    window.show()
    page = window.learn_page
    with qtbot.waitSignal(page.runs_listed, timeout=20_000):
        window.show_page(window.learn_page)
    assert page.selected_run() is not None  # the latest completed run by default
    return page


def start(qtbot, page, mode: str, seed: int = 3):
    with qtbot.waitSignal(page.generated, timeout=60_000):
        page.start(mode, seed)
    assert page.session is not None, page.last_problem
    return page.session


def button(page, name: str) -> QPushButton:
    b = page.findChild(QPushButton, name)
    assert b is not None, name
    return b


def test_practice_by_click_and_by_keys_with_hint_solution_and_mistakes(qtbot, window, page, home):
    s = start(qtbot, page, "practice")
    assert len(s.questions) == 5 and button(page, "learnModePractice").isChecked()
    q = s.current
    assert html.escape(q.text) in page.findChild(QLabel, "learnQuestion").text()
    assert [button(page, f"learnOption{i + 1}").option_text() for i in range(len(q.options))] == list(q.options)
    hint = page.findChild(QLabel, "learnHint")
    qtbot.mouseClick(button(page, "learnHintButton"), Qt.MouseButton.LeftButton)
    assert hint.isVisible() and html.escape(q.hint) in hint.text()
    # the right answer by a click
    with qtbot.waitSignal(page.recorded, timeout=20_000):
        qtbot.mouseClick(button(page, f"learnOption{q.answer + 1}"), Qt.MouseButton.LeftButton)
    score = page.findChild(QLabel, "learnScore")
    assert "1 / 1" in score.text()
    solution, mistakes = page.findChild(QLabel, "learnSolution"), page.findChild(QLabel, "learnMistakes")
    assert solution.isVisible() and "Step 1" in solution.text()
    assert mistakes.isVisible() and "Common mistakes" in mistakes.text()
    # Enter goes on; a wrong answer by its number key
    qtbot.keyClick(page.next_button, Qt.Key.Key_Return)
    assert s.index == 1
    q2 = s.current
    wrong = next(i for i in range(len(q2.options)) if i != q2.answer)
    with qtbot.waitSignal(page.recorded, timeout=20_000):
        qtbot.keyClick(page.options[0], getattr(Qt.Key, f"Key_{wrong + 1}"))
    assert "1 / 2" in score.text() and "Not quite" in page.findChild(QLabel, "learnFeedback").text()
    tag = q2.misconception_of(wrong)
    assert tag and tag in mistakes.text()
    rows = stored_answers(home)
    assert [(r["question_id"], bool(r["correct"]), r["misconception"], r["mode"], r["run_id"]) for r in rows] == [
        (q.id, True, None, "practice", page.selected_run()), (q2.id, False, tag, "practice", page.selected_run())]
    assert rows[1]["chosen"] == wrong and rows[0]["seconds"] >= 0


def test_a_test_is_scored_at_the_end_with_solutions_and_the_missed_come_back_first(qtbot, window, page, home):
    s = start(qtbot, page, "test")
    assert len(s.questions) == 10 and not button(page, "learnHintButton").isVisible()
    missed = []
    for k in range(10):
        q = s.current
        choice = q.answer if k % 2 else next(i for i in range(len(q.options)) if i != q.answer)
        if choice != q.answer:
            missed.append(q.id)
        qtbot.keyClick(page.options[0], getattr(Qt.Key, f"Key_{choice + 1}"))
        assert "scored at the end" in page.findChild(QLabel, "learnScore").text()
        assert not page.findChild(QLabel, "learnSolution").isVisible()
        if k == 9:
            with qtbot.waitSignal(page.finished_set, timeout=5_000):
                qtbot.keyClick(page.next_button, Qt.Key.Key_Return)
        else:
            qtbot.keyClick(page.next_button, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not page.answers.busy, timeout=20_000)
    qtbot.waitUntil(lambda: page.history is not None and sum(t["answered"] for t in page.history.topics) == 10,
                    timeout=20_000)
    summary = page.summary.toHtml()
    assert "Test: 5 of 10 right" in summary and summary.count("Solution") == 10
    assert "most frequent misconceptions" in summary and " you " in summary
    assert len(stored_answers(home)) == 10
    again = start(qtbot, page, "practice")  # the questions missed come back first
    assert [q.id for q in again.questions] == missed[::-1]  # most recently missed first


def test_predict_then_reveal_on_the_pipeline_page_records_a_guess(qtbot, window, home, corpus_file):
    window.show()
    panel = window.predict
    trace = window.corpus_view.trace_view
    shown = []  # every (stage, text) the shape labels showed while the corpus was shown, a part per turn
    show = trace._show_shape
    trace._show_shape = lambda i: (show(i), shown.append((i, trace.cards[i][2].text())))
    ticks = iter(range(0, 1000, 5))  # a clock that moves 5 s per reading: the guess is timed from its showing
    panel.clock = lambda: float(next(ticks))
    with qtbot.waitSignal(panel.asked, timeout=60_000):
        load(qtbot, window, [corpus_file])
    assert trace.masked[2] and "guess it above" in trace.cards[2][2].text()  # the padded shape waits for a guess
    # the stages to guess were masked before their shapes were set: none ever showed its answer
    assert {i for i, _ in shown} == set(range(6))
    assert all("guess it above" in text for i, text in shown if i in (2, 3, 4, 5))
    assert trace.cards[1][2].text() == trace.shapes[1] != ""  # earlier stages are shown
    q = panel.question
    assert q.given["tensor"] == "padded_ids"
    wrong = next(i for i in range(len(q.options)) if i != q.answer)
    with qtbot.waitSignal(panel.recorded, timeout=20_000), qtbot.waitSignal(panel.asked, timeout=60_000):
        qtbot.mouseClick(button(panel, f"predictGuess{wrong + 1}"), Qt.MouseButton.LeftButton)
    assert not trace.masked[2] and trace.cards[2][2].text() == trace.shapes[2]
    assert "not quite" in panel.findChild(QLabel, "predictReveal").text()
    assert panel.question.given["tensor"] == "embedding_out" and trace.masked[3]
    with qtbot.waitSignal(panel.asked, timeout=60_000):
        qtbot.mouseClick(button(panel, "predictSkip"), Qt.MouseButton.LeftButton)  # one click: shown, no score
    assert trace.cards[3][2].text() == trace.shapes[3]
    rows = stored_answers(home)
    assert [(r["question_id"], bool(r["correct"]), r["mode"], r["chosen"]) for r in rows] == [(q.id, False, "predict", wrong)]
    assert rows[0]["seconds"] == 5.0  # shown at one reading, guessed at the next
    panel.enabled_check.setChecked(False)  # every shape at once
    assert [trace.cards[i][2].text() for i in range(6)] == trace.shapes and not any(trace.masked)


def test_without_a_run_the_questions_that_need_one_are_left_out_and_the_page_says_why(qtbot, make_window, home,
                                                                                     corpus_file):
    _, db = storage.open_store(home)
    for r in storage.list_runs(db):
        storage.delete_run(db, r["id"])
    db.close()
    window = make_window()
    window.show()
    load(qtbot, window, [corpus_file])
    page = window.learn_page
    with qtbot.waitSignal(page.runs_listed, timeout=20_000):
        window.show_page(window.learn_page)
    assert page.selected_run() is None and "no run yet" in page.run_combo.currentText()
    s = start(qtbot, page, "quiz")
    assert len(s.questions) == 3 and {q.family for q in s.questions}.isdisjoint({"training", "behaviour"})
    status = page.findChild(QLabel, "learnStatus").text()
    assert "Left out" in status and "Training trace" in status and "train a run" in status
