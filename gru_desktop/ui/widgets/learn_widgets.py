"""Small widgets of the Learn page and of predict-then-reveal: an answer option that wraps its text, and the
style that marks options right, wrong or selected."""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy

# state property → look; set with OptionButton.set_state (a dynamic property needs a re-polish to show)
OPTION_STYLE = """
QPushButton[learnOption="true"] { text-align: left; padding: 0px; border: 1px solid palette(mid);
    border-radius: 4px; background: palette(base); }
QPushButton[learnOption="true"]:hover { border: 1px solid #1f77b4; }
QPushButton[learnOption="true"]:focus { border: 2px solid #1f77b4; }
QPushButton[state="selected"] { border: 2px solid #1f77b4; background: #e3f2fd; }
QPushButton[state="right"] { border: 2px solid #2e7d32; background: #e8f5e9; }
QPushButton[state="wrong"] { border: 2px solid #c62828; background: #ffebee; }
QPushButton[state="faded"] { color: #888888; }
"""


def mono_font() -> QFont:
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)


class OptionButton(QPushButton):
    """One answer option: its key number and its text, wrapped (a QPushButton's own text never wraps, and an
    option can be a sentence or a line of code). The text is in `label`; `text()` stays empty."""

    def __init__(self, name: str, number: int, parent=None):
        super().__init__(parent)
        self.setObjectName(name)
        self.setProperty("learnOption", True)
        self.setProperty("state", "")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        row = self._row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 10, 6)
        self.number = QLabel(f"<b>{number}</b>")
        self.number.setFixedWidth(18)
        self.label = QLabel(wordWrap=True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        for w in (self.number, self.label):
            w.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            row.addWidget(w, 0 if w is self.number else 1)

    def set_option(self, text: str, mono: bool = False) -> None:
        self.label.setText(text)
        self.label.setFont(mono_font() if mono else self.font())
        self.updateGeometry()

    def option_text(self) -> str:
        return self.label.text()

    def set_state(self, state: str) -> None:
        """"" | selected | right | wrong | faded."""
        if self.property("state") != state:
            self.setProperty("state", state)
            self.style().unpolish(self)
            self.style().polish(self)

    def sizeHint(self) -> QSize:
        return self._row.sizeHint()

    def minimumSizeHint(self) -> QSize:
        return self._row.minimumSize()

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._row.totalHeightForWidth(width)
