"""The Runs page's token-cache button (`clearCacheButton`): shows how much the token cache holds (design
§12: a corpus's tokenised ids kept in the data folder so a second run on the same text skips tokenising) and
clears it after a confirmation. Measuring and clearing run in workers: the cache can hold gigabytes."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QMessageBox, QPushButton

from ..workers.threads import function_job


def _cache(home):
    from ...jobs.cache_folder import token_cache

    return token_cache(home)


class TokenCacheButton(QPushButton):
    cleared = Signal(str)  # what was removed: for the status bar
    problem = Signal(str, str)  # title, message

    def __init__(self, jobs, home=None, parent=None):
        super().__init__("Token cache…", parent)
        self.setObjectName("clearCacheButton")
        self.jobs, self.home = jobs, home
        self.confirm = self._ask  # replaced in tests
        self.entries: int | None = None  # as last measured
        self.bytes = 0
        self._job = None
        self._again = False
        self.setToolTip("the token cache keeps each corpus's tokenised words so a second run on the same text "
                        "starts at once; click to clear it")
        self.clicked.connect(self.clear)

    def refresh(self) -> None:
        """Measure the cache in a worker; the button then says how much it holds."""
        if self._job is not None:
            self._again = True
            return
        self._again = False
        home = self.home

        def measure(progress, should_stop):
            entries = _cache(home).entries()
            return len(entries), sum(size for _, size, _ in entries)

        self._job = function_job(measure, result=self._measured, failed=self._failed, ended=self._ended)
        self.jobs.start(self._job)

    def _measured(self, worker, result) -> None:
        from ...core.corpus import describe_size

        self.entries, self.bytes = result
        self.setText(f"Token cache: {describe_size(self.bytes)}…" if self.entries else "Token cache: empty")
        self.setEnabled(bool(self.entries))

    def _failed(self, worker, message: str) -> None:
        self.problem.emit("Token cache", message)

    def _ended(self, worker) -> None:
        self._job = None
        if self._again:
            self.refresh()

    def clear(self) -> None:
        from ...core.corpus import describe_size

        if not self.entries:
            return
        what = f"{self.entries} entr{'y' if self.entries == 1 else 'ies'} ({describe_size(self.bytes)})"
        if not self.confirm(f"Remove the token cache's {what}? Trained runs and models are not touched; the next "
                            "run on each text reads and tokenises it again."):
            return
        home = self.home

        def clear(progress, should_stop):
            return _cache(home).clear()

        self.setEnabled(False)
        self.jobs.start(function_job(clear, result=self._cleared, failed=self._failed, ended=self._clear_ended))

    def _cleared(self, worker, result) -> None:
        from ...core.corpus import describe_size

        n, size = result
        self.cleared.emit(f"token cache cleared: {n} entr{'y' if n == 1 else 'ies'}, {describe_size(size)}")

    def _clear_ended(self, worker) -> None:
        self.refresh()

    def _ask(self, text: str) -> bool:
        return QMessageBox.question(self, "Clear the token cache", text) == QMessageBox.StandardButton.Yes
