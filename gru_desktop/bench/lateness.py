"""The GUI thread's lateness, measured the way `bench --only journey` does: a 10 ms precise QTimer, each
tick's lateness charged to the step in effect when its gap began, and a watcher thread that samples where
the GUI thread was during ticks later than 40 ms. Used by bench/journey.py."""
from __future__ import annotations

import sys
import threading
import time
import traceback
from collections import Counter
from pathlib import Path

from PySide6.QtCore import QElapsedTimer, QObject, Qt, QTimer, Slot

TICK_MS = 10
STALL_MS = 50.0
P99_BUDGET_MS = 10.0  # the report counts, per step, the ticks later than this: what keeps p99 above it


class Recorder(QObject):
    """A 10 ms precise QTimer; each tick's lateness with the step in effect when its gap began. Its slots
    take the training worker's signals (queued to the GUI thread, where the marks belong)."""

    def __init__(self):
        super().__init__()
        self.clock = QElapsedTimer()
        self.clock.start()
        self.step, self.phase, self.epochs = "start", "", 0
        self.rates: list[float] = []  # training tokens/s per epoch: what the GUI's share of the CPU costs
        self.ticks: list[tuple[float, str, str]] = []  # (lateness ms, step, phase)
        # the GUI thread's own CPU time in each tick's gap (ms), beside `ticks`: on a busy machine a late tick
        # is mostly waiting (for a core, for the GIL); this is the work the GUI thread itself did meanwhile
        self.cpu: list[float] = []
        self._last_cpu = time.thread_time_ns()
        self._last, self._last_step = self.clock.nsecsElapsed(), self.step
        self.timer = QTimer(timerType=Qt.TimerType.PreciseTimer, interval=TICK_MS)
        self.timer.timeout.connect(self._tick)
        self.timer.start()
        # Where the GUI thread is while a tick is late: a watcher thread samples its Python stack.
        self.where: dict[str, Counter] = {}
        self._last_mono = time.monotonic()
        self._stop = threading.Event()
        self._gui_ident = threading.get_ident()
        threading.Thread(target=self._watch, daemon=True, name="stall-sampler").start()

    def _tick(self):
        now = self.clock.nsecsElapsed()
        self.ticks.append((max((now - self._last) / 1e6 - TICK_MS, 0.0), self._last_step, self.phase))
        cpu = time.thread_time_ns()
        self.cpu.append((cpu - self._last_cpu) / 1e6)
        self._last_cpu = cpu
        self._last, self._last_step = now, self.step
        self._last_mono = time.monotonic()

    def _watch(self) -> None:
        """Every 10 ms: when the GUI thread has not ticked for over 40 ms, note its innermost frames."""
        while not self._stop.wait(0.01):
            if time.monotonic() - self._last_mono > 0.04:
                frames = sys._current_frames()
                frame = frames.get(self._gui_ident)
                if frame is not None:
                    where = stack_summary(frame)
                    if where.startswith("in the event loop"):  # then what the other threads were doing
                        me = threading.get_ident()
                        others = [stack_summary(f, 2) for t, f in frames.items() if t not in (me, self._gui_ident)]
                        where += "; other threads: " + " | ".join(sorted(o for o in others if "threading.wait" not in o))
                    self.where.setdefault(self._last_step, Counter())[where] += 1

    def stop(self) -> None:
        self._stop.set()
        self.timer.stop()

    def mark(self, step: str) -> None:
        self.step = step

    def begin(self, step: str) -> None:
        """An action the script does itself, outside the event loop (loading, a click, a page switch, closing):
        the gap in progress, idle until now and then the action's own synchronous work, is charged to it (with
        `mark` it went to the step before: a page switch's own work showed under the previous page)."""
        self.mark(step)
        self._last_step = step

    def split(self, step: str, phase: str) -> None:
        """From now on, `phase` and `step`, also for the gap in progress: what ran so far is charged to the
        old step and phase (as a tick), the rest of the gap to the new ones. For the first paint, whose slot
        goes on with the work after it (imports, the first database reads) before the event loop runs again."""
        self._tick()
        self.phase = phase
        self.mark(step)
        self._last_step = step

    @Slot(object)
    def on_run_started(self, _):
        self.mark("training")

    @Slot(object)
    def on_epoch(self, e):
        self.epochs = e.epoch
        self.rates.append(e.tokens_per_s)
        step = f"epoch end ({e.epoch})"
        self.mark(step)
        QTimer.singleShot(400, self, lambda: self.step == step and self.mark("training"))

    @Slot(object)
    def on_stage(self, stage):
        self.mark("run end: " + stage.text.split(" (")[0].split(" on the")[0].rstrip("…"))

    @Slot(object)
    def on_run_finished(self, _):
        self.mark("run end: the model offered to Autocomplete, the Runs page")

    def summary(self, phase: str | None = None, exclude: str | None = None) -> dict:
        def wanted(p):
            return (phase is None or p == phase) and p != exclude

        from ..core.stats import summary_ms

        late = [t for t, _, p in self.ticks if wanted(p)]
        if not late:
            return {"ticks": 0}
        stalls: dict[str, list[float]] = {}
        over: Counter = Counter()
        for t, step, p in self.ticks:
            if t > STALL_MS and wanted(p):
                stalls.setdefault(step, []).append(t)
            if t > P99_BUDGET_MS and wanted(p):
                over[step] += 1
        return {"ticks": len(late), **{k: round(v, 1) for k, v in summary_ms(late).items()},
                f"over_{P99_BUDGET_MS:g}ms": dict(over.most_common(8)),
                "slowest": [f"{t:.1f} ms: {step}" for t, step, p in sorted(self.ticks, reverse=True) if wanted(p)][:5],
                "stalls": {k: {"count": len(v), "max_ms": round(max(v), 1),
                               "where": [f"{n}× {w}" for w, n in self.where.get(k, Counter()).most_common(3)]}
                           for k, v in sorted(stalls.items(), key=lambda kv: -max(kv[1]))}}


EPOCH_END_BUDGET_MS = 16.0  # one frame (design §18)
# Steps that are not a user's action: the time between actions, and the launch (the startup bench's)
NOT_ACTIONS = ("start", "training", "launch")


def per_action(ticks: list[tuple[float, str, str]], phase: str | None = None,
               cpu: list[float] | None = None) -> list[dict]:
    """The worst tick inside each action's own window (design §18: budgets are per user action, measured
    separately, not as a journey-wide percentile): one row per step in the order first seen, with its budget
    (an epoch end 16 ms, any other action 50 ms) and whether it kept it. `ticks`: Recorder.ticks; with `cpu`
    (Recorder.cpu) also `worst_cpu_ms`, the most CPU time the GUI thread itself used in one gap of the action
    (what a busy machine does not inflate)."""
    rows: dict[str, dict] = {}
    for i, (late, step, p) in enumerate(ticks):
        if (phase is not None and p != phase) or step.startswith(NOT_ACTIONS):
            continue
        row = rows.setdefault(step, {"action": step, "phase": p, "ticks": 0, "worst_ms": 0.0,
                                     "budget_ms": EPOCH_END_BUDGET_MS if step.startswith("epoch end") else STALL_MS})
        row["ticks"] += 1
        row["worst_ms"] = max(row["worst_ms"], round(late, 1))
        if cpu is not None and i < len(cpu):
            row["worst_cpu_ms"] = max(row.get("worst_cpu_ms", 0.0), round(cpu[i], 1))
    for row in rows.values():
        row["ok"] = row["worst_ms"] <= row["budget_ms"]
    return list(rows.values())


def action_table(rows: list[dict]) -> str:
    """The per-action report as aligned text lines (for the performance document)."""
    width = max((len(r["action"]) for r in rows), default=10)
    cpu = any("worst_cpu_ms" in r for r in rows)  # then a column: the GUI thread's own CPU in one gap, at most
    lines = [f"{'action':<{width}}  worst ms  budget  ticks" + ("  GUI CPU ms" if cpu else "")]
    lines += [f"{r['action']:<{width}}  {r['worst_ms']:>8.1f}  {r['budget_ms']:>6.0f}  {r['ticks']:>5}"
              + (f"  {r.get('worst_cpu_ms', 0.0):>10.1f}" if cpu else "")
              + f"{'' if r['ok'] else '  OVER'}" for r in rows]
    return "\n".join(lines)


def stack_summary(frame, depth: int = 3) -> str:
    """The GUI thread's innermost frames outside this file ("in the event loop" when none: Qt's own C++
    work, such as painting or layout, or waiting for the GIL)."""
    frames = [f for f in traceback.extract_stack(frame)
              if not (f.filename.endswith(("journey.py", "lateness.py")) or f.filename.startswith("<frozen runpy"))]
    if not frames:
        return "in the event loop (Qt C++ or waiting for the GIL)"
    return " < ".join(f"{Path(f.filename).stem}.{f.name}:{f.lineno}" for f in reversed(frames[-depth:]))
