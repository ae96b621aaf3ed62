"""Several training processes through torchrun (design §12), on this CPU-only machine with gloo.

Each multi-process run here is tiny (a few seconds): the same seeded job in one and in two processes,
the rank-0-only rule for the database, Ctrl-C, and one process killed with SIGKILL."""
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

from cli_helpers import REPO, _env, assert_user_error, cli, runs_json  # noqa: E402

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and torchrun's c10d store")

SMALL = ["--epochs", "2", "--embed-dim", "16", "--hidden-size", "32", "--batch-size", "32", "--threads", "1",
         "--patience", "0", "--json"]

# Every sqlite3.connect of a process, with its torchrun rank, appended to $RECORD_DB_OPENS.
_SITECUSTOMIZE = '''
import os, sqlite3
_connect = sqlite3.connect
def connect(*args, **kwargs):
    with open(os.environ["RECORD_DB_OPENS"], "a") as fh:
        fh.write(os.environ.get("RANK", "-") + " " + str(args[0] if args else kwargs.get("database")) + "\\n")
    return _connect(*args, **kwargs)
sqlite3.connect = connect
'''


def _torchrun(home: Path, n: int, *args: str, env_extra: dict | None = None, timeout: float = 180):
    env = {**_env(home), **(env_extra or {})}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", str(n),
           "-m", "gru_desktop", "train", *args]
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)


def _epochs(stdout: str) -> list[dict]:
    return [row for row in map(json.loads, filter(str.strip, stdout.splitlines())) if "epoch" in row]


def test_torchrun_two_processes_record_one_run_like_one_process(tmp_path):
    """torchrun --nproc-per-node 2: one completed run with both epochs and one model file, written by rank 0
    alone; epoch 1's validation loss within 2 % of one process with the same global batch."""
    home = tmp_path / "home"
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(_SITECUSTOMIZE)
    opens = tmp_path / "opens.txt"
    r = _torchrun(home, 2, *SMALL, env_extra={"PYTHONPATH": str(hook), "RECORD_DB_OPENS": str(opens)})
    assert r.returncode == 0, r.stderr
    two = _epochs(r.stdout)
    assert [e["epoch"] for e in two] == [1, 2]  # printed once (rank 0), not once per process
    runs = runs_json(home)
    assert len(runs) == 1
    run = runs[0]
    assert run["status"] == "completed" and run["epochs_done"] == 2
    assert run["processes"] == 2 and run["device"] == "cpu"
    assert run["config"]["processes"] == 2
    assert sorted(p.name for p in (home / "models").glob("*.pt")) == [f"{run['id']}.pt"]  # one model file
    ranks = {line.split(" ", 1)[0] for line in opens.read_text().splitlines() if "runs.db" in line}
    assert ranks == {"0"}, opens.read_text()  # no other rank opened the database
    one_home = tmp_path / "one"
    r1 = cli(one_home, "train", *SMALL)
    assert r1.returncode == 0, r1.stderr
    one = _epochs(r1.stdout)
    assert abs(two[0]["val_loss"] - one[0]["val_loss"]) <= 0.02 * one[0]["val_loss"]
    assert runs_json(one_home)[0]["processes"] == 1


def test_processes_option_bad_values(tmp_path):
    home = tmp_path / "home"
    r = cli(home, "train", "--processes", "0")
    assert r.returncode == 2 and r.stderr.startswith("error: ") and "--processes" in r.stderr
    with __import__("socket").socket() as s:  # a busy port
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = cli(home, "train", "--processes", "2", "--port", str(port))
    assert r.returncode == 2 and r.stderr.startswith("error: ") and "busy" in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert not (home / "runs.db").exists() or runs_json(home) == []


def test_device_without_it_is_one_error_line(tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    home = tmp_path / "home"
    r = cli(home, "train", "--device", "cuda", "--epochs", "1")
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith("error: --device cuda is not available") and "present: cpu" in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert runs_json(home) == []


@pytest.fixture(scope="module")
def long_corpus(tmp_path_factory) -> Path:
    import random

    rng = random.Random(7)
    words = ["w" + "".join(rng.choice("abcdefghij") for _ in range(rng.randint(2, 6))) for _ in range(800)]
    lines = [" ".join(rng.choice(words) for _ in range(rng.randint(5, 12))) + "." for _ in range(1500)]
    p = tmp_path_factory.mktemp("corpus") / "long.txt"
    p.write_text("\n".join(lines) + "\n")
    return p


def _start(home: Path, corpus: Path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "gru_desktop", "train", str(corpus), "--processes", "2", "--epochs", "500",
         "--patience", "0", "--embed-dim", "16", "--hidden-size", "32", "--batch-size", "32", "--threads", "1",
         "--json"], cwd=REPO, env=_env(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True)
    lines: list[dict] = []
    threading.Thread(target=lambda: [lines.append(json.loads(x)) for x in proc.stdout if x.strip()], daemon=True).start()
    deadline = time.monotonic() + 120
    while not any("epoch" in x for x in lines):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"no first epoch: {proc.returncode} {proc.stderr.read()}")
        time.sleep(0.1)
    return proc, lines


def _workers(launcher_pid: int) -> dict[int, int]:
    """{rank: pid} of the training processes under the launcher (from their environment)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            env = (entry / "environ").read_bytes().split(b"\0")
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        rank = [e for e in env if e.startswith(b"RANK=")]
        if ppid == launcher_pid and rank:
            found[int(rank[0][5:])] = int(entry.name)
    return found


def _db_ok(home: Path) -> None:
    con = sqlite3.connect(home / "runs.db")
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        con.close()


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="finds the worker processes through /proc")
def test_killing_one_process_ends_the_others(tmp_path, long_corpus):
    home = tmp_path / "home"
    proc, lines = _start(home, long_corpus)
    try:
        workers = _workers(proc.pid)
        assert sorted(workers) == [0, 1], workers
        os.kill(workers[1], signal.SIGKILL)
        t0 = time.monotonic()
        proc.wait(timeout=60)
        assert time.monotonic() - t0 < 60
        for pid in workers.values():  # nobody is left behind
            deadline = time.monotonic() + 10
            while Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text().split()[2]:
                assert time.monotonic() < deadline, f"process {pid} still alive"
                time.sleep(0.1)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode != 0
    err = proc.stderr.read()
    assert "Traceback" not in err, err
    runs = runs_json(home)  # the next start: the run is not left running
    assert len(runs) == 1 and runs[0]["status"] in ("failed", "interrupted"), runs
    assert runs[0]["epochs_done"] >= 1
    _db_ok(home)
    r = cli(home, "suggest", str(runs[0]["id"]), "wab ", "--json")  # the last best model is intact
    assert r.returncode == 0, r.stderr


def test_ctrl_c_cancels_every_process_and_keeps_the_model(tmp_path, long_corpus):
    home = tmp_path / "home"
    proc, lines = _start(home, long_corpus)
    try:
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C in a terminal reaches the whole process group
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    err = proc.stderr.read()
    assert proc.returncode == 130, err
    assert "Traceback" not in err, err
    runs = runs_json(home)
    assert len(runs) == 1 and runs[0]["status"] == "cancelled"
    assert runs[0]["model_path"] and Path(runs[0]["model_path"]).is_file()
    _db_ok(home)


def test_more_processes_than_segments_is_one_error_line(tmp_path):
    """Two processes on a text with one training sentence (one segment): refused by rank 0 in one line,
    exit 2, no run recorded."""
    home = tmp_path / "home"
    text = tmp_path / "two.txt"
    text.write_text("one two three four.\nfive six seven eight.\n")
    r = cli(home, "train", str(text), "--processes", "2", "--threads", "1", "--epochs", "1", timeout=180)
    err = assert_user_error(r, "2 processes is more than the 1 training segments")
    assert "Traceback" not in err
    assert runs_json(home) == []


def _running_two_process_run(home: Path) -> int:
    """A run row as rank 0 of a live 2-process job leaves it (owned by this test's process, which is alive)."""
    import storage

    home.mkdir(parents=True, exist_ok=True)
    _, db = storage.open_store(home)
    run_id = storage.create_run(db, name="two", config={"processes": 2}, corpus="t", corpus_sha256="0" * 64,
                                vocab_size=10, epochs_planned=5, processes=2)
    db.close()
    return run_id


def test_a_run_in_several_processes_without_a_checkpoint_is_refused_with_the_reason(tmp_path):
    """Runs in several processes pause and resume (tests/cli/test_cli_distributed_resume.py); one that died
    before its first checkpoint cannot, and says so (a new run from its best model is offered)."""
    import storage

    home = tmp_path / "home"
    run_id = _running_two_process_run(home)
    _, db = storage.open_store(home)
    db.execute("UPDATE runs SET status = ?, pid = NULL WHERE id = ?", ["interrupted", run_id])  # as if it died
    db.close()
    r = cli(home, "runs", "resume", str(run_id))
    assert_user_error(r, f"run {run_id} cannot be resumed: its checkpoint")
    assert "is missing" in r.stderr
    assert [x["id"] for x in runs_json(home)] == [run_id]
