"""The Learn page's background work (design §3, §15): generating questions runs torch (real modules on a dummy
batch, the run's model), and storing an answer writes SQLite — neither may happen on the GUI thread. Each
function here returns a `FunctionWorker` for `BackgroundJobs.start`; the work opens its own database
connection in its thread (a sqlite-utils Database belongs to the thread that opened it).

- `generate_job`: the material (corpus summary, settings, the run) → a `Quiz` for a mode, the questions missed
  before first.
- `stage_job`: one predict-then-reveal question for a pipeline stage (`padded_ids`, `embedding_out`,
  `gru_output`, `h_n`, `logits`) of the current corpus and settings (core only: no database, no model).
- `record_job`: store answers (a list, in order) and read back the learner's scores per topic and their most
  frequent misconceptions, for the summary.
- `history_job`: only the read-back (`AnswerStore.read_history`).

`AnswerStore` queues answers so that one writer runs at a time (the answers given meanwhile go together in
the next one) and says when the history has been read back.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

from .threads import function_job

MISCONCEPTIONS_SHOWN = 5


@dataclass
class Answer:
    """One answer to store: the fields of storage.learn.record_answer."""

    question_id: str
    family: str
    difficulty: str
    misconception: str | None
    correct: bool
    seconds: float
    mode: str
    run_id: int | None
    chosen: int


@dataclass
class History:
    """What the database says about the learner: scores per topic and misconceptions, most frequent first."""

    topics: list[dict]
    misconceptions: list[dict]


def _material(db, home, corpus, config, run_id):
    from ...jobs.learn import load_material

    return load_material(db, run_id, corpus=corpus, config=config, home=home)


def generate_job(home, mode: str, seed: int, corpus, config, run_id: int | None, **kwargs):
    def work(progress, should_stop):
        import storage
        from storage.learn import missed_question_ids

        from ...core.learn import build_questions

        _, db = storage.open_store(home)  # writable: the learn table is created by its migration
        try:
            material = _material(db, home, corpus, config, run_id)
            missed = missed_question_ids(db)
        finally:
            db.close()
        return build_questions(material, mode, seed, missed_first=missed)

    return function_job(work, **kwargs)


def stage_job(tensor: str, seed: int, corpus, config, material=None, **kwargs):
    """(material, question): the material is built once per corpus and settings (the dataset, no run — the
    shapes need none) and handed back, so the next stage's question reuses it."""
    def work(progress, should_stop):
        from ...core.learn import Material, stage_question

        m = material
        if m is None:
            from ...core.data import build_dataset

            m = Material(config=config, dataset=build_dataset(corpus, config) if corpus is not None else None)
        return m, stage_question(m, tensor, seed)

    return function_job(work, **kwargs)


def _history(db) -> History:
    from storage.learn import misconceptions, topic_scores

    return History(list(topic_scores(db)), list(misconceptions(db, MISCONCEPTIONS_SHOWN)))


def record_job(home, answers: list[Answer], **kwargs):
    answers = list(answers)

    def work(progress, should_stop):
        import storage
        from storage.learn import record_answer

        _, db = storage.open_store(home)
        try:
            for a in answers:
                record_answer(db, question_id=a.question_id, family=a.family, difficulty=a.difficulty,
                              misconception=a.misconception, correct=a.correct, seconds=round(a.seconds, 2),
                              mode=a.mode, run_id=a.run_id, chosen=a.chosen)
            return _history(db)
        finally:
            db.close()

    return function_job(work, **kwargs)


def history_job(home, **kwargs):
    def work(progress, should_stop):
        import storage

        _, db = storage.open_store(home)
        try:
            return _history(db)
        finally:
            db.close()

    return function_job(work, **kwargs)


def answer_of(attempt: Any, mode: str, run_id: int | None) -> Answer:
    q = attempt.question
    return Answer(q.id, q.family, q.difficulty, attempt.misconception, attempt.correct, attempt.seconds, mode,
                  run_id, attempt.chosen)


class AnswerStore(QObject):
    """Stores answers off the GUI thread, one writer at a time, and reads the history of every answer stored
    (scores per topic, frequent misconceptions) in a worker: `history` after each write and each read with what
    the database now says; `recorded` after a write; `failed(message)` when it could not write (a read-only or
    full data folder), `read_failed(message)` when it could not read."""

    history = Signal(object)  # History
    recorded = Signal()  # answers reached the database (`history` came just before)
    failed = Signal(str)
    read_failed = Signal(str)

    def __init__(self, jobs, home, parent=None):
        super().__init__(parent)
        self.jobs, self.home = jobs, home
        self._pending: list[Answer] = []
        self._worker = None
        self._reader = None  # the history being read (one at a time)
        self.stored = 0  # answers written so far (for tests and the status line)

    def read_history(self) -> None:
        if self._reader is not None:
            return
        self._reader = history_job(self.home, result=self._read, failed=self._read_failed, ended=self._read_ended)
        if self.jobs.start(self._reader) is None:  # the window is closing
            self._reader = None

    def _read(self, worker, history) -> None:
        self.history.emit(history)

    def _read_failed(self, worker, message: str) -> None:
        self.read_failed.emit(message)

    def _read_ended(self, worker) -> None:
        if worker is self._reader:
            self._reader = None

    def store(self, answer: Answer) -> None:
        self._pending.append(answer)
        self._flush()

    @property
    def busy(self) -> bool:
        return self._worker is not None or bool(self._pending)

    def _flush(self) -> None:
        if self._worker is not None or not self._pending:
            return
        answers, self._pending = self._pending, []
        self._worker = record_job(self.home, answers, result=self._written, failed=self._failed, ended=self._ended,
                                  count=len(answers))
        if self.jobs.start(self._worker) is None:  # the window is closing
            self._worker = None

    def _written(self, worker, history) -> None:
        self.stored += worker.count
        self.history.emit(history)
        self.recorded.emit()

    def _failed(self, worker, message: str) -> None:
        self.failed.emit(message)

    def _ended(self, worker) -> None:
        if worker is self._worker:
            self._worker = None
            self._flush()
