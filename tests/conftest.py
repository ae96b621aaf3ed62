"""A watchdog for every test: one still running after HANG_S seconds prints every thread's stack and ends
the run with exit code 1, instead of holding CI until its time limit. (A deadlock between a worker thread's
cycle collection and the GUI thread once held CI for 90 minutes with nothing to show: ui/window/gc_guard.py.)"""
from __future__ import annotations

import faulthandler
import os
import sys

import pytest

HANG_S = 600  # the whole suite takes ~6 minutes; no single test comes near this
_stderr = None  # a copy of the real stderr, taken before any test's output is captured


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    global _stderr
    _stderr = os.fdopen(os.dup(sys.__stderr__.fileno()), "w")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    faulthandler.dump_traceback_later(HANG_S, exit=True, file=_stderr)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()
