"""Training in a child process, followed from the database (design §12): the GUI never hosts ranks itself.

`train_in_child` starts `python -m gru_desktop train … --run-token T` (with `--processes N` it runs torchrun)
and yields what the child records, as the events a run trained in this process yields — RunStarted, the
core's StepResults and EpochResults, RunFinished — so a consumer (the window's worker, the queue) cannot
tell the difference. Setting `stop` sends the child SIGINT (torchrun passes it on to every process; they stop
together and rank 0 marks the run cancelled, keeping the best model); `pause` asks for a pause through the
database (`runs pause`), which every process of the run agrees on.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import storage

from ..core.config import TrainConfig
from ..core.errors import UserError
from .run_events import RunFinished, RunStarted
from .run_follower import RunFollower, new_token, train_command

POLL_S = 0.25


def train_in_child(paths: list[str], config: TrainConfig, home=None, probes: list[str] | tuple[str, ...] = (),
                   stop: threading.Event | None = None, pause: threading.Event | None = None, *,
                   name: str | None = None, command: list[str] | None = None, run_id: int | None = None,
                   poll_s: float = POLL_S, on_start=None):
    """Yield RunStarted, StepResult…, EpochResult…, RunFinished of a run trained by a child process.

    `command`: another child command line (e.g. `runs resume RUN_ID`); then `run_id` names the run it
    trains, else the child's run is found by a fresh token. `on_start(process)`: called once it is running.
    UserError (the child's own `error:` line) when it ended before its run existed."""
    from .runs import open_store  # here: jobs.runs loads torch, which following a child needs not

    home, db = open_store(home)
    token = new_token()
    if command is None:
        command = train_command(paths, config, home, probes, token)
        if name:
            command.insert(command.index("train") + 1, f"--name={name}")
    follower = RunFollower(db, token, run_id=run_id)
    started = time.monotonic()
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as err:
        # stderr to a file, not a pipe: a child that warns a lot never blocks on a full pipe
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=err, start_new_session=True,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
        if on_start is not None:
            on_start(proc)
        interrupted = paused = False
        try:
            while True:
                if stop is not None and stop.is_set() and not interrupted:
                    proc.send_signal(signal.SIGINT)
                    interrupted = True
                ended = proc.poll() is not None
                had_run = follower.run is not None
                found = follower.find()  # follower.run once the child has claimed its run
                if found is not None and not had_run:
                    yield _started(found, home)
                if pause is not None and pause.is_set() and not paused and follower.run_id is not None:
                    paused = _request_pause(db, follower.run_id)
                steps, epochs = follower.poll(time.monotonic() - started)
                yield from steps
                yield from epochs
                if ended:
                    break
                time.sleep(poll_s)
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(60)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
        err.seek(0)
        text = err.read().strip()
    if follower.run is None:
        why = _last_error(text) or f"training did not start ({text[-300:]})"
        if run_id is not None:  # `runs resume` refused (nothing changed)
            from .run_events import ResumeError

            raise ResumeError(why, run_id)
        raise UserError(why)
    run = follower.finished()
    status = run["status"] if run["status"] not in ("running", "interrupted") else "failed"
    message = run.get("stop_reason") or run.get("error") or _last_error(text) or status
    yield RunFinished(run["id"], status, message, run.get("best_epoch") or 0, run.get("model_path") or None,
                      run.get("blend_lambda"))


def trains_in_processes(home, run_id: int) -> bool:
    """Whether resuming run `run_id` needs several processes (it trained in several and has a checkpoint)."""
    from .runs import open_store  # here: jobs.runs loads torch, which following a child needs not

    home, db = open_store(home)
    run = storage.get_run(db, run_id)
    if run is None:
        raise storage.RunNotFound(run_id)
    ckpt = Path(run.get("checkpoint_path") or storage.checkpoint_path(home, run_id))
    return (run.get("processes") or 1) > 1 and ckpt.is_file()


def resume_in_child(run_id: int, home=None, stop: threading.Event | None = None,
                    pause: threading.Event | None = None, on_start=None):
    """`runs resume RUN_ID` in a child process (torchrun again, with the run's number of processes),
    followed as `train_in_child` follows a new run; ResumeError (the child's reason) when it refused."""
    from .runs import open_store  # here: jobs.runs loads torch, which following a child needs not

    home, _ = open_store(home)
    command = [sys.executable, "-m", "gru_desktop", f"--home={home}", "runs", "resume", str(run_id)]
    return train_in_child([], TrainConfig(), home, stop=stop, pause=pause, command=command, run_id=run_id,
                          on_start=on_start)


def _started(run: dict, home) -> RunStarted:
    config = TrainConfig.from_dict(run["config"])  # as the run resolved it (dropout and learning rate auto)
    return RunStarted(run["id"], run["name"], str(storage.model_path(home, run["id"])), None, config,  # type: ignore[arg-type]
                      device=run.get("device") or "cpu", train_tokens=run.get("train_tokens") or 0)


def _request_pause(db, run_id: int) -> bool:
    try:
        storage.request_pause(db, run_id)
    except storage.RunNotRunning:
        return False
    return True


def _last_error(text: str) -> str:
    lines = [ln for ln in text.splitlines() if ln.startswith("error:")]
    return lines[-1][len("error:"):].strip() if lines else ""
