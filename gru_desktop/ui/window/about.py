"""Help ▸ About: the versions of the app and the libraries it runs on, and where its files are."""
from __future__ import annotations

import html
import platform
import sys
from importlib import metadata
from pathlib import Path


def _dist_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def app_version() -> str:
    try:
        from gru_desktop import __version__

        return __version__
    except ImportError:  # pragma: no cover - the package always has it
        return _dist_version("gru-desktop") or "unknown"


def settings_file() -> str:
    """The settings file the main window uses by default (QSettings, INI format, user scope)."""
    from PySide6.QtCore import QSettings

    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "gru-desktop", "gru-desktop").fileName()


def versions() -> list[tuple[str, str]]:
    """(name, version) of the app, Python, Qt and the libraries; torch only if it is already loaded."""
    import PySide6
    from PySide6 import QtCore

    rows = [
        ("GRU Desktop", app_version()),
        ("Python", f"{platform.python_version()} ({platform.python_implementation()})"),
        ("PySide6", PySide6.__version__),
        ("Qt", QtCore.qVersion()),
    ]
    torch = sys.modules.get("torch")  # about must not cost the 1 s torch import
    if torch is not None:
        rows.append(("torch", getattr(torch, "__version__", "?")))
    else:  # the installed version, from its metadata (cheap); it is imported with the first training
        rows.append(("torch", f"{_dist_version('torch') or 'not installed'} (not loaded yet)"))
    for label, dist in (("pyqtgraph", "pyqtgraph"), ("sqlite-utils", "sqlite-utils")):
        module = sys.modules.get(dist.replace("-", "_"))
        rows.append((label, getattr(module, "__version__", None) or _dist_version(dist) or "not installed"))
    return rows


def about_text(home=None, settings_path: str | None = None) -> str:
    """Rich text for the About box: what the app is, the versions, the data dir and the settings file."""
    if home is None:
        from storage import data_dir

        home = data_dir()
    settings_path = settings_path or settings_file()
    e = html.escape
    rows = "".join(f"<tr><td>{e(name)}</td><td>&nbsp;&nbsp;{e(ver)}</td></tr>" for name, ver in versions()[1:])  # [0], the app, is the heading
    return (
        f"<h3>GRU Desktop {e(app_version())}</h3>"
        "<p>Train a word-level GRU next-word model on your own text and use it for autocomplete. "
        "Everything runs locally.</p>"
        f"<table>{rows}</table>"
        f"<p>Data folder (runs.db, models, log):<br><code>{e(str(Path(home)))}</code></p>"
        f"<p>Settings file:<br><code>{e(str(settings_path))}</code></p>"
    )


def show_about(parent=None, home=None, settings_path: str | None = None) -> None:
    """Show the About box (modal) over parent."""
    from PySide6.QtWidgets import QMessageBox

    QMessageBox.about(parent, "About GRU Desktop", about_text(home, settings_path))
