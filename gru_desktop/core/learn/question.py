"""What a Learn question is (design §15): the question, its options, the keyed answer, a hint, a worked
solution and what each wrong option believed. Questions are built by `make_question`, which is where the
rules every family keeps are enforced: options distinct, every wrong option checked false by the family's
own computation (`is_true`), options shuffled by the question's seeded generator."""
from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

DIFFICULTIES = ("easy", "medium", "hard")
FAMILIES = ("shapes", "code", "padding", "vocabulary", "parameters", "training", "behaviour", "concepts")


class Skip(Exception):
    """This variant cannot be asked about this material (too few distinct options, no such epoch, ...)."""


@dataclass(frozen=True)
class Mistake:
    option: int  # index into Question.options of a wrong option
    misconception: str  # a tag such as "swapped-batch-seq"
    explanation: str  # what choosing it believed, and why that is wrong


@dataclass(frozen=True)
class Question:
    id: str  # family:variant:material:seed, stable for the same material and seed
    family: str
    difficulty: str
    text: str
    options: tuple[str, ...]
    answer: int
    hint: str
    solution: tuple[str, ...]  # "Step 1 …", …, "Final answer …", "Quick check …"
    mistakes: tuple[Mistake, ...]  # one per wrong option
    given: dict = field(default_factory=dict)  # the facts it was computed from (JSON-able)
    code: str | None = None  # a snippet shown with the question

    def to_json(self) -> dict:
        out = {"id": self.id, "family": self.family, "difficulty": self.difficulty, "text": self.text,
               "options": list(self.options), "answer": self.answer, "hint": self.hint,
               "solution": list(self.solution),
               "mistakes": [{"option": m.option, "misconception": m.misconception, "explanation": m.explanation}
                            for m in self.mistakes],
               "given": self.given}
        if self.code is not None:
            out["code"] = self.code
        return out

    def misconception_of(self, option: int) -> str | None:
        """The tag of a chosen option; None when it is the answer."""
        if option == self.answer:
            return None
        for m in self.mistakes:
            if m.option == option:
                return m.misconception
        raise IndexError(f"option {option} is not one of the {len(self.options)} options")

    @property
    def variant(self) -> str:
        return self.id.split(":")[1]


@dataclass(frozen=True)
class Wrong:
    """A candidate wrong option: its text, its misconception tag, and what believing it means."""

    text: str
    tag: str
    why: str


MAX_OPTIONS = 4
MIN_OPTIONS = 3


def make_question(*, qid: str, family: str, difficulty: str, text: str, correct: str, wrongs: Sequence[Wrong],
                  hint: str, solution: Sequence[str], given: dict, rng: random.Random,
                  is_true: Callable[[str], bool] | None = None, code: str | None = None) -> Question:
    """A question with `correct` and up to three of `wrongs` (in their order of preference), shuffled.

    A wrong option that repeats another option, or that `is_true` (the family's own computation) says is also
    right, is dropped; Skip when fewer than MIN_OPTIONS options are left."""
    if difficulty not in DIFFICULTIES or family not in FAMILIES:
        raise ValueError(f"bad family/difficulty {family}/{difficulty}")
    if is_true is not None and not is_true(correct):
        raise AssertionError(f"{qid}: the keyed answer {correct!r} fails its own check")
    kept: list[Wrong] = []
    seen = {correct}
    for w in wrongs:
        if w.text in seen or (is_true is not None and is_true(w.text)):
            continue
        seen.add(w.text)
        kept.append(w)
        if len(kept) == MAX_OPTIONS - 1:
            break
    if len(kept) + 1 < MIN_OPTIONS:
        raise Skip(f"only {len(kept) + 1} distinct options")
    order = list(range(len(kept) + 1))  # 0 = correct, k = kept[k - 1]
    rng.shuffle(order)
    options = tuple(correct if k == 0 else kept[k - 1].text for k in order)
    answer = order.index(0)
    mistakes = tuple(Mistake(i, kept[k - 1].tag, kept[k - 1].why) for i, k in enumerate(order) if k)
    return Question(qid, family, difficulty, text, options, answer, hint, tuple(solution), mistakes, given, code)


def shape_text(shape: Sequence[int]) -> str:
    """A shape written as a tuple, `(128, 10, 64)` (a 1-d shape keeps its comma: `(64,)`)."""
    shape = tuple(int(s) for s in shape)
    return f"({shape[0]},)" if len(shape) == 1 else "(" + ", ".join(map(str, shape)) + ")"


def parse_shape(text: str) -> tuple[int, ...]:
    return tuple(int(s) for s in text.strip("()").split(",") if s.strip())
