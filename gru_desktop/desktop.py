"""The freedesktop launcher and icons for the current user: `gru-desktop install-desktop` / `uninstall-desktop`.

Writes, under $XDG_DATA_HOME (else ~/.local/share; no root needed):
    applications/gru-desktop.desktop            Exec = the installed `gru-desktop` entry point
    icons/hicolor/<N>x<N>/apps/gru-desktop.png  and icons/hicolor/scalable/apps/gru-desktop.svg
The launcher starts the entry point of the environment that runs this command (a venv's or pipx's
bin/gru-desktop, or a checkout's .venv/bin/gru-desktop for `make install-desktop`), never a path into a
source tree. Stdlib only.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from .core.atomic import atomic_write
from .core.errors import UserError
from .resources import DESKTOP_TEMPLATE, ICON_NAME, ICON_SIZES, SVG_ICON, png_icon

LAUNCHER = f"{ICON_NAME}.desktop"


def data_home() -> Path:
    """$XDG_DATA_HOME if it is an absolute path (the spec ignores a relative one), else ~/.local/share."""
    value = os.environ.get("XDG_DATA_HOME", "")
    return Path(value) if os.path.isabs(value) else Path.home() / ".local" / "share"


def entry_point() -> list[str]:
    """The command that starts the program: bin/gru-desktop beside this Python, else `python -m gru_desktop`."""
    bindir = Path(sys.executable).parent  # not resolved: a venv's python is a link to the base interpreter
    script = bindir / ("gru-desktop.exe" if os.name == "nt" else "gru-desktop")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "gru_desktop"]


def quote_exec(argv: list[str]) -> str:
    """An Exec value (Desktop Entry spec, "The Exec key"): each argument in double quotes with \\ " ` $
    backslash-escaped, then the string-level escape that doubles every backslash; a literal % is %%."""
    def one(arg: str) -> str:
        for ch in ("\\", '"', "`", "$"):
            arg = arg.replace(ch, "\\" + ch)
        return '"' + arg.replace("%", "%%") + '"'

    return " ".join(one(a) for a in argv).replace("\\", "\\\\")


def launcher_text(argv: list[str]) -> str:
    """The template with Exec and TryExec filled in (and its note for maintainers dropped)."""
    lines = []
    for line in DESKTOP_TEMPLATE.read_text(encoding="utf-8").splitlines():
        if line.startswith("# ") and "install-desktop" in line:
            continue
        line = line.replace("@EXEC@", quote_exec(argv)).replace("@TRYEXEC@", argv[0].replace("\\", "\\\\"))
        lines.append(line)
    return "\n".join(lines) + "\n"


def _targets(home: Path) -> list[tuple[Path | None, Path]]:
    icons = home / "icons" / "hicolor"
    pairs: list[tuple[Path | None, Path]] = [(png_icon(n), icons / f"{n}x{n}" / "apps" / f"{ICON_NAME}.png") for n in ICON_SIZES]
    pairs.append((SVG_ICON, icons / "scalable" / "apps" / f"{ICON_NAME}.svg"))
    return pairs


def _check_platform() -> None:
    if sys.platform.startswith(("win", "darwin")):
        raise UserError("install-desktop writes a freedesktop launcher (Linux, BSD); "
                        "on this system start the program with `gru-desktop`")


def install(home: Path | None = None, argv: list[str] | None = None) -> Path:
    """Write the launcher and the icons; return the launcher's path. UserError if the folder is not writable."""
    _check_platform()
    home = data_home() if home is None else Path(home)
    argv = entry_point() if argv is None else argv
    launcher = home / "applications" / LAUNCHER
    try:
        for src, dest in _targets(home):
            dest.parent.mkdir(parents=True, exist_ok=True)
            with atomic_write(dest, "wb") as fh:
                fh.write(src.read_bytes())
        launcher.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(launcher, "w") as fh:
            fh.write(launcher_text(argv))
    except OSError as exc:
        where = exc.filename or home
        raise UserError(f"cannot install the launcher: {where}: {exc.strerror or type(exc).__name__}") from None
    _refresh(home)
    return launcher


def uninstall(home: Path | None = None) -> list[Path]:
    """Remove the launcher and the icons that install wrote; return what was removed."""
    _check_platform()
    home = data_home() if home is None else Path(home)
    removed = []
    try:
        for path in [home / "applications" / LAUNCHER] + [dest for _, dest in _targets(home)]:
            if path.exists():
                path.unlink()
                removed.append(path)
    except OSError as exc:
        raise UserError(f"cannot remove {exc.filename}: {exc.strerror or type(exc).__name__}") from None
    _refresh(home)
    return removed


def _refresh(home: Path) -> None:
    """Best effort: most desktops pick up the change by themselves anyway."""
    for cmd in (["update-desktop-database", "-q", str(home / "applications")],
                ["gtk-update-icon-cache", "-q", str(home / "icons" / "hicolor")]):  # only where a theme index exists
        if shutil.which(cmd[0]) and (cmd[0] != "gtk-update-icon-cache" or (home / "icons" / "hicolor" / "index.theme").is_file()):
            try:
                subprocess.run(cmd, capture_output=True, timeout=30, check=False)
            except (OSError, subprocess.SubprocessError):
                pass


__all__ = ["data_home", "entry_point", "quote_exec", "launcher_text", "install", "uninstall"]
