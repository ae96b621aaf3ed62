"""The import contracts of design §2, both ways, each in a fresh interpreter:
- the engine (every module of gru_desktop.core) loads no Qt and no `storage`;
- the jobs layer (every module of gru_desktop.jobs) loads no Qt, and `jobs.faults` no torch;
- `storage` (every module of it) loads no torch, no Qt and nothing of gru_desktop, and works without numpy
  (sqlite-utils loads numpy when it is installed; storage itself never needs it)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

IMPORT_ALL = """
import importlib, pkgutil, sys
for blocked in {blocked!r}:
    sys.modules[blocked] = None  # import blocked → ImportError
package = importlib.import_module({package!r})
names = [m.name for m in pkgutil.iter_modules(package.__path__, {package!r} + ".")]
assert len(names) >= {at_least}, names
for n in names:
    importlib.import_module(n)
loaded = sorted(k for k, v in sys.modules.items() if v is not None)
print("LOADED", " ".join(loaded))
"""


def loaded_after_importing(package: str, at_least: int, blocked: tuple[str, ...] = ()) -> set[str]:
    code = IMPORT_ALL.format(package=package, at_least=at_least, blocked=blocked)
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    line = next(ln for ln in r.stdout.splitlines() if ln.startswith("LOADED "))
    return set(line.split()[1:])


def top_level(modules: set[str]) -> set[str]:
    return {m.split(".")[0] for m in modules}


def test_core_loads_no_qt_and_no_storage():
    loaded = loaded_after_importing("gru_desktop.core", at_least=15)
    assert "gru_desktop.core.train" in loaded and "torch" in loaded  # it did import the engine
    assert top_level(loaded).isdisjoint({"PySide6", "shiboken6", "pyqtgraph", "storage", "sqlite_utils"})
    assert not any(m.startswith(("gru_desktop.ui", "gru_desktop.jobs", "gru_desktop.cli")) for m in loaded)


def test_jobs_load_no_qt():
    """The jobs layer meets core and storage, never Qt: the CLI drives it without a display."""
    loaded = loaded_after_importing("gru_desktop.jobs", at_least=8)
    assert {"gru_desktop.jobs.runs", "storage.runs", "gru_desktop.core.train"} <= loaded
    assert top_level(loaded).isdisjoint({"PySide6", "shiboken6", "pyqtgraph"})
    assert not any(m.startswith(("gru_desktop.ui", "gru_desktop.cli")) for m in loaded)


def test_faults_load_no_torch():
    """The GUI imports jobs.faults before its first paint: it stays light (storage, core's errors)."""
    code = "import sys, gru_desktop.jobs.faults; print('LOADED', ' '.join(sorted(sys.modules)))"
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    loaded = set(r.stdout.split()[1:])
    assert "storage" in loaded and top_level(loaded).isdisjoint({"torch", "PySide6"})


def test_storage_loads_no_torch_qt_or_gru_desktop():
    loaded = loaded_after_importing("storage", at_least=5)
    assert "storage.runs" in loaded and "sqlite_utils" in loaded
    assert top_level(loaded).isdisjoint({"torch", "PySide6", "shiboken6", "pyqtgraph", "gru_desktop"})


def test_storage_works_without_numpy(tmp_path):
    loaded = loaded_after_importing("storage", at_least=5, blocked=("numpy",))
    assert "storage.runs" in loaded and "numpy" not in top_level(loaded)
