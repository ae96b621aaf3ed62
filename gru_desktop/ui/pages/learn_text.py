"""What the Learn page writes (Qt-free HTML for rich-text labels): its introduction, a question, its worked
solution, its common mistakes, what was left out and why, and the summary of a set and of every answer stored
so far."""
from __future__ import annotations

import html
from typing import Any

from .learn_session import LearnSession, mistake_for
from .learn_words import family_title, misconception_phrase, times

RIGHT, WRONG, MUTED = "#2e7d32", "#c62828", "#666666"
MODE_TITLES = {"quiz": "Quiz", "practice": "Practice", "test": "Test", "predict": "Predict, then reveal"}


def esc(text: Any) -> str:
    return html.escape(str(text))


def intro_html(modes: list[tuple[str, str]], history: Any | None) -> str:
    """The page before a set: what the questions are, the modes ((button text, what it does)), the keys."""
    return ("<h2 style='margin:0'>Learn: questions about your own model</h2>"
            "<p>Every question is made from your corpus, your settings and the run chosen above, and every answer "
            "is computed by running it: the shapes by the real layers, the parameter counts from the model, the "
            "errors by executing the code. Choose a mode above:</p><ul style='margin-left:-20px'>"
            + "".join(f"<li><b>{esc(title.split(' ·')[0])}</b> — {esc(tip)}</li>" for title, tip in modes)
            + "</ul><p>Keys: <b>1</b>–<b>4</b> choose, <b>Enter</b> next, <b>H</b> hint.</p>"
            + history_html(history))


def code_html(code: str) -> str:
    return f"<pre style='margin:4px 0'>{esc(code)}</pre>"


def letter(i: int) -> str:
    return str(i + 1)


def option_text(q: Any, i: int) -> str:
    return f"{letter(i)}  {q.options[i]}"


def solution_html(q: Any) -> str:
    """The worked solution: its steps as written by core (Step 1 …, Final answer, Quick check), numbered
    when they are not already."""
    steps = [str(s) for s in q.solution]
    items = "".join(f"<li>{esc(s)}</li>" for s in steps)
    numbered = all(s.lower().startswith(("step", "final", "quick")) for s in steps)
    body = f"<ul style='margin-left:-20px'>{items}</ul>" if numbered else f"<ol>{items}</ol>"
    return f"<b>Solution</b> — the answer is <b>{esc(q.options[q.answer])}</b>{body}"


def mistakes_html(q: Any, chosen: int | None = None) -> str:
    """Common mistakes: what each wrong option believed; the one the learner chose is marked."""
    rows = []
    for m in sorted(q.mistakes, key=lambda m: m.option):
        mine = m.option == chosen
        tag = f" <span style='color:{MUTED}'>[{esc(m.misconception)}]</span>"
        head = f"<b>{esc(option_text(q, m.option))}</b>" + (" ← your answer" if mine else "")
        rows.append(f"<li style='color:{WRONG if mine else 'palette(text)'}'>{head}: {esc(m.explanation)}{tag}</li>")
    if not rows:
        return ""
    return f"<b>Common mistakes</b><ul style='margin-left:-20px'>{''.join(rows)}</ul>"


def feedback_html(q: Any, chosen: int) -> str:
    if chosen == q.answer:
        return f"<span style='color:{RIGHT}; font-weight:bold'>Right.</span>"
    m = mistake_for(q, chosen)
    why = f" {esc(m.explanation)}" if m else ""
    return (f"<span style='color:{WRONG}; font-weight:bold'>Not quite.</span> You chose {esc(q.options[chosen])}; "
            f"it is <b>{esc(q.options[q.answer])}</b>.{why}")


def skipped_html(skipped: list[tuple[str, str]]) -> str:
    """The families left out of this set and why (no corpus, no run yet, a damaged model file…)."""
    if not skipped:
        return ""
    items = "; ".join(f"<b>{esc(family_title(f))}</b>: {esc(reason)}" for f, reason in skipped)
    return f"<span style='color:#b26a00'>Left out — {items}</span>"


def set_summary_html(s: LearnSession) -> str:
    """The end of a set: the score, by topic, and (a test) every question with the answer and its solution."""
    right, n = s.score
    mode = MODE_TITLES.get(s.mode, s.mode)
    parts = [f"<h2 style='margin:0'>{esc(mode)}: {right} of {len(s.questions)} right</h2>"]
    fams = s.by_family()
    if fams:
        parts.append("<p>" + " · ".join(f"{esc(family_title(f))} {r}/{k}" for f, (r, k) in fams.items()) + "</p>")
    mis = s.misconceptions()
    if mis:
        parts.append("<p>In this set you " + "; ".join(f"{esc(misconception_phrase(t))} {times(c)}" for t, c in mis)
                     + ".</p>")
    if s.mode == "test":
        parts.append("<h3>The questions, with their solutions</h3>")
        for i, q in enumerate(s.questions):
            a = s.attempts.get(i)
            mark = ("<span style='color:%s'>✔</span>" % RIGHT) if a and a.correct else ("<span style='color:%s'>✘</span>" % WRONG)
            yours = f"Your answer: <b>{esc(q.options[a.chosen])}</b>" if a else "Not answered."
            parts.append(f"<p>{mark} <b>{i + 1}.</b> <span style='color:{MUTED}'>{esc(family_title(q.family))} · "
                         f"{esc(q.difficulty)}</span><br>{esc(q.text)}"
                         + (code_html(q.code) if getattr(q, 'code', None) else "")
                         + f"<br>{yours}</p>{solution_html(q)}"
                         + (mistakes_html(q, a.chosen) if a and not a.correct else ""))
    return "".join(parts)


def history_html(history: Any | None) -> str:
    """Every stored answer: score per topic, and the most frequent misconceptions in words."""
    if history is None:
        return f"<p style='color:{MUTED}'>Reading your earlier answers…</p>"
    parts = ["<h3>All your answers so far</h3>"]
    if not history.topics:
        parts.append(f"<p style='color:{MUTED}'>No answers stored yet.</p>")
    else:
        rows = "".join(
            f"<tr><td style='padding-right:16px'>{esc(family_title(t['family']))}</td>"
            f"<td align='right' style='padding-right:16px'>{t['correct']} / {t['answered']}</td>"
            f"<td align='right'>{t['correct'] / t['answered']:.0%}</td></tr>"
            for t in history.topics if t["answered"])
        parts.append(f"<table><tr><th align='left'>Topic</th><th align='right'>right</th><th></th></tr>{rows}</table>")
    if history.misconceptions:
        items = "".join(f"<li>you {esc(misconception_phrase(m['tag']))} {times(m['count'])}</li>"
                        for m in history.misconceptions)
        parts.append(f"<h3>Your most frequent misconceptions</h3><ul style='margin-left:-20px'>{items}</ul>"
                     "<p>Questions you missed come back first in the next set.</p>")
    return "".join(parts)
