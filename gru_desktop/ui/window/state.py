"""What the window remembers between sessions: geometry, splitters, the settings, the corpus and the probes,
in its QSettings file. A damaged file (hand-edited, truncated, from another version) means the defaults for
what is damaged, never a window that does not open."""
from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QMainWindow, QSplitter

from ...core.config import TrainConfig
from ..pages.samples_view import SamplesPanel
from ..widgets.settings_form import SettingsForm

TRAINING_SPLITTER_KEY = "trainingSplitter3"  # three panes since the sample suggestions (a two-pane state is ignored)


def _json(settings: QSettings, key: str, default):
    """A JSON value stored as text; `default` when it is missing or damaged."""
    try:
        value = json.loads(settings.value(key, "") or "null")
    except (ValueError, TypeError):
        return default
    return default if value is None else value


def _bytes(settings: QSettings, key: str) -> QByteArray | None:
    value = settings.value(key)
    return value if isinstance(value, QByteArray | bytes) and len(value) else None


class WindowState:
    def __init__(self, settings: QSettings, window: QMainWindow, splitters: dict[str, QSplitter],
                 form: SettingsForm, samples: SamplesPanel):
        self.settings, self.window, self.splitters = settings, window, splitters
        self.form, self.samples = form, samples
        self.restored_splitters: set[str] = set()  # the keys of the splitters restore() gave their stored sizes

    def restore(self) -> tuple[list[str], str]:
        """Restore what is stored; returns the corpus paths to load and a note when one of them is gone."""
        s = self.settings
        geometry = _bytes(s, "geometry")
        if geometry is not None:
            self.window.restoreGeometry(geometry)
        for key, splitter in self.splitters.items():
            state = _bytes(s, key)
            if state is not None and splitter.restoreState(state):
                self.restored_splitters.add(key)
        stored = _json(s, "config", {})
        try:
            self.form.set_config(TrainConfig.from_dict(stored if isinstance(stored, dict) else {}, legacy=False))
        except (ValueError, TypeError):
            pass  # settings another version wrote, or damaged: the defaults
        probes = _json(s, "probes", [])
        try:
            self.samples.set_probes([str(p) for p in probes] if isinstance(probes, list) else [])
        except (ValueError, TypeError):
            pass
        paths = _json(s, "corpus", [])
        paths = [str(p) for p in paths] if isinstance(paths, list) else []
        missing = [p for p in paths if not Path(p).exists()]
        if missing:
            return [], f"{missing[0]} is gone; using the sample corpus"
        return paths, ""

    def save(self, corpus_paths: list[str]) -> None:
        s = self.settings
        s.setValue("geometry", self.window.saveGeometry())
        for key, splitter in self.splitters.items():
            s.setValue(key, splitter.saveState())
        s.setValue("config", json.dumps(self.form.values()))
        s.setValue("corpus", json.dumps(corpus_paths))
        s.setValue("probes", json.dumps(self.samples.probes))
        s.sync()
