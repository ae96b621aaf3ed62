"""What the main window remembers between sessions (a mixin of MainWindow): geometry, splitters, the
settings, the corpus and the probes, in its QSettings file. A damaged file means the defaults."""
from __future__ import annotations

import json
from pathlib import Path

from ...core.config import TrainConfig

TRAINING_SPLITTER_KEY = "trainingSplitter3"  # three panes since the sample suggestions (a two-pane state is ignored)


class WindowState:
    def _restore_settings(self) -> None:
        s = self.settings
        if s.value("geometry") is not None:
            self.restoreGeometry(s.value("geometry"))
        for key, splitter in (("mainSplitter", self.splitter), (TRAINING_SPLITTER_KEY, self.training_view.splitter)):
            if s.value(key) is not None:
                splitter.restoreState(s.value(key))
                self.training_view.sized = self.training_view.sized or splitter is self.training_view.splitter
        try:
            stored = json.loads(s.value("config", "{}") or "{}")
            self.settings_form.set_config(TrainConfig.from_dict(stored, legacy=False))
        except (ValueError, TypeError):
            pass  # a damaged settings file: start from the defaults
        try:
            probes = json.loads(s.value("probes", "[]") or "[]")
            self.training_view.samples.set_probes([str(p) for p in probes] if isinstance(probes, list) else [])
        except (ValueError, TypeError):
            pass
        paths = json.loads(s.value("corpus", "[]") or "[]")
        missing = [p for p in paths if not Path(p).exists()]
        if missing:
            self.statusBar().showMessage(f"{missing[0]} is gone; using the sample corpus", 10000)
            paths = []
        self.corpus_paths = paths

    def save_settings(self) -> None:
        s = self.settings
        s.setValue("geometry", self.saveGeometry())
        s.setValue("mainSplitter", self.splitter.saveState())
        s.setValue(TRAINING_SPLITTER_KEY, self.training_view.splitter.saveState())
        s.setValue("config", json.dumps(self.settings_form.values()))
        s.setValue("corpus", json.dumps(self.corpus_paths))
        s.setValue("probes", json.dumps(self.training_view.samples.probes))
        s.sync()

