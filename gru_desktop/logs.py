"""One logging setup for the window and the command line.

Everything logs to the `gru_desktop` logger (`logging.getLogger(__name__)` in each module). `setup(home)`
gives it, once per process (a second call re-homes it):
- a rotating log file in the data folder, `gru-desktop.log` (1 MB, 3 old files kept): warnings, and the
  traceback of every unexpected error. It is opened at the first record, so a command that logs nothing
  creates no file and no folder; a log that cannot be written is remembered (`log_file()` is then None),
  never raised or printed — the log must never be what fails.
- with `stderr`, each record as one line on stderr, as the CLI always wrote them: `warning: …`, `note: …`.
The window adds its own handler (ui/window/app.py) that shows warnings in the status bar, so a GUI user sees
what a CLI user reads on stderr. Stdlib only, light: the window sets it up before its first paint.
"""
from __future__ import annotations

import logging
import os
from logging.handlers import RotatingFileHandler
from pathlib import Path

LOG_NAME = "gru-desktop.log"
MAX_BYTES = 1_000_000
BACKUPS = 3
LOGGER = "gru_desktop"
_FILE_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(process)d]: %(message)s"
_PREFIX = {logging.DEBUG: "debug", logging.INFO: "note", logging.WARNING: "warning", logging.ERROR: "error",
           logging.CRITICAL: "error"}


class DataFolderLog(RotatingFileHandler):
    """The log file, created (with its folder) at the first record; failures are kept quiet in `failed`."""

    def __init__(self, path: Path):
        super().__init__(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True)
        self.failed = False
        self.setFormatter(logging.Formatter(_FILE_FORMAT))

    def _open(self):
        Path(self.baseFilename).parent.mkdir(parents=True, exist_ok=True)
        return super()._open()

    def handleError(self, record: logging.LogRecord) -> None:  # a full disk, a read-only folder: stay quiet
        self.failed = True


class _LinePrefix(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"{_PREFIX.get(record.levelno, record.levelname.lower())}: {record.getMessage()}"


class StderrLines(logging.StreamHandler):
    """`warning: …` lines on stderr, written to whatever sys.stderr is when the record comes. A record
    logged with `extra={"file_only": True}` (a traceback) is left to the file. On a terminal the line
    starts by clearing the current one (a `train` progress line)."""

    def __init__(self):
        super().__init__()
        self.setFormatter(_LinePrefix())
        self.addFilter(lambda record: not getattr(record, "file_only", False))

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        try:
            return "\r\033[K" + line if self.stream.isatty() else line
        except (AttributeError, ValueError):
            return line

    @property  # type: ignore[override]
    def stream(self):
        import sys

        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:  # StreamHandler.__init__ sets it; the property always answers sys.stderr
        pass


def setup(home: str | os.PathLike | None = None, *, stderr: bool = False, level: int = logging.INFO) -> logging.Logger:
    """Configure the `gru_desktop` logger for this process: the log file of `home`'s data folder, and
    with `stderr` the stderr lines (replacing what an earlier call set up; other handlers stay)."""
    log = ensure_file(home)
    for handler in [h for h in log.handlers if isinstance(h, StderrLines)]:
        log.removeHandler(handler)
    if stderr:
        log.addHandler(StderrLines())
    log.setLevel(level)
    return log


def ensure_file(home: str | os.PathLike | None = None) -> logging.Logger:
    """The `gru_desktop` logger, writing to the log file of `home`'s data folder (kept if it already does)."""
    log = logging.getLogger(LOGGER)
    path = log_path(home)
    for handler in [h for h in log.handlers if isinstance(h, DataFolderLog)]:
        if path is not None and Path(handler.baseFilename) == path.absolute():
            return log
        log.removeHandler(handler)
        handler.close()
    if log.level == logging.NOTSET:
        log.setLevel(logging.INFO)
    log.propagate = False  # not also to a root handler some library configured
    if path is not None:
        log.addHandler(DataFolderLog(path))
    return log


def log_path(home: str | os.PathLike | None = None) -> Path | None:
    """Where the log file of this data folder is (None when there is no usable data folder)."""
    import storage

    try:
        return storage.resolve_home(home) / LOG_NAME
    except storage.StorageError:
        return None


def log_file() -> Path | None:
    """The log file records went to, or None when there is none or writing it failed."""
    for handler in logging.getLogger(LOGGER).handlers:
        if isinstance(handler, DataFolderLog):
            handler.flush()
            ok = not handler.failed and handler.stream is not None
            return Path(handler.baseFilename) if ok else None
    return None
