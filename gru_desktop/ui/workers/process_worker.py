"""Training in several processes from the window (design §12): the GUI never hosts ranks itself.

`ProcessTrainWorker` starts `python -m gru_desktop train … --processes N` (which runs torchrun) as a child
process and follows the run it records in the database, as the Runs page follows any CLI run: the new
run's steps and epochs are read every quarter second and emitted as the same signals as `TrainWorker`'s,
so the Training page cannot tell the difference. Cancel sends the child SIGINT (torchrun passes it on to
every process, they stop together and rank 0 marks the run cancelled, keeping the best model).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from ...core.config import TrainConfig
from ...core.errors import UserError
from .train_worker import TrainWorker

POLL_S = 0.25
_FLAGS = {  # TrainConfig field → the CLI's flag (booleans are handled below)
    "seq_len": "--seq-len", "embed_dim": "--embed-dim", "hidden_size": "--hidden-size", "layers": "--layers",
    "vocab_size": "--vocab-size", "min_count": "--min-count", "dropout": "--dropout", "epochs": "--epochs",
    "batch_size": "--batch-size", "lr": "--lr", "clip": "--clip", "schedule": "--schedule",
    "val_fraction": "--val-fraction", "seed": "--seed", "patience": "--patience", "time_limit": "--time-limit",
    "threads": "--threads", "precision": "--precision", "device": "--device", "tokenizer": "--tokenizer",
    "processes": "--processes", "budget": "--budget",
}


def train_command(paths: list[str], config: TrainConfig, home, probes: list[str] = ()) -> list[str]:
    """The command line that trains `config` on `paths` (every setting spelled out)."""
    cmd = [sys.executable, "-m", "gru_desktop"]
    if home:
        cmd += ["--home", str(home)]
    cmd += ["train", *map(str, paths)]
    for field, flag in _FLAGS.items():
        value = getattr(config, field)
        if value is None or (field, value) == ("epochs", 0):  # dropout, learning rate: None is "auto"
            value = "auto"
        cmd += [flag, repr(value) if isinstance(value, float) else str(value)]
    for probe in probes:
        cmd += ["--probe", probe]
    if not config.tie_weights:
        cmd.append("--untied")
    if not config.lowercase:
        cmd.append("--keep-case")
    return cmd


class ProcessTrainWorker(TrainWorker):
    pausable = False  # several processes write no checkpoints (the window disables Pause for this worker)

    def work(self):
        import storage

        from ...core.train import StepResult
        from ...jobs import runs

        self.config.validate()
        paths = [f.path for f in self.corpus.files]
        home, db = runs.open_store(self.home)
        last_id = db.execute("SELECT COALESCE(MAX(id), 0) FROM runs").fetchone()[0]
        started = time.monotonic()
        proc = subprocess.Popen(train_command(paths, self.config, home, self.probes), stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True, start_new_session=True,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.process = proc
        run_id, run, sent_steps, sent_epochs, best, best_epoch = None, None, 0, 0, float("inf"), 0
        batches = 0
        interrupted = False
        try:
            while True:
                if self.stop_event.is_set() and not interrupted:
                    proc.send_signal(signal.SIGINT)
                    interrupted = True
                ended = proc.poll() is not None
                if run_id is None:
                    row = db.execute("SELECT id FROM runs WHERE id > ? ORDER BY id LIMIT 1", [last_id]).fetchone()
                    if row:
                        run_id = row[0]
                        run = storage.get_run(db, run_id)
                        batches = _batches_estimate(run, self.config)
                        config = TrainConfig.from_dict(run["config"])  # as resolved by the run (dropout auto)
                        self.run_started.emit(runs.RunStarted(run_id, run["name"], str(storage.model_path(home, run_id)),
                                                              None, config, run.get("device") or "cpu",
                                                              run.get("train_tokens") or 0))
                if run_id is not None:
                    steps = storage.get_steps(db, run_id)[sent_steps:]
                    epochs = storage.get_epochs(db, run_id)[sent_epochs:]
                    if steps:
                        now = time.monotonic() - started
                        out = []
                        for s in steps:
                            e, n = s["epoch"], s["step"]
                            within = n - (e - 1) * batches
                            out.append(StepResult(n, e, max(1, min(within, batches or within)), batches or within,
                                                  s["loss"], int(n * (run.get("train_tokens") or 0) / max(batches, 1)),
                                                  now))
                        self.steps.emit(out)
                        sent_steps += len(steps)
                    for ep in epochs:
                        improved = ep["val_loss"] is not None and ep["val_loss"] < best
                        if improved:
                            best, best_epoch = ep["val_loss"], ep["epoch"]
                        if ep["epoch"] == 1:
                            batches = sent_steps or batches  # the real number of steps of an epoch
                        self.epoch.emit(_epoch_result(ep, improved, best_epoch))
                        sent_epochs += 1
                if ended:
                    break
                time.sleep(POLL_S)
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(60)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
        err = (proc.stderr.read() or "").strip()
        if run_id is None:
            lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
            raise UserError(lines[-1][len("error:"):].strip() if lines else f"training did not start ({err[-300:]})")
        storage.mark_interrupted(db)
        run = storage.get_run(db, run_id)
        status = run["status"] if run["status"] != "running" else "failed"
        message = run.get("stop_reason") or run.get("error") or status
        self.run_finished.emit(runs.RunFinished(run_id, status, message, run.get("best_epoch") or 0,
                                                run.get("model_path") if run.get("model_path") else None,
                                                run.get("blend_lambda")))


def _batches_estimate(run: dict, config: TrainConfig) -> int:
    """Steps of an epoch before the first one ends: the training words over a batch's worth of windows."""
    tokens = run.get("train_tokens") or 0
    return max(1, round(tokens / max(config.batch_size * config.seq_len * 0.8, 1)))


def _epoch_result(row: dict, improved: bool, best_epoch: int):
    import math

    from ...core.train import EpochResult

    val = row["val_loss"]
    return EpochResult(
        epoch=row["epoch"], train_loss=row["train_loss"], train_accuracy=row["train_accuracy"], val_loss=val,
        val_accuracy=row["val_accuracy"], val_top3=row["val_top3"],
        val_perplexity=row.get("val_perplexity") or (math.exp(min(val, 700)) if val is not None else math.nan),
        seconds=row["seconds"], tokens_per_s=row["tokens_per_s"], lr=row.get("lr") or 0.0,
        observation=row.get("observation") or "", is_best=improved, best_epoch=best_epoch,
        samples=list(row.get("samples") or []))

