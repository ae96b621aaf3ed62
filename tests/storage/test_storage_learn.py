"""Learn answers (design §15): stored with their misconception, scored per topic, the recurring misconceptions,
and the questions missed and not answered right since, most recent first."""
from __future__ import annotations

import sqlite3

from storage import delete_run, finish_run, get_run
from storage import learn as answers


def _answer(db, qid, *, correct, tag=None, family="shapes", run_id=None, difficulty="easy"):
    return answers.record_answer(db, question_id=qid, family=family, difficulty=difficulty,
                                 misconception=tag, correct=correct, seconds=2.5, mode="test", run_id=run_id,
                                 chosen=0 if correct else 1)


def test_the_migration_creates_the_table(db):
    applied = [t for t in db.table_names() if "migration" in t]
    names = {r[0] for t in applied for r in db.execute(f"SELECT name FROM [{t}]").fetchall()}
    assert "learn_answers" in db.table_names()
    assert "m010_learn_answers" in names
    cols = {c.name for c in db["learn_answers"].columns}
    assert {"question_id", "family", "difficulty", "misconception", "correct", "chosen", "seconds", "mode",
            "run_id", "answered_at"} <= cols


def test_record_and_score_per_topic(db, make_run):
    run = make_run()
    _answer(db, "shapes:h_n:a:1", correct=False, tag="h_n-batch-first", run_id=run)
    _answer(db, "shapes:h_n:a:2", correct=True, tag="ignored when right", run_id=run)
    _answer(db, "code:fails:a:3", correct=False, tag="h0-batch-first", family="code")
    _answer(db, "shapes:gru_output:a:4", correct=False, tag="swapped-batch-seq")
    _answer(db, "shapes:gru_output:a:5", correct=False, tag="swapped-batch-seq")
    assert answers.topic_scores(db) == [{"family": "shapes", "answered": 4, "correct": 1},
                                        {"family": "code", "answered": 1, "correct": 0}]
    assert answers.misconceptions(db, 2) == [{"tag": "swapped-batch-seq", "count": 2},
                                             {"tag": "h0-batch-first", "count": 1}]
    row = db.execute("SELECT misconception, run_id, seconds, mode FROM learn_answers WHERE question_id = ?",
                     ["shapes:h_n:a:2"]).fetchone()
    assert row == (None, run, 2.5, "test")  # a right answer carries no misconception


def test_missed_until_answered_right(db):
    _answer(db, "q1", correct=False, tag="t")
    _answer(db, "q2", correct=False, tag="t")
    _answer(db, "q3", correct=True)
    _answer(db, "q1", correct=True)  # answered right since: no longer missed
    _answer(db, "q4", correct=False, tag="t")
    _answer(db, "q2", correct=False, tag="t")  # missed again: the most recent
    assert answers.missed_question_ids(db) == ["q2", "q4"]
    _answer(db, "q1", correct=False, tag="t")  # right once, then missed again: back on the list
    assert answers.missed_question_ids(db) == ["q1", "q2", "q4"]


def test_answers_outlive_their_run(db, make_run):
    run = make_run()
    _answer(db, "q", correct=False, tag="t", run_id=run)
    _answer(db, "gone", correct=False, tag="t", run_id=9999)  # no such run: stored without one
    finish_run(db, run, "completed")
    delete_run(db, run)
    assert get_run(db, run) is None
    assert db.execute("SELECT run_id FROM learn_answers ORDER BY id").fetchall() == [(None,), (None,)]
    assert answers.missed_question_ids(db) == ["gone", "q"]


def test_empty(db):
    assert answers.topic_scores(db) == [] and answers.misconceptions(db, 5) == []
    assert answers.missed_question_ids(db) == []


def test_correct_is_required(tmp_path, db):
    try:
        db.execute("INSERT INTO learn_answers (question_id, family, difficulty) VALUES ('q', 'f', 'easy')")
    except sqlite3.IntegrityError:
        return
    raise AssertionError("an answer without correct was stored")
