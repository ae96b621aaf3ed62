"""The system monitor (issue 13): what the training process used during an epoch, stored with the epoch.

CPU % is the process's CPU time over the wall time since the last sample (100 % = one core busy), peak
RSS the most resident memory the process has had so far, threads its thread count now. psutil does the
portable part; the peak comes from getrusage where there is one (Linux: KiB, macOS: bytes) and from
psutil's peak working set on Windows.
"""
from __future__ import annotations

import sys
import time


class SystemMonitor:
    def __init__(self, device: str = "cpu"):
        import psutil  # here, not at the top: the GUI thread imports this module for `describe` at each epoch's end

        self.device = device
        self.process = psutil.Process()
        self._cpu, self._t = self._cpu_seconds(), time.monotonic()

    def _cpu_seconds(self) -> float:
        t = self.process.cpu_times()
        return t.user + t.system

    def peak_rss_mb(self) -> float:
        rss = self.process.memory_info()
        peak = getattr(rss, "peak_wset", 0) or rss.rss  # Windows has the peak; elsewhere getrusage below
        try:  # POSIX only (no `resource` on Windows)
            import resource

            maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            peak = max(peak, maxrss if sys.platform == "darwin" else maxrss * 1024)
        except (ImportError, OSError):
            pass
        return peak / 2**20

    def sample(self) -> dict:
        """{cpu_percent, peak_rss_mb, threads, device} since the previous sample (or since start)."""
        cpu, t = self._cpu_seconds(), time.monotonic()
        share = (cpu - self._cpu) / max(t - self._t, 1e-6)
        self._cpu, self._t = cpu, t
        return {"cpu_percent": round(100.0 * share, 1), "peak_rss_mb": round(self.peak_rss_mb(), 1),
                "threads": self.process.num_threads(), "device": self.device}


def describe(system: dict | None, tokens_per_s: float | None = None) -> str:
    """One line for the Training page: 'CPU 187 % · peak 412 MB · 9 threads · cpu · 41,200 tokens/s'."""
    if not system or system.get("cpu_percent") is None:
        return ""
    parts = [f"CPU {system['cpu_percent']:.0f} %", f"peak {system['peak_rss_mb']:,.0f} MB",
             f"{system['threads']} threads", str(system.get("device") or "cpu")]
    if tokens_per_s:
        parts.append(f"{tokens_per_s:,.0f} tokens/s")
    return " · ".join(parts)
