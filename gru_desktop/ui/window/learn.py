"""The Learn features (design §15) joined to the window's corpus and settings: the Learn page (`learnPage`)
and *Predict, then reveal* (`predictPanel`) above the pipeline trace on the Data page.

Neither page knows the window: the Learn page asks `material()` for the current (corpus, settings) when it
makes a set; Predict, then reveal is given them each time a corpus is ready for the current settings.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from ...core.config import TrainConfig
from ..pages.corpus_view import CorpusView
from ..pages.learn_page import LearnPage
from ..pages.predict_reveal import PredictReveal
from ..widgets.settings_form import SettingsForm
from ..workers.threads import BackgroundJobs
from .corpus import CorpusController

if TYPE_CHECKING:
    from ...core.corpus import Corpus  # not at run time: the window paints before the core loads


class LearnController(QObject):
    def __init__(self, jobs: BackgroundJobs, home, data: CorpusController, form: SettingsForm,
                 corpus_view: CorpusView, parent: QObject | None = None):
        super().__init__(parent)
        self.data, self.form = data, form
        self.page = LearnPage(jobs, home, self.material)  # the sixth page
        self.predict = PredictReveal(jobs, home, corpus_view.trace_view)  # on the Data page
        corpus_view.add_above_trace(self.predict)
        # Before the shapes are shown (so a stage to guess never shows its answer), and so before `ready`, which
        # the window passes on as `corpus_ready`: whoever waits for that sees the questions.
        data.showing.connect(self._corpus_ready)

    def material(self) -> tuple[Corpus | None, TrainConfig | None]:
        """(core Corpus or None, the settings; None while they are invalid) for the Learn page."""
        return self.data.corpus, (self.form.config() if self.form.valid else None)

    def _corpus_ready(self) -> None:
        self.predict.set_material(self.data.corpus, self.form.config())
