"""Launch and close the window many times, offscreen, and count abnormal exits (issue 22: one launch in
about sixteen once ended in a segmentation fault right after the first paint).

Each cycle is a fresh process that opens the window exactly as `gru-desktop` does (cli.main →
ui.window.app.run, offscreen, its own temporary data folder) and closes it after a delay drawn from 0–5 s
(cycling through the steps of --delays), then checks the exit code. A crash's stderr (faulthandler's stacks of every thread) and its log
file are kept in --keep. Usage:

    QT_QPA_PLATFORM=offscreen python tools/stress_launch.py --cycles 200 [--delays 0,0.5,1,2,3,5] [--keep DIR]
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

app = QApplication(["gru-desktop"])

def close():
    for w in QApplication.topLevelWidgets():
        if w.objectName() == "mainWindow":
            w.close()
            return
    QTimer.singleShot(50, close)  # not built yet: try again

QTimer.singleShot(int(float(sys.argv[1]) * 1000), close)
from gru_desktop.cli import main  # the path `gru-desktop` takes (no arguments: the window)
raise SystemExit(main([]))
"""


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cycles", type=int, default=200)
    p.add_argument("--delays", default="0,0.25,0.5,1,2,3,5", help="close delays in seconds, cycled through")
    p.add_argument("--timeout", type=float, default=90.0, help="seconds a cycle may take before it counts as hung")
    p.add_argument("--keep", default="stress-crashes", help="folder for the stderr and log of abnormal exits")
    args = p.parse_args()
    delays = [float(x) for x in args.delays.split(",")]
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    codes: dict[int, int] = {}
    bad = []
    t0 = time.monotonic()
    for i in range(args.cycles):
        delay = delays[i % len(delays)]
        home = Path(tempfile.mkdtemp(prefix="stress-launch-"))
        try:
            r = subprocess.run([sys.executable, "-X", "faulthandler", "-c", CHILD, str(delay)],
                               env={**env, "GRU_DESKTOP_HOME": str(home)}, capture_output=True, text=True,
                               timeout=args.timeout)
            code = r.returncode
            err = r.stderr
        except subprocess.TimeoutExpired as exc:
            code, err = -999, f"hung after {args.timeout} s\n{exc.stderr or ''}"
        codes[code] = codes.get(code, 0) + 1
        if code != 0:
            keep = Path(args.keep) / f"cycle-{i:03d}-delay-{delay:g}-code-{code}"
            keep.mkdir(parents=True, exist_ok=True)
            (keep / "stderr.txt").write_text(err if isinstance(err, str) else str(err))
            for log in home.glob("gru-desktop.log*"):
                shutil.copy(log, keep / log.name)
            bad.append((i, delay, code))
            print(f"cycle {i}: delay {delay:g} s → exit {code} (kept in {keep})", flush=True)
        elif (i + 1) % 10 == 0:
            print(f"{i + 1} cycles, {len(bad)} abnormal, {time.monotonic() - t0:.0f} s", flush=True)
        shutil.rmtree(home, ignore_errors=True)
    print(f"{args.cycles} cycles in {time.monotonic() - t0:.0f} s: exit codes {dict(sorted(codes.items()))}; "
          f"abnormal: {len(bad)}", flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
