"""Giving freed memory back to the system between the phases of a run (design §12).

glibc serves arrays below its mmap threshold from the heap, and that threshold rises (up to 32 MB) each time
a bigger block is freed; after a phase that made many tens-of-MB temporaries (the run's end counting millions
of words), the freed heap stays counted in the process's resident memory (measured: +120 MB after the
baseline on WikiText-2 ×10) and the next phase's peak lands on top of it. `malloc_trim(0)` hands the free
pages back. Elsewhere (macOS, Windows, musl) it does nothing.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import sys

_trim = None
if sys.platform.startswith("linux"):
    try:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        _trim = getattr(_libc, "malloc_trim", None)  # glibc only
        if _trim is not None:
            _trim.argtypes, _trim.restype = [ctypes.c_size_t], ctypes.c_int
    except OSError:
        _trim = None


def release_free_memory() -> bool:
    """Return the C heap's free pages to the system (glibc); whether anything could be asked."""
    if _trim is None:
        return False
    _trim(0)
    return True
