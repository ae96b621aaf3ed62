"""Small statistics the benchmarks and the window report (keystroke latency, timer lateness)."""
from __future__ import annotations


def percentile(values, q: float) -> float:
    """The q-quantile (0..1) as these reports take it: the value at rank int(q·n) of the sorted values
    (p50 of 4 values is the 3rd; p99 of 100 is the 100th); NaN for no values."""
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))] if s else float("nan")


def summary_ms(values) -> dict[str, float]:
    """{"p50_ms", "p99_ms", "max_ms"} of millisecond values (empty: {})."""
    s = sorted(values)
    if not s:
        return {}
    return {"p50_ms": percentile(s, 0.5), "p99_ms": percentile(s, 0.99), "max_ms": s[-1]}
