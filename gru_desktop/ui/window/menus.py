"""The window's menus: File (open files, a folder, the sample corpus; quit), Run (train, cancel, pause/resume,
add to queue), View (one entry per page, Ctrl+1…9, added by `MainWindow.add_page`) and Help (about)."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu

from .corpus import CorpusController
from .training import TrainingController
from .training_controls import TrainingControls


class WindowMenus:
    def __init__(self, window: QMainWindow, data: CorpusController, trainer: TrainingController,
                 add_to_queue: Callable[[], None], show_about: Callable[[], None]):
        self.window = window
        bar = window.menuBar()
        file_menu = bar.addMenu("&File")
        self.open_action = self.add(file_menu, "&Open files…", QKeySequence.StandardKey.Open, data.choose_files)
        self.add(file_menu, "Open &folder…", "Ctrl+Shift+O", data.choose_folder)
        self.add(file_menu, "Use the &sample corpus", None, lambda: data.load([]))
        file_menu.addSeparator()
        self.add(file_menu, "&Quit", QKeySequence.StandardKey.Quit, window.close)
        run_menu = bar.addMenu("&Run")
        self.train_action = self.add(run_menu, "&Train", "Ctrl+Return", lambda: trainer.start())
        self.cancel_action = self.add(run_menu, "&Cancel training", "Esc", trainer.cancel)
        self.pause_action = self.add(run_menu, "&Pause / resume", "P", trainer.pause_or_resume)
        self.add(run_menu, "Add to &queue", None, add_to_queue)
        self.view_menu = bar.addMenu("&View")
        help_menu = bar.addMenu("&Help")
        self.add(help_menu, "&About GRU Desktop", QKeySequence.StandardKey.HelpContents, show_about)

    def add(self, menu: QMenu, text: str, shortcut, slot: Callable[[], object]) -> QAction:
        action = QAction(text, self.window)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def show_state(self, controls: TrainingControls, training: bool) -> None:
        """The Run menu follows the buttons; nothing opens while training."""
        for action, button in ((self.train_action, controls.train_button), (self.cancel_action, controls.cancel_button),
                               (self.pause_action, controls.pause_button)):
            action.setEnabled(button.isEnabled())
        self.open_action.setEnabled(not training)
