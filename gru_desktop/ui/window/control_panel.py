"""The window's left panel, in a scroll area (`controlScroll`): the Corpus box, the Network settings and the
training controls, top to bottom."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QScrollArea, QVBoxLayout, QWidget

from ..widgets.settings_form import SettingsForm
from .corpus import CorpusBox
from .training_controls import TrainingControls


class ControlPanel(QScrollArea):
    def __init__(self):
        super().__init__(widgetResizable=True, objectName="controlScroll")
        self.corpus_box = CorpusBox()
        self.settings_form = SettingsForm()
        self.controls = TrainingControls()
        inner = QWidget(objectName="controlPanel")
        col = QVBoxLayout(inner)
        col.addWidget(self.corpus_box)
        settings_box = QGroupBox("Network")
        QVBoxLayout(settings_box).addWidget(self.settings_form)
        col.addWidget(settings_box)
        col.addWidget(self.controls)
        col.addStretch(1)
        self.setWidget(inner)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMinimumWidth(250)
