"""A real desktop program: the icon, the package data, the freedesktop launcher and its installer, main.py, the About text."""
from __future__ import annotations

import configparser
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGED = ROOT / "resources"  # the top-level folder (design: the layout); the wheel carries it as gru_desktop.data
SIZES = (16, 24, 32, 48, 64, 128, 256)
VENV_GRU = ROOT / ".venv" / "bin" / "gru-desktop"


def read_desktop(path: Path) -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(path, encoding="utf-8")
    return parser["Desktop Entry"]


def test_app_icon_has_every_png_size(qapp):
    from gru_desktop.resources import SVG_ICON, png_icon
    from gru_desktop.ui.window.icons import app_icon

    assert SVG_ICON.is_file()
    icon = app_icon()
    assert not icon.isNull()
    assert {s.width() for s in icon.availableSizes()} >= set(SIZES)
    for n in SIZES:
        assert png_icon(n).is_file()
        assert icon.pixmap(n, n).width() == n
    assert not icon.pixmap(20, 20).isNull()  # a size between the PNGs


def test_the_data_files_are_found_in_the_top_level_resources_folder():
    """From a checkout the files are the top-level resources/ folder's (one copy in git); an installed wheel
    finds the same files as its package gru_desktop.data (.ci/wheel_smoke.sh checks that, outside the checkout)."""
    from gru_desktop.core.corpus import SAMPLE_CORPUS
    from gru_desktop.resources import DESKTOP_TEMPLATE

    assert SAMPLE_CORPUS.resolve() == (PACKAGED / "sample_corpus.txt").resolve()
    assert SAMPLE_CORPUS.stat().st_size > 10_000 and DESKTOP_TEMPLATE.resolve() == (PACKAGED / "gru-desktop.desktop").resolve()
    assert not [p for p in (ROOT / "gru_desktop" / "resources").iterdir() if p.suffix != ".py" and p.name != "__pycache__"]


def test_the_wheel_ships_every_resource_file():
    """Every file under resources/ matches a package-data pattern of setup.py (else the wheel lacks it), and
    setup.py maps resources/ to the package gru_desktop.data."""
    import ast
    import fnmatch

    tree = ast.parse((ROOT / "setup.py").read_text())
    call = next(n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "setup")
    kw = {k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg in ("package_dir", "package_data")}
    assert kw["package_dir"] == {"gru_desktop.data": "resources"}
    patterns = kw["package_data"]["gru_desktop.data"]
    files = [p.relative_to(PACKAGED).as_posix() for p in PACKAGED.rglob("*")
             if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".py"]
    assert len(files) == 2 + 1 + len(SIZES)
    assert [f for f in files if not any(fnmatch.fnmatch(f, pat) for pat in patterns)] == []


def test_desktop_file_has_the_required_keys():
    entry = read_desktop(PACKAGED / "gru-desktop.desktop")
    assert entry["Type"] == "Application"
    assert entry["Name"] == "GRU Desktop"
    assert entry["Comment"]
    assert entry["Exec"] == "@EXEC@"  # filled in by install-desktop
    assert entry["Icon"] == "gru-desktop"
    assert entry["Terminal"] == "false"
    assert entry["StartupWMClass"] == "gru-desktop"  # = QApplication.applicationName(), the X11 class
    assert set(entry["Categories"].rstrip(";").split(";")) >= {"Education", "Science", "Utility"}


def test_main_py_is_double_clickable():
    main = ROOT / "main.py"
    assert main.read_text(encoding="utf-8").startswith("#!/usr/bin/env python3\n")
    assert "raise SystemExit(entry())" in main.read_text(encoding="utf-8")  # gru-desktop's own entry (cli.entry)
    if os.name == "posix":
        assert os.access(main, os.X_OK)


def test_exec_quoting_follows_the_desktop_entry_spec(tmp_path):
    from gru_desktop.desktop import launcher_text, quote_exec

    assert quote_exec(["/opt/my apps/gru-desktop"]) == '"/opt/my apps/gru-desktop"'
    # reserved characters are backslash-escaped inside the quotes, then every backslash doubled; % doubled
    assert quote_exec(['/a"b/$x`y\\z%']) == '"/a\\\\"b/\\\\$x\\\\`y\\\\\\\\z%%"'
    text = launcher_text(["/opt/my apps/gru-desktop"])
    assert "@EXEC@" not in text and "@TRYEXEC@" not in text and "install-desktop" not in text
    path = tmp_path / "x.desktop"
    path.write_text(text, encoding="utf-8")
    entry = read_desktop(path)
    assert shlex.split(entry["Exec"]) == ["/opt/my apps/gru-desktop"]
    assert entry["TryExec"] == "/opt/my apps/gru-desktop"


@pytest.mark.skipif(os.name != "posix", reason="freedesktop launcher: Linux/BSD")
@pytest.mark.skipif(not VENV_GRU.exists(), reason="no .venv in this checkout (make install)")
def test_install_desktop_installs_and_uninstalls(tmp_path):
    """`gru-desktop install-desktop` (what `make install-desktop` runs) points at the installed entry point."""
    env = {k: v for k, v in os.environ.items() if k != "XDG_DATA_HOME"}
    env["HOME"] = str(tmp_path)
    done = subprocess.run([str(VENV_GRU), "install-desktop"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr

    share = tmp_path / ".local" / "share"
    launcher = share / "applications" / "gru-desktop.desktop"
    entry = read_desktop(launcher)
    argv = shlex.split(entry["Exec"])  # our paths have no %, $ or backslashes, so POSIX quoting suffices
    assert argv == [str(VENV_GRU)]  # the venv's entry point, not a python + a file in the checkout
    assert Path(entry["TryExec"]) == VENV_GRU
    assert entry["Icon"] == "gru-desktop"
    icons = [share / "icons" / "hicolor" / f"{n}x{n}" / "apps" / "gru-desktop.png" for n in SIZES]
    svg = share / "icons" / "hicolor" / "scalable" / "apps" / "gru-desktop.svg"
    assert all(p.is_file() for p in icons) and svg.is_file()
    assert icons[3].read_bytes() == (PACKAGED / "icons" / "hicolor" / "48x48" / "apps" / "gru-desktop.png").read_bytes()
    assert not list(share.rglob("*.tmp"))
    # the launcher's command line works (--help: no window)
    ran = subprocess.run([*argv, "--help"], capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0 and "usage" in ran.stdout

    done = subprocess.run([str(VENV_GRU), "uninstall-desktop"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert not launcher.exists()
    assert not any(p.exists() for p in icons) and not svg.exists()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write anywhere")
def test_install_desktop_into_a_read_only_folder_is_one_error_line(tmp_path):
    share = tmp_path / "share"
    share.mkdir()
    share.chmod(0o500)
    try:
        env = {**os.environ, "XDG_DATA_HOME": str(share)}
        done = subprocess.run([sys.executable, "-m", "gru_desktop", "install-desktop"], env=env, capture_output=True,
                              text=True, timeout=60)
    finally:
        share.chmod(0o700)
    assert done.returncode == 2
    assert done.stderr.startswith("error: cannot install the launcher:") and len(done.stderr.splitlines()) == 1
    assert "Traceback" not in done.stderr


def test_install_desktop_where_the_data_folder_is_a_file_is_one_error_line(tmp_path):
    """Works as root too: a plain file where ~/.local/share/applications should be."""
    share = tmp_path / "share"
    share.mkdir()
    (share / "applications").write_text("not a folder")
    env = {**os.environ, "XDG_DATA_HOME": str(share)}
    done = subprocess.run([sys.executable, "-m", "gru_desktop", "install-desktop"], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: cannot install the launcher:") and len(done.stderr.splitlines()) == 1
    assert not (share / "applications").is_dir()


def test_about_text_names_versions_and_paths(qapp, tmp_path):
    import platform

    import PySide6
    from PySide6.QtCore import qVersion

    import gru_desktop
    from gru_desktop.ui.window.about import about_text

    torch_was_loaded = "torch" in sys.modules
    text = about_text(tmp_path / "data", settings_path=str(tmp_path / "gui.ini"))
    assert f"GRU Desktop {gru_desktop.__version__}" in text
    assert platform.python_version() in text
    assert PySide6.__version__ in text and qVersion() in text
    assert "pyqtgraph" in text and "sqlite-utils" in text and "torch" in text
    assert str(tmp_path / "data") in text and str(tmp_path / "gui.ini") in text
    assert ("torch" in sys.modules) == torch_was_loaded  # About never imports torch


def test_about_text_defaults_to_the_data_dir(qapp, tmp_path, monkeypatch):
    from gru_desktop.ui.window.about import about_text

    monkeypatch.setenv("GRU_DESKTOP_HOME", str(tmp_path / "elsewhere"))
    text = about_text()
    assert str(tmp_path / "elsewhere") in text
    assert ".ini" in text  # the settings file
