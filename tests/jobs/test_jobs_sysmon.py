"""jobs.sysmon directly: what the process used since the last sample, and the Training page's line."""
from __future__ import annotations

import os
import time

from gru_desktop.jobs.sysmon import SystemMonitor, describe


def _cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system


def test_a_sample_measures_this_process():
    """CPU % is this process's CPU time over the wall time since the last sample (checked against os.times,
    since a busy machine gives this process less than a core)."""
    monitor = SystemMonitor("cpu")
    cpu0, wall0 = _cpu_seconds(), time.monotonic()
    end = time.process_time() + 0.2
    while time.process_time() < end:  # 0.2 s of CPU time
        pass
    sample = monitor.sample()
    expected = 100 * (_cpu_seconds() - cpu0) / (time.monotonic() - wall0)
    assert sample["cpu_percent"] > 0 and abs(sample["cpu_percent"] - expected) < 0.25 * expected + 5
    assert sample["peak_rss_mb"] > 10 and sample["threads"] >= 1 and sample["device"] == "cpu"
    time.sleep(0.3)
    assert monitor.sample()["cpu_percent"] < 0.5 * sample["cpu_percent"]  # since the previous sample: asleep


def test_describe_formats_one_line():
    system = {"cpu_percent": 187.4, "peak_rss_mb": 1412.3, "threads": 9, "device": "cpu"}
    assert describe(system, 41_234.5) == "CPU 187 % · peak 1,412 MB · 9 threads · cpu · 41,234 tokens/s"
    assert describe(system) == "CPU 187 % · peak 1,412 MB · 9 threads · cpu"
    assert describe(None) == "" and describe({"cpu_percent": None}) == ""
