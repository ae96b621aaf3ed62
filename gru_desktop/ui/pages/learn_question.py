"""The Learn page's question (`learnQuestion`): where it stands (`learnProgress`, `learnScore`), the options
`learnOption1..4` (keys 1–4), *Hint* (`learnHintButton`, H) and *Next* (`learnNextButton`, Enter), then the hint
(`learnHint`), whether the answer was right (`learnFeedback`), the worked solution (`learnSolution`) and the
common mistakes (`learnMistakes`). It only shows a `LearnSession`; the page decides what happens."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from ..widgets.learn_widgets import OptionButton
from .learn_session import LearnSession
from .learn_text import MODE_TITLES, code_html, esc, feedback_html, mistakes_html, solution_html
from .learn_words import family_title


def rich_label(name: str, rich: bool = True) -> QLabel:
    label = QLabel(objectName=name, wordWrap=True)
    label.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
    return label


class QuestionView(QScrollArea):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("learnQuestionView")
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        box = QWidget()
        col = QVBoxLayout(box)
        head = QHBoxLayout()
        self.progress_label = rich_label("learnProgress")
        self.score_label = rich_label("learnScore")
        self.score_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        self.score_label.setWordWrap(False)
        head.addWidget(self.progress_label, 1)
        head.addWidget(self.score_label)
        col.addLayout(head)
        self.question_label = rich_label("learnQuestion")
        self.question_label.setStyleSheet("font-size: 11pt;")
        col.addWidget(self.question_label)
        self.options = [OptionButton(f"learnOption{i + 1}", i + 1) for i in range(4)]
        for b in self.options:
            col.addWidget(b)
        row = QHBoxLayout()
        self.hint_button = QPushButton("Hint (H)", objectName="learnHintButton")
        self.next_button = QPushButton("Next (Enter)", objectName="learnNextButton")
        row.addWidget(self.hint_button)
        row.addStretch(1)
        row.addWidget(self.next_button)
        col.addLayout(row)
        self.hint_label = rich_label("learnHint")
        self.hint_label.setStyleSheet("background:#fff8e1; padding:6px; border-radius:3px; color:#333;")
        self.feedback = rich_label("learnFeedback")
        self.solution = rich_label("learnSolution")
        self.mistakes = rich_label("learnMistakes")
        for w in (self.hint_label, self.feedback, self.solution, self.mistakes):
            col.addWidget(w)
        col.addStretch(1)
        self.setWidget(box)

    def show_question(self, s: LearnSession) -> None:
        q = s.current
        assert q is not None  # shown only while the session is not finished
        n = len(s.questions)
        self.progress_label.setText(f"<b>{esc(MODE_TITLES[s.mode])}</b> · question {s.index + 1} of {n} · "
                                    f"{esc(family_title(q.family))} · {esc(q.difficulty)}")
        self.question_label.setText(f"<p>{esc(q.text)}</p>" + (code_html(q.code) if getattr(q, "code", None) else ""))
        mono = q.family in ("shapes", "code")
        for i, b in enumerate(self.options):
            b.setVisible(i < len(q.options))
            if i < len(q.options):
                b.set_option(q.options[i], mono)
                b.set_state("")
                b.setEnabled(True)
        for w in (self.hint_label, self.feedback, self.solution, self.mistakes):
            w.setText("")
            w.setVisible(False)
        self.hint_button.setVisible(s.hints_allowed)
        self.hint_button.setEnabled(bool(getattr(q, "hint", "")))
        self.update_progress(s)
        self.verticalScrollBar().setValue(0)
        self.options[0].setFocus()

    def update_progress(self, s: LearnSession) -> None:
        """The score (quiz, practice) or the count answered (test), and whether Next can be pressed."""
        right, answered = s.score
        if s.feedback_at_once:
            self.score_label.setText(f"Score <b>{right} / {answered}</b>")
        else:
            self.score_label.setText(f"answered <b>{answered}</b> of {len(s.questions)} — scored at the end")
        last = s.index == len(s.questions) - 1
        self.next_button.setText(("See the score" if last else "Next") + " (Enter)")
        self.next_button.setEnabled(s.can_go_on())

    def select(self, option: int) -> None:
        """A test's choice, changeable until Next."""
        for i, b in enumerate(self.options):
            b.set_state("selected" if i == option else "")

    def reveal(self, attempt) -> None:
        """Right and wrong marked, the feedback, the worked solution and the common mistakes."""
        q = attempt.question
        for i, b in enumerate(self.options):
            b.set_state("right" if i == q.answer else "wrong" if i == attempt.chosen else "faded")
        self.hint_button.setEnabled(False)
        self.feedback.setText(feedback_html(q, attempt.chosen))
        self.solution.setText(solution_html(q))
        self.mistakes.setText(mistakes_html(q, attempt.chosen))
        for w in (self.feedback, self.solution, self.mistakes):
            w.setVisible(bool(w.text()))

    def show_hint(self, hint: str) -> None:
        self.hint_label.setText(f"<b>Hint:</b> {esc(hint)}")
        self.hint_label.setVisible(True)
