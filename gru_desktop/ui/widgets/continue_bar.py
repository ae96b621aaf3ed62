"""*Continue* on the Autocomplete page: let the model write the next N words, sampled at a temperature among
the k most likely (`continueButton`, `continueWordsSpin`, `temperatureSlider`, `topKSpin`).

Two rows, so a narrow window stays usable; the first row's left end is free for the page (`first_row`: the
page puts its *Ghost text* switch there). The bar only holds the choices; the page samples (`requested`).
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QSpinBox, QVBoxLayout, QWidget


class ContinueBar(QWidget):
    requested = Signal()  # Continue was pressed

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        rows = QVBoxLayout(self)
        rows.setContentsMargins(0, 0, 0, 0)
        self.first_row = QHBoxLayout()
        self.first_row.addStretch(1)
        self.button = QPushButton("Continue", objectName="continueButton",
                                  toolTip="let the model write the next words (sampled)")
        self.button.clicked.connect(self.requested)
        self.first_row.addWidget(self.button)
        self.words_spin = QSpinBox(objectName="continueWordsSpin", minimum=1, maximum=200, value=10, suffix=" words")
        self.first_row.addWidget(self.words_spin)
        rows.addLayout(self.first_row)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(QLabel("temperature"))
        self.temperature = QSlider(Qt.Orientation.Horizontal, objectName="temperatureSlider", minimum=20, maximum=150,
                                   value=80, toolTip="low: safe, repetitive words; high: surprising ones")
        self.temperature.setFixedWidth(110)
        self.temperature_label = QLabel("0.80")
        self.temperature.valueChanged.connect(lambda v: self.temperature_label.setText(f"{v / 100:.2f}"))
        row.addWidget(self.temperature)
        row.addWidget(self.temperature_label)
        self.topk_spin = QSpinBox(objectName="topKSpin", minimum=0, maximum=1000, value=40, prefix="top-k ",
                                  toolTip="sample only among the k most likely words (0 = all)")
        row.addWidget(self.topk_spin)
        rows.addLayout(row)

    def choices(self) -> tuple[int, float, int]:
        """(words, temperature, top-k; 0 = all)."""
        return self.words_spin.value(), self.temperature.value() / 100, self.topk_spin.value()
