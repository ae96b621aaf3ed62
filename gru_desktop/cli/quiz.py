"""`gru-desktop quiz [RUN] [--mode quiz|practice|test] [--seed N] [--json]`: questions about the user's own
model (design §15). --json prints the questions as a JSON list; otherwise they are asked one by one on stdin
(1–4 choose, h hint), each answer stored, and EOF ends with the score."""
from __future__ import annotations

import json
import secrets
import sys
import time

from .common import EXIT_USAGE, check_run


def cmd_quiz(args) -> int:
    if args.seed is not None and args.seed < 0:
        print(f"error: --seed must be 0 or more, not {args.seed}", file=sys.stderr)
        return EXIT_USAGE
    if args.run is not None:
        check_run(args.home, args.run)
    from ..core.learn import build_questions, tag_text
    from ..jobs.learn import load_material
    from ..jobs.runs import open_store

    seed = args.seed if args.seed is not None else secrets.randbelow(2**31)
    _, db = open_store(args.home, write=not args.json)
    material = load_material(db, args.run, home=args.home)
    if args.json:
        quiz = build_questions(material, args.mode, seed)
        for family, why in quiz.skipped:
            print(f"note: {family} questions left out: {why}", file=sys.stderr)
        print(json.dumps([q.to_json() for q in quiz.questions], ensure_ascii=False))
        return 0
    from storage import learn as answers

    quiz = build_questions(material, args.mode, seed, answers.missed_question_ids(db))
    run_id = material.run["id"] if material.run else None
    about = f"run {run_id}" if run_id is not None else "your settings and text (no run yet)"
    print(f"{args.mode}: {len(quiz.questions)} questions about {about} (seed {seed}; 1–4 choose, h hint, "
          "Ctrl-D ends)")
    for family, why in quiz.skipped:
        print(f"left out: {family}: {why}")
    right = asked = 0
    for i, q in enumerate(quiz.questions, 1):
        _show(i, len(quiz.questions), q)
        started = time.monotonic()
        choice = _ask(q)
        if choice is None:
            break
        asked += 1
        ok = choice == q.answer
        right += ok
        answers.record_answer(db, question_id=q.id, family=q.family, difficulty=q.difficulty,
                              misconception=q.misconception_of(choice), correct=ok,
                              seconds=round(time.monotonic() - started, 2), mode=args.mode, run_id=run_id,
                              chosen=choice)
        if ok:
            print("Right.")
        else:
            mistake = next(m for m in q.mistakes if m.option == choice)
            print(f"Not quite (you {tag_text(mistake.misconception)}): {mistake.explanation}.")
        for step in q.solution:
            print(f"  {step}")
    print(f"score: {right}/{asked}" + (f" (of {len(quiz.questions)} questions)" if asked < len(quiz.questions) else ""))
    return 0


def _show(i: int, n: int, q) -> None:
    print(f"\nQuestion {i}/{n} [{q.family}, {q.difficulty}]")
    print(q.text)
    if q.code:
        print("\n".join("    " + line for line in q.code.splitlines()))
    for k, option in enumerate(q.options, 1):
        print(f"  {k}) {option}")


def _ask(q) -> int | None:
    """The chosen option's index, or None at end of input."""
    while True:
        print(f"answer (1–{len(q.options)}, h hint): ", end="", flush=True)
        line = sys.stdin.readline()
        if not line:
            print()
            return None
        text = line.strip().lower()
        if text == "h":
            print(f"hint: {q.hint}")
        elif text.isdecimal() and 1 <= int(text) <= len(q.options):
            return int(text) - 1
        elif text:
            print(f"type a number from 1 to {len(q.options)}, or h for a hint")
