"""The serving package stays Qt-free (design §2, §16): it may import core, jobs and storage, never PySide6."""
from __future__ import annotations

import subprocess
import sys

from serve_helpers import REPO  # noqa: E402

CODE = """
import importlib, pkgutil, sys
import gru_desktop.serve as package
names = [m.name for m in pkgutil.iter_modules(package.__path__, "gru_desktop.serve.")]
assert len(names) >= 7, names
for n in names:
    importlib.import_module(n)
importlib.import_module("gru_desktop.cli.serve")
print(sorted(k for k in sys.modules if k.split(".")[0] in ("PySide6", "pyqtgraph", "shiboken6")))
"""


def test_serve_loads_no_qt():
    r = subprocess.run([sys.executable, "-c", CODE], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]"
