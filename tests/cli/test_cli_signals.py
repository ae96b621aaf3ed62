"""Command-line tests: Ctrl-C (SIGINT) and kill -9 during `train`."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from cli_helpers import REPO, _env, cli, generated_corpus, runs_json  # noqa: E402

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")




@pytest.fixture(scope="module")
def big_corpus(tmp_path_factory) -> Path:
    """8k generated sentences over a 1,500-word vocabulary: an epoch takes a few seconds."""
    return generated_corpus(tmp_path_factory.mktemp("corpus"), "big.txt", seed=1234, words=1500, lines=8000,
                            letters="abcdefghijklmnopqrstuvwxyz", longest=7)


class _Training:
    """`train --json` in the background; collects stdout lines on a thread."""

    def __init__(self, home: Path, corpus: Path):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gru_desktop", "train", str(corpus), "--epochs", "100", "--patience", "0",
             "--embed-dim", "16", "--hidden-size", "32", "--batch-size", "64", "--json"],
            cwd=REPO, env=_env(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: list[dict] = []
        self.stderr = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for line in self.proc.stdout:
            if line.strip():
                self.lines.append(json.loads(line))

    def wait_first_epoch(self, deadline_s: float = 90):
        deadline = time.monotonic() + deadline_s
        while time.monotonic() < deadline:
            if any("epoch" in ln for ln in self.lines):
                return
            if self.proc.poll() is not None:
                self._reader.join(5)
                if any("epoch" in ln for ln in self.lines):
                    return
                pytest.fail(f"train exited early with {self.proc.returncode}: {self.proc.stderr.read()}")
            time.sleep(0.05)
        self.kill()
        pytest.fail("no epoch line within the deadline")

    def finish(self, timeout: float) -> int:
        try:
            code = self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.kill()
        self._reader.join(5)
        self.stderr = self.proc.stderr.read()
        return code

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=["INT", "TERM", "HUP"])
def test_stop_signal_cancels_and_keeps_best_model(tmp_path, big_corpus, signum):
    """Ctrl-C, SIGTERM (logout, systemd, kill) and SIGHUP (terminal closed): cancelled, exit 128 + signal."""
    home = tmp_path / "home"
    t = _Training(home, big_corpus)
    try:
        t.wait_first_epoch()
        t.proc.send_signal(signum)
        code = t.finish(timeout=10)
    finally:
        t.kill()
    assert code == 128 + signum, t.stderr
    assert "Traceback" not in t.stderr
    last = t.lines[-1]
    assert last.get("status") == "cancelled", t.lines
    runs = runs_json(home)
    assert len(runs) == 1
    run = runs[0]
    assert run["status"] == "cancelled"
    assert run["epochs_done"] >= 1
    assert run["model_path"] and Path(run["model_path"]).is_file()
    r = cli(home, "suggest", str(run["id"]), "wab wcd ", "--json")
    assert r.returncode == 0, r.stderr
    assert len(json.loads(r.stdout)["suggestions"]) == 3


def test_kill_9_leaves_interrupted_run_and_sound_db(tmp_path, big_corpus):
    home = tmp_path / "home"
    t = _Training(home, big_corpus)
    try:
        t.wait_first_epoch()
        run_id = t.lines[0]["run_id"]
        os.kill(t.proc.pid, signal.SIGKILL)
        code = t.finish(timeout=10)
    finally:
        t.kill()
    assert code == -signal.SIGKILL
    runs = runs_json(home)
    assert [r["id"] for r in runs] == [run_id]
    assert runs[0]["status"] == "interrupted"
    assert runs[0]["epochs_done"] >= 1
    con = sqlite3.connect(home / "runs.db")
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        con.close()
    # the best model of the finished epoch(s) is still usable
    r = cli(home, "suggest", str(run_id), "wab wcd ", "--json")
    assert r.returncode == 0, r.stderr
