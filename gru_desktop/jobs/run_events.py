"""What a training job yields besides the core's training events (`jobs/runs.py`, `jobs/run_driver.py`), and
the error of a run that cannot be resumed. Plain data: the CLI prints them, the GUI's workers pass them on.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..core.config import TrainConfig
from ..core.errors import UserError

if TYPE_CHECKING:
    from ..core.data import Dataset


@dataclass
class RunStarted:
    run_id: int
    name: str
    model_path: str
    dataset: Dataset
    config: TrainConfig
    resumed: str = ""  # "epoch 3, batch 12" when this continues a paused or interrupted run
    history: dict | None = field(default=None, repr=False)  # a resumed run's recorded {"epochs", "steps"}
    device: str = "cpu"  # where it trains: 'cpu', 'cuda:0', 'mps'
    train_tokens: int = 0
    probes: list[str] = field(default_factory=list)  # the user's sample prefixes (a resumed run's from its checkpoint)


@dataclass
class RunFinished:
    run_id: int
    status: str  # completed | cancelled | failed | paused
    message: str
    best_epoch: int
    model_path: str | None  # None when no epoch finished
    blend_lambda: float | None = None  # the fitted blend's λ, None when the GRU alone suggests


@dataclass
class RunStage:
    """What a run is doing after its last epoch, before RunFinished (it can take minutes on a big corpus)."""

    run_id: int
    text: str  # "Fitting the blend of GRU and counts…"


@dataclass
class CheckpointSaved:
    run_id: int
    path: str | None  # None when writing it failed (the previous checkpoint, if any, is still there)
    where: str  # "epoch 3, batch 12"
    reason: str  # periodic | epoch | pause
    error: str = ""


class ResumeError(UserError):
    """A run that cannot be resumed as itself; `as_new_run` says whether continuing it as a new run can work."""

    def __init__(self, message: str, run_id: int, as_new_run: bool = False):
        super().__init__(message)
        self.run_id, self.as_new_run = run_id, as_new_run
