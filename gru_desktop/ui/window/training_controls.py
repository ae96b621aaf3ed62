"""The left panel's training controls: Train, Pause/Resume, Cancel, Add to queue, a hint saying why Train is
disabled, and the progress bar (`trainingProgress`). Widgets only: the TrainingController drives them."""
from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

PAUSE_TIP = "pause after this batch with a checkpoint; Resume continues the same run exactly (P)"
RESUME_TIP = "continue the paused run exactly where it stopped (P)"
NO_PAUSE_TIP = ("a run in several processes writes no checkpoints, so it cannot be paused; Cancel keeps the best "
                "epoch's model")


class TrainingControls(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        buttons = QHBoxLayout()
        self.train_button = QPushButton("Train", objectName="trainButton")
        self.train_button.setToolTip("train a new model with these settings (Ctrl+Enter)")
        self.train_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel", objectName="cancelButton")
        self.cancel_button.setToolTip("stop training; the best finished epoch's model is kept (Esc)")
        self.pause_button = QPushButton("Pause", objectName="pauseButton")
        self.pause_button.setToolTip(PAUSE_TIP)
        buttons.addWidget(self.train_button, 2)
        buttons.addWidget(self.pause_button, 1)
        buttons.addWidget(self.cancel_button, 1)
        col.addLayout(buttons)
        self.queue_add_button = QPushButton("Add to queue", objectName="addToQueueButton")
        self.queue_add_button.setToolTip("queue a run with these settings on this text; the Queue page trains them "
                                         "one after another")
        col.addWidget(self.queue_add_button)
        self.train_hint = QLabel(objectName="trainHint", wordWrap=True)
        self.train_hint.setStyleSheet("color: gray;")
        col.addWidget(self.train_hint)
        self.progress_bar = QProgressBar(objectName="trainingProgress", maximum=1000, value=0)
        self.progress_bar.setFormat("not training")
        col.addWidget(self.progress_bar)

    def show_progress(self, text: str, share: float | None = None) -> None:
        """The bar's text, and its fill (0..1) when given."""
        if share is not None:
            self.progress_bar.setValue(int(1000 * share))
        self.progress_bar.setFormat(text)

    def show_state(self, why_not: str, training: bool, stopping: bool, pausable: bool, resumable: bool,
                   can_queue: bool) -> None:
        """`why_not`: why Train is disabled ("" when it is enabled)."""
        self.train_button.setEnabled(not why_not)
        self.cancel_button.setEnabled(training and not stopping)
        self.pause_button.setText("Resume" if resumable else "Pause")
        self.pause_button.setToolTip(RESUME_TIP if resumable else PAUSE_TIP if not training or pausable
                                     else NO_PAUSE_TIP)
        self.pause_button.setEnabled((pausable and not stopping) or resumable)
        self.queue_add_button.setEnabled(can_queue)
        self.train_hint.setText("" if not why_not or training else why_not)
        self.train_hint.setVisible(bool(self.train_hint.text()))
