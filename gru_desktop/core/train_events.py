"""The events `core/train.py` yields and the results it returns: plain data without torch, so the parts that
only follow a run (the CLI's queue and runs commands, the window's follower of a run in other processes)
read them without paying for torch's import (~1 s)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .checkpoint import TrainState


@dataclass
class StepResult:
    step: int  # global batch number, from 1
    epoch: int
    batch: int  # within the epoch, from 1
    batches: int  # in this epoch
    loss: float
    tokens: int  # tokens trained on so far, all epochs
    elapsed: float  # seconds since training started


@dataclass
class EpochResult:
    epoch: int
    train_loss: float
    train_accuracy: float
    val_loss: float
    val_accuracy: float
    val_top3: float
    val_perplexity: float
    seconds: float
    tokens_per_s: float
    lr: float
    observation: str
    is_best: bool
    best_epoch: int
    partial: bool = False  # ended early by the time limit
    system: dict = field(default_factory=dict)  # the system monitor's sample, filled in by the runs job
    # [{"prefix": ..., "suggestions": [...]}]: the GRU's guesses for a few prefixes after this epoch, filled
    # in by the runs job (design §11), which knows the vocabulary and the user's probes
    samples: list = field(default_factory=list)
    canaries: dict = field(default_factory=dict)  # train --canaries: {"by_repeats", "canaries"}, by the runs job

    def metrics(self) -> dict:
        return {k: getattr(self, k) for k in (
            "epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "val_top3",
            "val_perplexity", "seconds", "tokens_per_s", "observation", "lr", "samples")}


@dataclass
class Snapshot:
    """The loop's state between two batches, to be written as a checkpoint (core/checkpoint.py) before the
    caller asks for the next event. Yielded every `config.checkpoint_minutes`, at each epoch's start after the
    first (`config.checkpoint_epochs`) and at a pause."""

    state: TrainState = field(repr=False)
    reason: str  # periodic | epoch | pause
    # Set by the caller that writes it (rank 0) once it is on disk; with several processes train() then
    # tells every process whether it was (one all-reduce), so none goes on believing in a checkpoint that
    # a full disk refused.
    saved: bool = False

    @property
    def where(self) -> str:
        return f"epoch {self.state.loop.epoch}, batch {self.state.loop.batches_done}"


@dataclass
class TrainingDone:
    reason: str  # completed | early_stop | time_limit | cancelled | diverged | paused
    message: str
    best_epoch: int  # 0 when no epoch finished
    best_state: dict | None = field(default=None, repr=False)


@dataclass
class EvalResult:
    loss: float
    accuracy: float
    top3: float
    tokens: int

    @property
    def perplexity(self) -> float:
        return math.exp(min(self.loss, 700.0))
