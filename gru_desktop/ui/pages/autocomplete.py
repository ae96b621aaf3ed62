"""The autocomplete box (`autocompleteEdit`) and its three suggestion chips (`suggestionList`).

The chips sit as on a phone keyboard: the most likely word in the middle, the second on the left, the
third on the right. Tab (or a click) accepts the most likely one, Alt+1/2/3 pick a chip from the left,
Esc hides them until the next keystroke. Accepting inserts the word (replacing a half-typed word) and
a space. With ghost text on, the rest of the top suggestion is drawn in grey after the cursor.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QPainter, QTextCursor
from PySide6.QtWidgets import QHBoxLayout, QPlainTextEdit, QPushButton, QSizePolicy, QWidget

CONTEXT_CHARS = 4000  # text before the cursor for the current sentence (the network needs only that)
HISTORY_CHARS = 12_000  # text before the cursor handed to the predictor: its recency cache counts earlier words …
ANCHOR_STEP = 4_000  # … from a start that moves only in steps of this, so while typing the text grows, not slides
DISPLAY_ORDER = (1, 0, 2)  # chip i (left to right) shows the suggestion of this rank


class SuggestionChips(QWidget):
    picked = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("suggestionList")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.buttons: list[QPushButton] = []
        for i in range(3):
            b = QPushButton(objectName=f"suggestionChip{i + 1}")
            b.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            b.setMinimumHeight(34)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # clicking a chip keeps the cursor in the box
            b.clicked.connect(lambda _=False, i=i: self.pick(i))
            layout.addWidget(b)
            self.buttons.append(b)
        self.ranked: list = []  # Suggestion objects, most likely first
        self.set_suggestions([])

    def set_suggestions(self, suggestions) -> None:
        self.ranked = list(suggestions)[:3]
        for chip, rank in enumerate(DISPLAY_ORDER):
            b = self.buttons[chip]
            if rank < len(self.ranked):
                s = self.ranked[rank]
                b.setText(s.word)
                b.setToolTip(f"{s.word}: probability {s.probability:.1%} (Alt+{chip + 1})")
                b.setEnabled(True)
                font = b.font()
                font.setBold(rank == 0)
                b.setFont(font)
            else:
                b.setText("")
                b.setToolTip("")
                b.setEnabled(False)

    def words(self) -> list[str]:
        """The chips' words left to right (empty strings for empty chips)."""
        return [b.text() for b in self.buttons]

    def pick(self, chip: int) -> None:
        rank = DISPLAY_ORDER[chip]
        if rank < len(self.ranked):
            self.picked.emit(self.ranked[rank].word)

    def top(self) -> str | None:
        return self.ranked[0].word if self.ranked else None


class AutocompleteEdit(QPlainTextEdit):
    """A plain-text editor that hands Tab, Alt+1/2/3 and Esc to the suggestions."""

    accept_top = Signal()
    pick_chip = Signal(int)  # 0..2, left to right
    dismiss = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("autocompleteEdit")
        self.setPlaceholderText("Type here: suggestions for the next word appear below. Tab accepts the middle one.")
        self.setTabChangesFocus(False)
        self.ghost = ""  # the rest of the top suggestion, drawn after the cursor
        self.ghost_enabled = False
        self.has_suggestions = False

    def text_before_cursor(self) -> str:
        """At most CONTEXT_CHARS characters before the cursor: O(1) in the document's size."""
        cursor = self.textCursor()
        pos = cursor.position()
        cursor.setPosition(max(0, pos - CONTEXT_CHARS))
        cursor.setPosition(pos, QTextCursor.MoveMode.KeepAnchor)
        return cursor.selectedText().replace("\u2029", "\n")

    def text_for_predictor(self) -> str:
        """The text before the cursor, from a start that moves only every ANCHOR_STEP characters.

        The blend's recency cache counts the words before the current sentence; the predictor reads only what
        was added to that text since the last keystroke. A window that slid with every keystroke (the last N
        characters) would make it tokenize the whole window again each time, once the text is longer than N."""
        cursor = self.textCursor()
        pos = cursor.position()
        cursor.setPosition(max(0, pos - HISTORY_CHARS) // ANCHOR_STEP * ANCHOR_STEP)
        cursor.setPosition(pos, QTextCursor.MoveMode.KeepAnchor)
        return cursor.selectedText().replace("\u2029", "\n")

    def insert_word(self, word: str, prefix: str) -> None:
        """Replace the half-typed `prefix` before the cursor with `word`, then a space."""
        cursor = self.textCursor()
        if prefix:
            cursor.movePosition(QTextCursor.MoveOperation.Left, QTextCursor.MoveMode.KeepAnchor, len(prefix))
            typed = cursor.selectedText()
            if typed[:1].isupper():
                word = word[:1].upper() + word[1:]
        else:
            before = self.text_before_cursor()
            if before and not before[-1].isspace():
                word = " " + word
        cursor.insertText(word + " ")
        self.setTextCursor(cursor)

    def event(self, e):
        # Tab must reach keyPressEvent instead of moving the focus; the shortcut override lets Esc and
        # Alt+digit reach us before the window's shortcuts (Esc also cancels training there).
        if e.type() == QEvent.Type.ShortcutOverride and isinstance(e, QKeyEvent):
            if self._ours(e):
                e.accept()
                return True
        return super().event(e)

    def _ours(self, e: QKeyEvent) -> bool:
        key, mods = e.key(), e.modifiers()
        if key == Qt.Key.Key_Escape and self.has_suggestions:
            return True
        return bool(mods & Qt.KeyboardModifier.AltModifier) and key in (Qt.Key.Key_1, Qt.Key.Key_2, Qt.Key.Key_3)

    def keyPressEvent(self, e: QKeyEvent):
        key, mods = e.key(), e.modifiers()
        if key == Qt.Key.Key_Tab and not (mods & ~Qt.KeyboardModifier.KeypadModifier) and self.has_suggestions:
            self.accept_top.emit()
            return
        if bool(mods & Qt.KeyboardModifier.AltModifier) and key in (Qt.Key.Key_1, Qt.Key.Key_2, Qt.Key.Key_3):
            self.pick_chip.emit(int(key) - int(Qt.Key.Key_1))
            return
        if key == Qt.Key.Key_Escape:
            self.dismiss.emit()
            return
        super().keyPressEvent(e)

    def set_ghost(self, rest: str) -> None:
        if rest != self.ghost:
            self.ghost = rest
            self.viewport().update()

    def paintEvent(self, e):
        super().paintEvent(e)
        if self.ghost_enabled and self.ghost:
            p = QPainter(self.viewport())
            p.setPen(QColor(150, 150, 150))
            p.setFont(self.font())
            r = self.cursorRect()
            p.drawText(r.right() + 1, r.top() + p.fontMetrics().ascent(), self.ghost)
            p.end()
