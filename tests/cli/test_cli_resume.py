"""Command-line pause and resume: kill -9 mid-epoch then `runs resume` (same run id, completed),
`runs pause` from another process, Ctrl-C with --pausable, and the refusals (damaged or missing
checkpoint, changed corpus, a second resumer)."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cli_helpers import REPO, _env, cli, generated_corpus, runs_json  # noqa: E402

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
SMALL = ["--embed-dim", "16", "--hidden-size", "32", "--batch-size", "64", "--threads", "1", "--patience", "0"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """1.5k generated sentences over 800 words: an epoch takes about a second (more under load)."""
    return generated_corpus(tmp_path_factory.mktemp("corpus"), "text.txt", seed=99, words=800, lines=1500,
                            letters="abcdefghij", longest=6)


def _start(home: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "gru_desktop", *args], cwd=REPO, env=_env(home),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _run(home: Path, run_id: int) -> dict:
    return next(r for r in runs_json(home) if r["id"] == run_id)


def _wait(pred, timeout=120.0, what=""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def _epochs(home: Path, run_id: int) -> list[int]:
    r = cli(home, "runs", "show", str(run_id), "--json")
    assert r.returncode == 0, r.stderr
    return [e["epoch"] for e in json.loads(r.stdout)["epochs"]]


def _ckpt(home: Path, run_id: int) -> Path:
    return home / "models" / f"{run_id}.ckpt"


def _mid_epoch_checkpoint(path: Path) -> bool:
    """The run's checkpoint exists and was taken inside epoch 2 or 3, after some of its batches."""
    from gru_desktop.core.checkpoint import CheckpointError, load_checkpoint

    try:
        loop = load_checkpoint(path).state.loop
    except CheckpointError:
        return False
    return loop.epoch >= 2 and loop.batches_done > 0


def _step_until(p: subprocess.Popen, pred, step_s: float = 0.02, timeout: float = 120.0, what: str = "") -> None:
    """Let the process run `step_s` at a time and look while it is stopped (SIGSTOP), until `pred()`; the
    process is left stopped. It cannot run past what is looked for unseen, however fast it trains."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        p.send_signal(signal.SIGSTOP)
        time.sleep(0.005)  # the stop has landed before the files are looked at
        if pred():
            return
        if p.poll() is not None:
            pytest.fail(f"the process ended before {what}")
        p.send_signal(signal.SIGCONT)
        time.sleep(step_s)
    pytest.fail(f"timed out waiting for {what}")


def _kill_9_then_resume(p: subprocess.Popen, home: Path, checkpoint_ready, what: str):
    """`train --json` in `p`: after its first epoch line, step it until its checkpoint satisfies
    `checkpoint_ready`, kill -9 it (the run is then `interrupted`), and `runs resume` it.
    → (run id, the resume's CompletedProcess, its JSON lines)."""
    try:
        first = json.loads(p.stdout.readline())  # epoch 1 finished
        assert first["epoch"] == 1
        run_id = first["run_id"]
        _step_until(p, lambda: checkpoint_ready(_ckpt(home, run_id)), what=what)
        os.kill(p.pid, signal.SIGKILL)
        p.wait(10)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait(10)
    assert _run(home, run_id)["status"] == "interrupted"
    r = cli(home, "runs", "resume", str(run_id), "--json", timeout=300)
    assert r.returncode == 0, r.stderr
    return run_id, r, [json.loads(x) for x in r.stdout.splitlines() if x.strip()]


@pytest.fixture(scope="module")
def longer_corpus(tmp_path_factory) -> Path:
    """6k generated sentences: several checkpoints (every 0.18 s) fit in one epoch even on an idle machine."""
    return generated_corpus(tmp_path_factory.mktemp("longer"), "text.txt", seed=98, words=800, lines=6000,
                            letters="abcdefghij", longest=6)


def test_kill_9_mid_epoch_then_resume_continues_the_same_run(tmp_path, longer_corpus):
    home = tmp_path / "home"
    p = _start(home, "train", str(longer_corpus), "--epochs", "3", "--checkpoint-minutes", "0.003", *SMALL, "--json")
    # Stepped, not raced: idle, the earlier corpus's last two epochs ended (and the finished run's checkpoint was
    # deleted) before a mid-epoch checkpoint was seen.
    run_id, r, lines = _kill_9_then_resume(p, home, _mid_epoch_checkpoint, "a checkpoint mid-epoch 2")
    assert "Traceback" not in r.stderr
    assert lines[0]["run_id"] == run_id and lines[0]["resumed"].startswith("epoch ")
    resumed_epochs = [ln["epoch"] for ln in lines if "epoch" in ln]
    assert resumed_epochs and resumed_epochs[0] >= 2 and resumed_epochs[-1] == 3
    assert lines[-1]["status"] == "completed" and lines[-1]["run_id"] == run_id
    run = _run(home, run_id)
    assert run["status"] == "completed" and run["epochs_done"] == 3
    assert _epochs(home, run_id) == [1, 2, 3]
    assert not _ckpt(home, run_id).exists()  # a finished run keeps its model, not its checkpoint
    assert len(runs_json(home)) == 1  # no new run was made


@pytest.fixture(scope="module")
def paused_home(tmp_path_factory, corpus):
    """A data folder with one run paused by Ctrl-C (train --pausable) after its first epoch."""
    home = tmp_path_factory.mktemp("paused") / "home"
    p = _start(home, "train", str(corpus), "--epochs", "4", "--pausable", *SMALL, "--json")
    try:
        first = json.loads(p.stdout.readline())
        run_id = first["run_id"]
        p.send_signal(signal.SIGINT)
        assert p.wait(60) == 130
        last = json.loads(p.stdout.read().splitlines()[-1])
        assert last["status"] == "paused", last
    finally:
        if p.poll() is None:
            p.kill()
    return home, run_id


def test_runs_pause_from_another_process(tmp_path, corpus):
    home = tmp_path / "home"
    p = _start(home, "train", str(corpus), "--epochs", "500", *SMALL, "--json")
    try:
        run_id = json.loads(p.stdout.readline())["run_id"]
        r = cli(home, "runs", "pause", str(run_id))
        assert r.returncode == 0, r.stderr
        assert f"run {run_id} paused" in r.stdout and f"runs resume {run_id}" in r.stdout
        assert p.wait(60) == 130
    finally:
        if p.poll() is None:
            p.kill()
    run = _run(home, run_id)
    assert run["status"] == "paused" and run["checkpoint_path"] and Path(run["checkpoint_path"]).is_file()
    r = cli(home, "runs", "pause", str(run_id))
    assert r.returncode == 2 and "not training (it is paused)" in r.stderr


def _copy(paused_home, tmp_path) -> tuple[Path, int]:
    home, run_id = paused_home
    mine = tmp_path / "home"
    shutil.copytree(home, mine)
    ckpt_rel = _ckpt(home, run_id)
    con = __import__("sqlite3").connect(mine / "runs.db")  # the copy's paths point into the copy
    con.execute("UPDATE runs SET checkpoint_path = ?, model_path = ? WHERE id = ?",
                [str(_ckpt(mine, run_id)), str(mine / "models" / f"{run_id}.pt"), run_id])
    con.commit()
    con.close()
    assert ckpt_rel.exists()
    return mine, run_id


def test_paused_run_is_listed_paused_and_resumes_with_ctrl_c_pausing_again(paused_home, tmp_path):
    home, run_id = _copy(paused_home, tmp_path)
    run = _run(home, run_id)
    assert run["status"] == "paused" and run["epochs_done"] >= 1
    p = _start(home, "runs", "resume", str(run_id), "--pausable", "--json")
    try:
        line = json.loads(p.stdout.readline())
        assert line["resumed"]
        json.loads(p.stdout.readline())  # an epoch finished after the resume
        p.send_signal(signal.SIGINT)
        assert p.wait(60) == 130
        out = p.stdout.read()
    finally:
        if p.poll() is None:
            p.kill()
    assert json.loads(out.splitlines()[-1])["status"] == "paused"
    assert _run(home, run_id)["status"] == "paused"
    r = cli(home, "runs", "resume", str(run_id), "--json", timeout=300)
    assert r.returncode == 0, r.stderr
    assert _epochs(home, run_id) == [1, 2, 3, 4]
    assert _run(home, run_id)["status"] == "completed"
    r = cli(home, "runs", "resume", str(run_id))
    assert r.returncode == 2 and r.stderr.startswith("error: ") and "only paused or interrupted" in r.stderr


@pytest.mark.parametrize("damage", ["cut", "missing", "foreign"])
def test_a_damaged_or_missing_checkpoint_is_refused_and_a_new_run_offered(paused_home, tmp_path, damage):
    home, run_id = _copy(paused_home, tmp_path)
    ckpt = _ckpt(home, run_id)
    if damage == "cut":
        ckpt.write_bytes(ckpt.read_bytes()[:1000])
    elif damage == "missing":
        ckpt.unlink()
    else:
        shutil.copy(home / "models" / f"{run_id}.pt", ckpt)  # a model file where the checkpoint should be
    r = cli(home, "runs", "resume", str(run_id))
    assert r.returncode == 2, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert r.stderr.startswith(f"error: run {run_id} cannot be resumed")
    assert {"cut": "damaged", "missing": "missing", "foreign": "not a GRU Desktop checkpoint"}[damage] in r.stderr
    assert "--new-run" in r.stderr
    assert _run(home, run_id)["status"] == "paused"  # nothing changed
    if damage == "missing":
        r = cli(home, "runs", "resume", str(run_id), "--new-run", "--epochs", "1", "--json", timeout=300)
        assert r.returncode == 0, r.stderr
        runs = runs_json(home)
        child = next(x for x in runs if x["id"] != run_id)
        assert child["parent_run_id"] == run_id and child["status"] == "completed"


def test_changed_corpus_is_refused(paused_home, tmp_path, corpus):
    home, run_id = _copy(paused_home, tmp_path)
    changed = tmp_path / "text.txt"
    changed.write_text(corpus.read_text(encoding="utf-8") + "one more line.\n", encoding="utf-8")
    con = __import__("sqlite3").connect(home / "runs.db")
    con.execute("UPDATE runs SET corpus_paths = ? WHERE id = ?", [json.dumps([str(changed)]), run_id])
    con.commit()
    con.close()
    r = cli(home, "runs", "resume", str(run_id))
    assert r.returncode == 2
    assert "has changed since it was trained" in r.stderr and "Traceback" not in r.stderr
    assert _run(home, run_id)["status"] == "paused"


def test_a_second_resumer_is_refused(paused_home, tmp_path):
    home, run_id = _copy(paused_home, tmp_path)
    p = _start(home, "runs", "resume", str(run_id), "--json")
    try:
        json.loads(p.stdout.readline())  # resumed: the run is ours now
        # Held (alive, not training) while the second one tries: else the first could finish the run's
        # three short epochs before the second has started, and the run would be `completed` (seen in CI).
        p.send_signal(signal.SIGSTOP)
        r = cli(home, "runs", "resume", str(run_id))
        assert r.returncode == 2
        assert "already running" in r.stderr and "Traceback" not in r.stderr
    finally:
        p.kill()
        p.wait(10)


def _weights(home: Path, run_id: int) -> dict:
    import torch

    return torch.load(home / "models" / f"{run_id}.pt", map_location="cpu", weights_only=True)["state_dict"]


def _epoch_checkpoint(path: Path) -> bool:
    """The run's checkpoint exists and was taken at an epoch's start (after epoch 1 ended)."""
    from gru_desktop.core.checkpoint import CheckpointError, load_checkpoint

    try:
        loop = load_checkpoint(path).state.loop
    except CheckpointError:
        return False
    return loop.epoch >= 2 and loop.batches_done == 0


def test_kill_9_after_the_first_epoch_resumes_from_the_epoch_end_checkpoint_bit_exactly(tmp_path, corpus):
    """No time-based checkpoint (--checkpoint-minutes 0): the one written when epoch 1 ended is enough to
    resume the run as itself, and it ends with the weights and metrics of the same run never killed."""
    args = ["train", str(corpus), "--epochs", "3", "--checkpoint-minutes", "0", *SMALL, "--json"]
    ref = tmp_path / "ref"
    r = cli(ref, *args, timeout=300)
    assert r.returncode == 0, r.stderr
    ref_epochs = [json.loads(x) for x in r.stdout.splitlines() if x.strip()][:-1]
    home = tmp_path / "home"
    p = _start(home, *args)
    run_id, _, lines = _kill_9_then_resume(p, home, _epoch_checkpoint, "the checkpoint at epoch 1's end")
    assert lines[0]["resumed"] == "epoch 2, batch 0"
    assert lines[-1]["status"] == "completed" and lines[-1]["run_id"] == run_id
    assert _epochs(home, run_id) == [1, 2, 3]
    shown = json.loads(cli(home, "runs", "show", str(run_id), "--json").stdout)["epochs"]
    assert [e["val_loss"] for e in shown] == [e["val_loss"] for e in ref_epochs]
    mine, theirs = _weights(home, run_id), _weights(ref, 1)
    assert mine.keys() == theirs.keys()
    assert all(mine[k].equal(theirs[k]) for k in mine)  # bit-exact
    assert not _ckpt(home, run_id).exists()  # a finished run keeps its model, not its checkpoint


def test_no_epoch_checkpoints_switch_writes_none(tmp_path, corpus):
    home = tmp_path / "home"
    p = _start(home, "train", str(corpus), "--epochs", "3", "--checkpoint-minutes", "0", "--no-epoch-checkpoints",
               *SMALL, "--json")
    try:
        run_id = json.loads(p.stdout.readline())["run_id"]
        json.loads(p.stdout.readline())  # epoch 2 ended: an epoch-end checkpoint would have been written by now
        p.send_signal(signal.SIGSTOP)
        assert not _ckpt(home, run_id).exists()
    finally:
        p.kill()
        p.wait(10)
