"""Pause and resume for a run in several processes (torchrun, gloo; design §12, §14): a 2-process run paused
at an arbitrary step through `runs pause` and resumed with `runs resume` ends with the weights of the same run
never paused; a killed process → resume from the last checkpoint; another process count is refused."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from cli_helpers import REPO, _env, cli, generated_corpus, runs_json  # noqa: E402
from test_cli_distributed import _workers  # noqa: E402

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and torchrun's c10d store")
ARGS = ["--processes", "2", "--epochs", "2", "--patience", "0", "--embed-dim", "16", "--hidden-size", "32",
        "--batch-size", "8", "--threads", "1", "--device", "cpu", "--checkpoint-minutes", "0", "--json"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return generated_corpus(tmp_path_factory.mktemp("corpus"), "text.txt", seed=5, words=600, lines=1200,
                            letters="abcdefghij", longest=6)


def _start(home: Path, corpus: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "gru_desktop", "train", str(corpus), *ARGS], cwd=REPO,
                            env=_env(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def _steps(home: Path) -> int:
    try:
        con = sqlite3.connect(home / "runs.db")
        try:
            return con.execute("SELECT COALESCE(MAX(step), 0) FROM steps").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return 0


def _pause_requested(home: Path) -> bool:
    con = sqlite3.connect(home / "runs.db")
    try:
        return bool(con.execute("SELECT pause_requested FROM runs WHERE id = 1").fetchone()[0])
    finally:
        con.close()


def _wait(pred, what: str, proc: subprocess.Popen | None = None, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"the run ended before {what}: {proc.stderr.read()}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def _weights(home: Path, run_id: int) -> dict:
    import torch

    return torch.load(home / "models" / f"{run_id}.pt", map_location="cpu", weights_only=True)["state_dict"]


def _same_weights(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(a[k].equal(b[k]) for k in a)


def _epochs(home: Path, run_id: int) -> list[dict]:
    return json.loads(cli(home, "runs", "show", str(run_id), "--json").stdout)["epochs"]


def test_two_processes_paused_at_a_step_and_resumed_give_the_weights_of_an_unpaused_run(tmp_path, corpus):
    from gru_desktop.core.checkpoint import load_checkpoint

    ref = tmp_path / "ref"
    r = cli(ref, "train", str(corpus), *ARGS, timeout=300)
    assert r.returncode == 0, r.stderr
    home = tmp_path / "home"
    p = _start(home, corpus)
    try:
        _wait(lambda: _steps(home) >= 3, "a few recorded steps", p)  # somewhere in epoch 1
        # Hold every process (the launcher and its ranks; torch's launcher starts each rank in a session of its
        # own, so one killpg does not reach them) while `runs pause` starts and asks, so a short run can neither
        # finish nor pause (and clear the request) before the request is seen in the database; then go on.
        held = [psutil.Process(p.pid), *psutil.Process(p.pid).children(recursive=True)]
        for proc in held:
            proc.send_signal(signal.SIGSTOP)
        pauser = subprocess.Popen([sys.executable, "-m", "gru_desktop", "runs", "pause", "1", "--wait", "120"],
                                  cwd=REPO, env=_env(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            _wait(lambda: _pause_requested(home), "the pause request in the database", pauser)
        finally:
            for proc in held:
                proc.send_signal(signal.SIGCONT)
        out, err = pauser.communicate(timeout=180)
        assert pauser.returncode == 0, err
        assert "run 1 paused" in out, out
        assert p.wait(60) == 130
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
    run = runs_json(home)[0]
    assert run["status"] == "paused" and run["processes"] == 2
    state = load_checkpoint(run["checkpoint_path"]).state
    assert state.world == 2 and state.loop.step >= 3  # both processes' lanes and generators, gathered by rank 0
    assert not state.ranks[0]["lanes"].equal(state.ranks[1]["lanes"])

    from gru_desktop.jobs.runs import ResumeError, resume_run  # one process cannot take over two's state

    with pytest.raises(ResumeError, match="cannot be resumed in 1 process.*holds the state of 2"):
        next(resume_run(1, home=home))
    assert runs_json(home)[0]["status"] == "paused"  # nothing changed

    r = cli(home, "runs", "resume", "1", "--json", timeout=300)  # torchrun again, with 2 processes
    assert r.returncode == 0, r.stderr
    lines = [json.loads(x) for x in r.stdout.splitlines() if x.strip()]
    assert lines[0]["resumed"].startswith("epoch ") and lines[-1]["status"] == "completed"
    run = runs_json(home)[0]
    assert run["status"] == "completed" and run["processes"] == 2 and len(runs_json(home)) == 1
    assert [e["val_loss"] for e in _epochs(home, 1)] == [e["val_loss"] for e in _epochs(ref, 1)]
    assert _same_weights(_weights(home, 1), _weights(ref, 1))  # bit-exact
    assert not Path(run["checkpoint_path"] or home / "models" / "1.ckpt").exists()


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="finds the worker processes through /proc")
def test_a_killed_process_then_resume_from_the_epoch_checkpoint(tmp_path, corpus):
    home = tmp_path / "home"
    p = _start(home, corpus)
    try:
        _wait(lambda: (home / "models" / "1.ckpt").is_file(), "the checkpoint at epoch 1's end", p)
        workers = _workers(p.pid)
        assert sorted(workers) == [0, 1], workers
        os.kill(workers[1], signal.SIGKILL)
        p.wait(90)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
    run = runs_json(home)[0]
    assert run["status"] in ("failed", "interrupted"), run
    r = cli(home, "runs", "resume", "1", "--json", timeout=300)
    assert r.returncode == 0, r.stderr
    lines = [json.loads(x) for x in r.stdout.splitlines() if x.strip()]
    assert lines[-1]["status"] == "completed"
    assert [e["epoch"] for e in _epochs(home, 1)] == [1, 2]
