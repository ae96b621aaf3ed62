"""One set of Learn questions being answered (Qt-free): where the learner is, what they chose, the score.

The Learn page (`learn_page.py`) shows a `LearnSession`; this module only keeps the state, so it is tested
without a window. The questions come from `core.learn.build_questions` (design §15): each has `options`, the
keyed `answer` (an index), and `mistakes` — for each wrong option the misconception it reveals.

Modes, as in the lesson the app grew from:
- quiz (3) and practice (5): an answer is final when chosen; right or wrong, the solution and the common
  mistakes show at once; the hint is offered before answering.
- test (10): a choice can be changed until *Next*; nothing is marked until the end, then every question is
  shown with its solution. No hints.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any


def misconception_of(question: Any, chosen: int) -> str | None:
    """The tag of the misconception behind `chosen` (None for the keyed answer or an untagged option)."""
    if chosen == question.answer:
        return None
    for m in question.mistakes:
        if m.option == chosen:
            return m.misconception
    return None


def mistake_for(question: Any, option: int) -> Any | None:
    return next((m for m in question.mistakes if m.option == option), None)


@dataclass
class Attempt:
    """One answered question, as it is stored (storage/learn.py `record_answer`)."""

    question: Any
    chosen: int
    correct: bool
    misconception: str | None
    seconds: float
    hint_used: bool = False


class LearnSession:
    def __init__(self, quiz: Any, clock=time.monotonic):
        self.mode: str = quiz.mode
        self.seed: int = quiz.seed
        self.questions: list = list(quiz.questions)
        self.skipped: list[tuple[str, str]] = list(quiz.skipped)
        self.index = 0
        self.attempts: dict[int, Attempt] = {}  # question index -> its (final) attempt
        self.selected: int | None = None  # test mode: the current choice, changeable until next()
        self.hint_shown = False
        self._clock = clock
        self._shown_at = clock()

    # --- what the page asks -------------------------------------------------------------------------
    @property
    def feedback_at_once(self) -> bool:
        return self.mode != "test"

    @property
    def hints_allowed(self) -> bool:
        return self.mode != "test"

    @property
    def current(self) -> Any | None:
        return self.questions[self.index] if self.index < len(self.questions) else None

    @property
    def answered(self) -> bool:
        """The current question's answer is final (quiz/practice: chosen; test: committed by next())."""
        return self.index in self.attempts

    @property
    def finished(self) -> bool:
        return self.index >= len(self.questions)

    @property
    def score(self) -> tuple[int, int]:
        """(right, answered) so far."""
        return sum(a.correct for a in self.attempts.values()), len(self.attempts)

    # --- what the learner does ----------------------------------------------------------------------
    def show_hint(self) -> bool:
        if not self.hints_allowed or self.current is None or self.answered:
            return False
        self.hint_shown = True
        return True

    def choose(self, option: int) -> Attempt | None:
        """Choose option `option` (0-based) of the current question. Returns the attempt when the answer is
        final now (quiz/practice), else None (test: only selected; a repeated choice changes it)."""
        q = self.current
        if q is None or self.answered or not 0 <= option < len(q.options):
            return None
        if self.feedback_at_once:
            return self._commit(option)
        self.selected = option
        return None

    def next(self) -> Attempt | None:
        """Go to the next question. In a test the selected option is committed first (its attempt is
        returned); a question left without an answer cannot be passed. Quiz/practice: only once answered."""
        if self.finished:
            return None
        attempt = None
        if not self.answered:
            if self.feedback_at_once or self.selected is None:
                return None
            attempt = self._commit(self.selected)
        self.index += 1
        self.selected = None
        self.hint_shown = False
        self._shown_at = self._clock()
        return attempt

    def can_go_on(self) -> bool:
        return not self.finished and (self.answered or (not self.feedback_at_once and self.selected is not None))

    def _commit(self, option: int) -> Attempt:
        q = self.current
        assert q is not None  # choose() and next() commit only before the end
        attempt = Attempt(q, option, option == q.answer, misconception_of(q, option),
                          max(0.0, self._clock() - self._shown_at), self.hint_shown)
        self.attempts[self.index] = attempt
        return attempt

    # --- the end ------------------------------------------------------------------------------------
    def by_family(self) -> dict[str, tuple[int, int]]:
        """family -> (right, answered) in this set, in the order the families first came."""
        out: dict[str, tuple[int, int]] = {}
        for a in self.attempts.values():
            right, n = out.get(a.question.family, (0, 0))
            out[a.question.family] = (right + a.correct, n + 1)
        return out

    def misconceptions(self) -> list[tuple[str, int]]:
        """The misconceptions chosen in this set, most frequent first."""
        counts: dict[str, int] = {}
        for a in self.attempts.values():
            if a.misconception:
                counts[a.misconception] = counts.get(a.misconception, 0) + 1
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
