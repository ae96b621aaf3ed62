"""Learn answers (design §15): each answer to a generated question, and what the Learn page shows from them —
the score per topic, the most frequent misconceptions, and the questions missed and not yet answered right
(which come back first). Questions themselves are never stored: an id regenerates one."""

from __future__ import annotations

from typing import Any

from sqlite_utils import Database

from .db import write_transaction
from .runs import now_iso


def record_answer(db: Database, *, question_id: str, family: str, difficulty: str, misconception: str | None,
                  correct: bool, seconds: float | None, mode: str, run_id: int | None, chosen: int | None) -> int:
    """Store one answer; returns its row id. A run id that no longer exists is stored as NULL."""
    with write_transaction(db):
        if run_id is not None and db.execute("SELECT 1 FROM runs WHERE id = ?", [run_id]).fetchone() is None:
            run_id = None
        cursor = db.execute(
            "INSERT INTO learn_answers (answered_at, question_id, family, difficulty, misconception, correct, chosen,"
            " seconds, mode, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [now_iso(), question_id, family, difficulty, None if correct else misconception, int(bool(correct)),
             chosen, seconds, mode, run_id])
        return int(cursor.lastrowid or 0)


def topic_scores(db: Database) -> list[dict[str, Any]]:
    """Per family: answers given and how many were right, most answered first."""
    rows = db.execute("SELECT family, COUNT(*), SUM(correct) FROM learn_answers GROUP BY family "
                      "ORDER BY COUNT(*) DESC, family").fetchall()
    return [{"family": f, "answered": int(n), "correct": int(c or 0)} for f, n, c in rows]


def misconceptions(db: Database, limit: int = 5) -> list[dict[str, Any]]:
    """The misconception tags chosen most often (wrong answers only), most frequent first."""
    rows = db.execute("SELECT misconception, COUNT(*) AS n, MAX(id) FROM learn_answers WHERE correct = 0 AND "
                      "misconception IS NOT NULL GROUP BY misconception ORDER BY n DESC, MAX(id) DESC LIMIT ?",
                      [int(limit)]).fetchall()
    return [{"tag": tag, "count": int(n)} for tag, n, _ in rows]


def missed_question_ids(db: Database) -> list[str]:
    """Questions whose latest answer was wrong (missed, not answered right since), the most recent first."""
    rows = db.execute(
        "SELECT a.question_id FROM learn_answers a JOIN (SELECT question_id, MAX(id) AS last FROM learn_answers "
        "GROUP BY question_id) l ON a.id = l.last WHERE a.correct = 0 ORDER BY a.id DESC").fetchall()
    return [r[0] for r in rows]
