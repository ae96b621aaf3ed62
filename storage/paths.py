"""Where GRU Desktop keeps its files: one data directory per user.

Layout of the data directory::

    runs.db            the SQLite database (see storage.db)
    models/<id>.pt     the best model of each run
    models/<id>.ckpt   the resumable training checkpoint of a run (design §14)

Nothing here touches the disk except ensure_data_dir, so the functions are
safe to call at import time or from tests.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_DIR_NAME = "GRU Desktop"
# Linux convention is a lower-case, space-free directory name.
LINUX_DIR_NAME = "gru-desktop"
HOME_ENV = "GRU_DESKTOP_HOME"


def data_dir() -> Path:
    """The data directory: $GRU_DESKTOP_HOME if set, else the platform default.

    The override exists so tests, portable installs and power users can point
    the app somewhere else without touching the real user data.
    """
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override).expanduser()
    return _platform_data_dir()


def _platform_data_dir() -> Path:
    # sys.platform is read at call time (not import time) so tests can
    # monkeypatch it to exercise every branch on one machine.
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / APP_DIR_NAME
    if sys.platform == "win32":
        appdata = os.environ.get("APPDATA")
        base = Path(appdata) if appdata else Path.home() / "AppData" / "Roaming"
        return base / APP_DIR_NAME
    xdg = os.environ.get("XDG_DATA_HOME")
    # The XDG spec says a relative XDG_DATA_HOME is invalid and must be ignored.
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".local" / "share"
    return base / LINUX_DIR_NAME


def ensure_data_dir(home: Path | None = None) -> Path:
    """Create the data directory (and its models/ folder); return it."""
    home = Path(home) if home is not None else data_dir()
    (home / "models").mkdir(parents=True, exist_ok=True)
    return home


def db_path(home: Path) -> Path:
    """The database file inside a data directory."""
    return Path(home) / "runs.db"


def model_path(home: Path, run_id: int) -> Path:
    """The checkpoint file of one run inside a data directory."""
    return Path(home) / "models" / f"{run_id}.pt"


def checkpoint_path(home: Path, run_id: int) -> Path:
    """The resumable training checkpoint of one run (model, optimizer, RNGs, position) in a data directory."""
    return Path(home) / "models" / f"{run_id}.ckpt"
