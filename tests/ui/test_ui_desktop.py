"""A real desktop program: the icon, the freedesktop launcher and its installer, main.py, the About text."""
from __future__ import annotations

import configparser
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RESOURCES = ROOT / "resources"
SIZES = (16, 24, 32, 48, 64, 128, 256)
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"


def read_desktop(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


def test_app_icon_has_every_png_size(qapp):
    from gru_desktop.ui.icons import ICONS_DIR, app_icon, png_path

    assert (ICONS_DIR / "gru-desktop.svg").is_file()
    icon = app_icon()
    assert not icon.isNull()
    assert {s.width() for s in icon.availableSizes()} >= set(SIZES)
    for n in SIZES:
        assert png_path(n).is_file()
        assert icon.pixmap(n, n).width() == n
    assert not icon.pixmap(20, 20).isNull()  # a size between the PNGs


def test_desktop_file_has_the_required_keys():
    entry = read_desktop(RESOURCES / "gru-desktop.desktop")
    assert entry["Type"] == "Application"
    assert entry["Name"] == "GRU Desktop"
    assert entry["Comment"]
    assert entry["Exec"] == "@EXEC@"  # filled in by install_desktop.sh
    assert entry["Icon"] == "gru-desktop"
    assert entry["Terminal"] == "false"
    assert entry["StartupWMClass"] == "gru-desktop"  # = QApplication.applicationName(), the X11 class
    assert set(entry["Categories"].rstrip(";").split(";")) >= {"Education", "Science", "Utility"}


def test_main_py_is_double_clickable():
    main = ROOT / "main.py"
    assert main.read_text(encoding="utf-8").startswith("#!/usr/bin/env python3\n")
    assert "raise SystemExit(main())" in main.read_text(encoding="utf-8")
    if os.name == "posix":
        assert os.access(main, os.X_OK)


@pytest.mark.skipif(os.name != "posix" or shutil.which("bash") is None, reason="freedesktop launcher: Linux/BSD")
@pytest.mark.skipif(not VENV_PYTHON.exists(), reason="no .venv in this checkout (make install)")
def test_install_desktop_installs_and_uninstalls(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "XDG_DATA_HOME"}
    env["HOME"] = str(tmp_path)
    script = RESOURCES / "install_desktop.sh"
    done = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr

    share = tmp_path / ".local" / "share"
    launcher = share / "applications" / "gru-desktop.desktop"
    entry = read_desktop(launcher)
    argv = shlex.split(entry["Exec"])  # our paths have no %, $ or backslashes, so POSIX quoting suffices
    assert len(argv) == 2
    python, main = Path(argv[0]), Path(argv[1])
    assert python.is_file() and os.access(python, os.X_OK)
    assert main == ROOT / "main.py" and main.is_file()
    assert Path(entry["TryExec"]) == python
    assert entry["Icon"] == "gru-desktop"
    icons = [share / "icons" / "hicolor" / f"{n}x{n}" / "apps" / "gru-desktop.png" for n in SIZES]
    svg = share / "icons" / "hicolor" / "scalable" / "apps" / "gru-desktop.svg"
    assert all(p.is_file() for p in icons) and svg.is_file()
    # the launcher's command line works (--help: no window)
    ran = subprocess.run([*argv, "--help"], capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0 and "usage" in ran.stdout

    done = subprocess.run(["bash", str(script), "--uninstall"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert not launcher.exists()
    assert not any(p.exists() for p in icons) and not svg.exists()


def test_about_text_names_versions_and_paths(qapp, tmp_path):
    import platform

    import PySide6
    from PySide6.QtCore import qVersion

    import gru_desktop
    from gru_desktop.ui.about import about_text

    torch_was_loaded = "torch" in sys.modules
    text = about_text(tmp_path / "data", settings_path=str(tmp_path / "gui.ini"))
    assert f"GRU Desktop {gru_desktop.__version__}" in text
    assert platform.python_version() in text
    assert PySide6.__version__ in text and qVersion() in text
    assert "pyqtgraph" in text and "sqlite-utils" in text and "torch" in text
    assert str(tmp_path / "data") in text and str(tmp_path / "gui.ini") in text
    assert ("torch" in sys.modules) == torch_was_loaded  # About never imports torch


def test_about_text_defaults_to_the_data_dir(qapp, tmp_path, monkeypatch):
    from gru_desktop.ui.about import about_text

    monkeypatch.setenv("GRU_DESKTOP_HOME", str(tmp_path / "elsewhere"))
    text = about_text()
    assert str(tmp_path / "elsewhere") in text
    assert ".ini" in text  # the settings file
