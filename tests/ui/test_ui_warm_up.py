"""The window's start-up worker (ui.warm_up): torch's native library is loaded through ctypes, which
releases the GIL, before `import torch` would load it with the GIL held (a ~200 ms stall of the window)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gru_desktop.ui.workers import warm_up

CHECK = """
import sys
from gru_desktop.ui.workers.warm_up import preload_torch_native
path = preload_torch_native()
mapped = path is not None and str(path.resolve()) in open("/proc/self/maps").read()
print(path, mapped, "torch" in sys.modules)
import torch
print(torch.ones(2).sum().item())
"""


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads /proc/self/maps (Linux)")
def test_torch_native_code_is_loaded_before_torch_is_imported():
    out = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120, check=True)
    first, second = out.stdout.splitlines()
    path, mapped, imported = first.rsplit(" ", 2)
    assert Path(path).name in warm_up.TORCH_NATIVE and mapped == "True" and imported == "False"
    assert second == "2.0"  # torch imports and works after it


def test_no_torch_or_another_layout_is_no_preload(monkeypatch, tmp_path):
    monkeypatch.setattr(warm_up.importlib.util, "find_spec", lambda name: None)
    assert warm_up.preload_torch_native() is None

    class Spec:
        submodule_search_locations = [str(tmp_path)]

    monkeypatch.setattr(warm_up.importlib.util, "find_spec", lambda name: Spec())
    assert warm_up.preload_torch_native() is None  # no lib/ folder there
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / warm_up.TORCH_NATIVE[0]).write_bytes(b"not a library")
    assert warm_up.preload_torch_native() is None  # would not load: import torch reports it, not we
