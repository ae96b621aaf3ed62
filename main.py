#!/usr/bin/env python3
import importlib.util
import os
import sys

# Double-click or `./main.py` runs the system python3, which usually lacks PySide6: then re-run this
# file with the checkout's .venv python (made by `make install`). Nothing happens when PySide6 is
# importable; the sys.prefix check keeps a broken venv from re-executing itself forever.
_venv = os.path.join(os.path.dirname(os.path.abspath(__file__)), ".venv")
_python = os.path.join(_venv, "Scripts", "python.exe") if os.name == "nt" else os.path.join(_venv, "bin", "python")
if (importlib.util.find_spec("PySide6") is None and os.path.exists(_python)
        and os.path.realpath(sys.prefix) != os.path.realpath(_venv)):
    os.execv(_python, [_python, os.path.abspath(__file__), *sys.argv[1:]])

from gru_desktop.cli import entry  # noqa: E402

raise SystemExit(entry())
