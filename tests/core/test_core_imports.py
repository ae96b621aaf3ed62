"""The engine and storage never load Qt."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CODE = """
import importlib, pkgutil, sys
import gru_desktop.core as core
names = [m.name for m in pkgutil.iter_modules(core.__path__, "gru_desktop.core.")]
assert len(names) >= 11, names
for n in names:
    importlib.import_module(n)
import storage
for m in pkgutil.iter_modules(storage.__path__, "storage."):
    importlib.import_module(m.name)
assert "gru_desktop.core.train" in sys.modules and "torch" in sys.modules
bad = sorted(m for m in sys.modules if m.startswith(("PySide6", "pyqtgraph", "shiboken6")))
print("BAD", bad)
sys.exit(1 if bad else 0)
"""


def test_core_and_storage_import_without_qt():
    r = subprocess.run([sys.executable, "-c", CODE], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "BAD []" in r.stdout
