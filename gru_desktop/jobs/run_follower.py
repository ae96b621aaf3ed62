"""Following a run that another process trains, from the database (design §12), without Qt.

Three things the window needs when it trains in a child process (`train --processes N` under torchrun):
- `train_command`: the child's command line, generated from the settings' single source
  (core.config.SETTINGS), so every setting is spelled out, a new one included, with nothing to keep in step;
- `RunFollower`: finds the child's run by the token it was given (`train --run-token T`, stored on the run
  row, migration m013), never by id order, and turns the rows recorded since the last look (`WHERE step > ?`,
  `WHERE epoch > ?`) into the core's StepResults and EpochResults;
- `RowEvents`: that turning of rows into events, shared with a resumed run's recorded history
  (`history_events`), so both paths show a run the same way.
"""
from __future__ import annotations

import math
import secrets
import sys
from dataclasses import dataclass, field
from typing import Any

import storage

from ..core.config import SETTINGS, TrainConfig
from ..core.train_events import EpochResult, StepResult

SYSTEM_KEYS = ("cpu_percent", "peak_rss_mb", "threads", "device")
EPOCH_KEYS = ("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "val_top3", "val_perplexity",
              "seconds", "tokens_per_s", "lr", "observation")


def new_token() -> str:
    return secrets.token_hex(16)


def setting_options(config: TrainConfig) -> list[str]:
    """Every setting of `config` as the `train` command's options, one per SETTINGS entry: `--name=value`
    ("auto" for a setting's auto value), a boolean as its switch when it differs from the default. The `=`
    form keeps a value that starts with '-' a value."""
    out = []
    for s in SETTINGS.values():
        value = getattr(config, s.name)
        if s.flag is not None:
            if value != s.default:
                out.append(f"--{s.flag[0]}")
            continue
        if s.has_auto and value == s.auto:
            text = "auto"
        elif s.kind is float:
            text = repr(float(value))  # the shortest text that reads back as the same float
        else:
            text = str(value)
        out.append(f"--{s.name.replace('_', '-')}={text}")
    return out


def train_command(paths: list[str], config: TrainConfig, home=None, probes: list[str] | tuple[str, ...] = (),
                  token: str | None = None) -> list[str]:
    """The command line that trains `config` on `paths` in a child process, its run tagged with `token`."""
    cmd = [sys.executable, "-m", "gru_desktop"]
    if home:
        cmd.append(f"--home={home}")
    cmd += ["train", *setting_options(config)]
    cmd += [f"--probe={p}" for p in probes]
    if token:
        cmd.append(f"--run-token={token}")
    return [*cmd, "--", *map(str, paths)]  # after `--`, a path is a path even when it starts with '-'


@dataclass
class RowEvents:
    """Turns a run's step and epoch rows, in order and possibly a few at a time, into the core's events.

    A step's place in its epoch is counted from the rows; the batches of an epoch are the most steps any
    finished epoch had, or `estimate` before the first one ends. The best epoch is tracked across calls."""

    estimate: int = 0  # batches per epoch before one has finished (0: count as they come)
    train_tokens: int = 0
    counts: dict[int, int] = field(default_factory=dict)  # epoch → steps seen
    best_loss: float = math.inf
    best_epoch: int = 0

    @property
    def batches(self) -> int:
        finished = [n for e, n in self.counts.items() if e < max(self.counts, default=0)]
        return max(finished, default=0) or self.estimate

    def steps(self, rows: list[dict], elapsed: float = 0.0) -> list[StepResult]:
        for r in rows:
            self.counts[r["epoch"]] = self.counts.get(r["epoch"], 0) + 1
        out, seen = [], dict(self.counts)
        for r in reversed(rows):  # the place of each row within its epoch, counting back from the last
            seen[r["epoch"]] -= 1
            within = seen[r["epoch"]] + 1
            full = max(self.batches, within)
            tokens = int(r["step"] * self.train_tokens / max(self.batches, 1)) if self.train_tokens else 0
            out.append(StepResult(r["step"], r["epoch"], within, full, r["loss"], tokens, elapsed))
        return out[::-1]

    def epochs(self, rows: list[dict]) -> list[EpochResult]:
        out = []
        for r in rows:
            val = r["val_loss"]
            improved = val is not None and val < self.best_loss
            if improved:
                self.best_loss, self.best_epoch = val, r["epoch"]
            values: dict[str, Any] = {k: r.get(k) for k in EPOCH_KEYS}
            if values["val_perplexity"] is None:
                values["val_perplexity"] = math.exp(min(val, 700)) if val is not None else math.nan
            values["lr"] = values["lr"] or 0.0
            values["observation"] = values["observation"] or ""
            system = {k: r.get(k) for k in SYSTEM_KEYS if r.get(k) is not None}
            out.append(EpochResult(**values, is_best=improved, best_epoch=self.best_epoch, system=system,
                                   samples=list(r.get("samples") or [])))
        return out


def history_events(history: dict) -> tuple[list[StepResult], list[EpochResult]]:
    """A resumed run's recorded steps and epochs (database rows, `{"steps", "epochs"}`) as events, so the
    chart and the epoch table continue where the run stopped."""
    maker = RowEvents()
    step_rows = history.get("steps") or []
    for r in step_rows:  # count first: every epoch's size is known before any place is given
        maker.counts[r["epoch"]] = maker.counts.get(r["epoch"], 0) + 1
    maker.estimate = max(maker.counts.values(), default=1)
    maker.counts = {}
    return maker.steps(step_rows), maker.epochs(history.get("epochs") or [])


class RunFollower:
    """The run a child process creates with `token`, followed through the database.

    `find()` → the run's row once it exists (None before); `poll(elapsed)` → (new StepResults, new
    EpochResults) recorded since the last poll, each read with one indexed query from where it stopped."""

    def __init__(self, db, token: str, batch_estimate=None, run_id: int | None = None):
        self.db, self.token = db, token
        self.run_id: int | None = run_id  # given when the child trains a known run (runs resume RUN_ID)
        # ... which is the child's once it has claimed it (its pid on the row; before, it is still the old one)
        self._old_pid = _run(db, run_id).get("pid") if run_id is not None else None
        self.run: dict | None = None
        self.last_step = 0
        self.last_epoch = 0
        self.events = RowEvents()
        self._estimate = batch_estimate  # (run row) -> batches per epoch before the first epoch ends

    def find(self) -> dict | None:
        if self.run is None:
            run_id = self.run_id if self.run_id is not None else storage.run_by_token(self.db, self.token)
            if run_id is not None and self.run_id is not None:
                row = _run(self.db, run_id)
                if row["status"] != "running" or row.get("pid") == self._old_pid:
                    return None  # not claimed by the child (yet)
            if run_id is not None:
                run = _run(self.db, run_id)
                self.run_id, self.run = run_id, run
                self.events.train_tokens = run.get("train_tokens") or 0
                self.events.estimate = (self._estimate or batches_estimate)(run)
        return self.run

    def poll(self, elapsed: float = 0.0) -> tuple[list[StepResult], list[EpochResult]]:
        if self.find() is None:
            return [], []
        assert self.run_id is not None
        step_rows = storage.steps_after(self.db, self.run_id, self.last_step)
        epoch_rows = storage.epochs_after(self.db, self.run_id, self.last_epoch)
        if step_rows:
            self.last_step = step_rows[-1]["step"]
        if epoch_rows:
            self.last_epoch = epoch_rows[-1]["epoch"]
        return self.events.steps(step_rows, elapsed), self.events.epochs(epoch_rows)

    def finished(self) -> dict:
        """The run's row once its process has ended; one left `running` (killed) is marked interrupted."""
        assert self.run_id is not None
        storage.mark_interrupted(self.db)
        return _run(self.db, self.run_id)


def _run(db, run_id: int) -> dict:
    run = storage.get_run(db, run_id)
    if run is None:
        raise storage.RunNotFound(run_id)
    return run


def batches_estimate(run: dict) -> int:
    """Steps of an epoch before the first one ends: the training words over a batch's worth of windows."""
    config = TrainConfig.from_dict(run.get("config") or {})
    tokens = run.get("train_tokens") or 0
    return max(1, round(tokens / max(config.batch_size * config.seq_len * 0.8, 1)))
