"""What the window loads off the GUI thread after its first paint (torch, pyqtgraph, sqlite-utils; once the
pages have started, the code of a first training step), kept from stalling the GUI thread while it does.

A worker thread is not enough by itself, because two things in an import hold the GIL for long (measured
with a 1 ms ticker on the main thread, `bench --only journey` for the window):
- Python loads an extension module with the GIL held: `import torch` spent ~205 ms in `torch._C`, mostly the
  dynamic loader mapping libtorch_cpu and running its static initialisers (op registration). Neither does
  `ctypes.CDLL` release the GIL (py-spy showed it holding the GIL in dlopen). A foreign function called
  through ctypes does, so libtorch_cpu is loaded by calling the C library's `dlopen` that way; `import
  torch` then finds it loaded. Worst lateness of a 1 ms ticker on the main thread while a worker loads
  torch: 184-248 ms -> 20 ms.
- Cycle collections, which ui.gc_guard keeps off worker threads.
"""
from __future__ import annotations

import ctypes
import importlib.util
import os
from pathlib import Path

# The library that holds most of torch's native code, by platform (a missing one is skipped).
TORCH_NATIVE = ("libtorch_cpu.so", "libtorch_cpu.dylib")


def preload_torch_native() -> Path | None:
    """dlopen torch's main native library with the GIL released, before `import torch` would load it with
    the GIL held (the handle is kept: torch keeps the library loaded anyway). Returns the file loaded, or
    None (no torch, another layout, no dlopen, or it would not load: then `import torch` loads it as usual
    and reports any real problem itself)."""
    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.submodule_search_locations:
        return None
    lib = Path(next(iter(spec.submodule_search_locations))) / "lib"
    for name in TORCH_NATIVE:
        path = lib / name
        if path.is_file():
            try:
                dlopen = ctypes.CDLL(None).dlopen  # the process's own C library
            except (OSError, AttributeError):
                return None
            dlopen.restype, dlopen.argtypes = ctypes.c_void_p, (ctypes.c_char_p, ctypes.c_int)
            return path if dlopen(os.fsencode(path), os.RTLD_NOW) else None
    return None


def warm_up(progress, should_stop) -> list[str]:
    """Off the GUI thread, right after the first paint: what the pages need first (the imports, the devices)."""
    preload_torch_native()
    import pyqtgraph  # noqa: F401  (the charts)

    import storage  # noqa: F401  (sqlite-utils)

    from ...core.devices import present_devices  # torch
    from ..widgets import compare_plot, metrics_plot  # noqa: F401  (their pyqtgraph classes)

    return present_devices()


def training_code(progress, should_stop) -> None:
    """Off the GUI thread, once the pages have started: what a first optimizer step imports (torch._dynamo,
    ~800 modules, 1.2 s), so that Train does not wait for it and the start-up freeze (ui.gc_guard) has it."""
    from ...core.train import load_step_code

    load_step_code()


__all__ = ["TORCH_NATIVE", "preload_torch_native", "training_code", "warm_up"]
