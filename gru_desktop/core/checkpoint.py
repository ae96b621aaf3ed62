"""Checkpoints (design §14): everything needed to continue a run bit-exactly, as plain data.

A checkpoint file is `torch.save` of a dict of tensors and plain values only, written to a temporary file
and renamed over the old one (a crash or a full disk never leaves a half-written checkpoint, and the
previous one stays usable), and loaded only with `torch.load(weights_only=True)`, as model files are:

    {"format": "gru-desktop-checkpoint", "version": 1, "run_id": int, "config": {...},
     "vocab": [words by id], "corpus_sha256": str, "saved_at": float,
     "train": {                       # the training loop's state between two batches (see LoopState)
        "model": state_dict, "optimizer": Adam's state_dict, "lanes": (layers, B, H) carried GRU state,
        "best_state": state_dict | None, "rng": {"torch": uint8 tensor, "numpy": {...}, "python": [...]},
        "loop": {"epoch", "batches_done", "step", "tokens_total", "elapsed", "epoch_seconds", "planned_steps",
                 "lr", "loss_sum", "correct", "n_tok", "best_loss", "best_epoch", "since_best", "prev"},
        "ranks": [{"lanes", "rng_torch", "rng_python"} per process]}}   # only for a run in several processes

The batch order of an epoch is not stored: the numpy generator's state from *before* the epoch's
shuffle is, and resuming shuffles again from it, so the same order comes out.
"""
from __future__ import annotations

import math
import os
import pickle
import random
import time
import warnings
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from .atomic import atomic_write
from .errors import UserError

FORMAT = "gru-desktop-checkpoint"
VERSION = 1
LOOP_KEYS = ("epoch", "batches_done", "step", "tokens_total", "elapsed", "epoch_seconds", "planned_steps", "lr",
             "loss_sum", "correct", "n_tok", "best_loss", "best_epoch", "since_best", "prev")


class CheckpointError(UserError):
    """A checkpoint that is missing, damaged or not ours: the run cannot be resumed from it."""


@dataclass
class LoopState:
    """The training loop between two batches: where it is and what it has summed so far."""

    epoch: int  # the epoch in progress, from 1
    batches_done: int  # batches of that epoch already trained
    step: int  # batches trained in all epochs
    tokens_total: int
    elapsed: float  # seconds of training so far (time between pause and resume does not count)
    epoch_seconds: float  # seconds spent in the epoch in progress
    planned_steps: int
    lr: float
    loss_sum: float  # of the epoch in progress: Σ loss × tokens, hits and tokens
    correct: int
    n_tok: int
    best_loss: float
    best_epoch: int
    since_best: int
    prev: dict | None = None  # the previous epoch's metrics, for the observation line
    epoch_rng: dict = field(default_factory=dict)  # numpy generator state before this epoch's shuffle


@dataclass
class TrainState:
    """A resumable training state: the loop's counters plus its tensors and random generators."""

    loop: LoopState
    model: dict  # state_dict
    optimizer: dict  # optimizer.state_dict()
    lanes: torch.Tensor  # (layers, B, H)
    best_state: dict | None
    rng_torch: torch.Tensor
    rng_python: list
    # A run in several processes: what differs between them, by rank — [{"lanes", "rng_torch", "rng_python"}]
    # (each trains its own lanes and draws its own dropout masks); the rest is the same in every process.
    # None for one process.
    ranks: list[dict] | None = None

    @property
    def world(self) -> int:
        """How many processes this state is for (1 when it is one process's)."""
        return len(self.ranks) if self.ranks else 1

    def rank_part(self) -> dict:
        return {"lanes": self.lanes.detach().cpu(), "rng_torch": self.rng_torch, "rng_python": self.rng_python}

    def for_rank(self, rank: int, world: int) -> "TrainState":
        """This process's view of a state of `world` processes (its lanes and generators); ValueError when
        the state was taken with another number of processes."""
        if self.world != world:
            raise ValueError(f"the checkpoint holds {self.world} process(es)' state; this is {world}")
        if self.ranks is None:
            return self
        mine = self.ranks[rank]
        return TrainState(self.loop, self.model, self.optimizer, mine["lanes"], self.best_state, mine["rng_torch"],
                          list(mine["rng_python"]), None)

    def to_payload(self) -> dict:
        loop = asdict(self.loop)
        epoch_rng = loop.pop("epoch_rng")
        out = {"model": self.model, "optimizer": self.optimizer, "lanes": self.lanes, "best_state": self.best_state,
               "rng": {"torch": self.rng_torch, "numpy": _numpy_state_out(epoch_rng), "python": self.rng_python},
               "loop": loop}
        if self.ranks is not None:
            out["ranks"] = [{"lanes": r["lanes"], "rng_torch": r["rng_torch"], "rng_python": r["rng_python"]}
                            for r in self.ranks]
        return out

    @classmethod
    def from_payload(cls, data: dict) -> "TrainState":
        loop = data["loop"]
        if not isinstance(loop, dict) or set(LOOP_KEYS) - set(loop):
            raise ValueError("loop state incomplete")
        rng = data["rng"]
        state = cls(
            loop=LoopState(**{k: loop[k] for k in LOOP_KEYS}, epoch_rng=_numpy_state_in(rng["numpy"])),
            model=data["model"], optimizer=data["optimizer"], lanes=data["lanes"], best_state=data["best_state"],
            rng_torch=rng["torch"], rng_python=list(rng["python"]),
        )
        if not isinstance(state.lanes, torch.Tensor) or not isinstance(state.rng_torch, torch.Tensor):
            raise ValueError("tensors missing")
        if not isinstance(state.model, dict) or not isinstance(state.optimizer, dict):
            raise ValueError("model or optimizer state missing")
        ranks = data.get("ranks")
        if ranks is not None:
            if not isinstance(ranks, list) or not ranks or not all(
                    isinstance(r, dict) and isinstance(r.get("lanes"), torch.Tensor)
                    and isinstance(r.get("rng_torch"), torch.Tensor) and isinstance(r.get("rng_python"), list)
                    for r in ranks):
                raise ValueError("the processes' states are incomplete")
            state.ranks = ranks
        return state


def capture(loop: LoopState, model: torch.nn.Module, optimizer: torch.optim.Optimizer, lanes: torch.Tensor,
            best_state: dict | None) -> TrainState:
    """A copy of the loop's state now (tensors cloned, so training may go on while it is written)."""
    return TrainState(
        loop=LoopState(**{**asdict(loop), "prev": dict(loop.prev) if loop.prev else None}),
        model=_clone(model.state_dict()),
        optimizer=_clone(optimizer.state_dict()),
        lanes=lanes.detach().clone(),
        best_state=_clone(best_state) if best_state is not None else None,
        rng_torch=torch.get_rng_state(),
        rng_python=_python_state_out(random.getstate()),
    )


def restore_rngs(state: TrainState) -> np.random.Generator:
    """Set torch's and Python's generators as they were; return numpy's as it was before the epoch's shuffle."""
    torch.set_rng_state(state.rng_torch)
    random.setstate(_python_state_in(state.rng_python))
    rng = np.random.default_rng()
    rng.bit_generator.state = state.loop.epoch_rng
    return rng


def _clone(obj):
    if isinstance(obj, torch.Tensor):
        return obj.detach().clone()
    if isinstance(obj, dict):
        return {k: _clone(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_clone(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_clone(v) for v in obj)
    return obj


# numpy's PCG64 state holds 128-bit integers; they travel as decimal strings so the payload stays plain.
def _numpy_state_out(state: dict) -> dict:
    inner = state["state"]
    return {"bit_generator": state["bit_generator"], "state": {k: str(v) for k, v in inner.items()},
            "has_uint32": int(state["has_uint32"]), "uinteger": int(state["uinteger"])}


def _numpy_state_in(data: dict) -> dict:
    if data.get("bit_generator") != "PCG64":
        raise ValueError("unknown random generator")
    return {"bit_generator": "PCG64", "state": {k: int(v) for k, v in data["state"].items()},
            "has_uint32": int(data["has_uint32"]), "uinteger": int(data["uinteger"])}


def _python_state_out(state: tuple) -> list:
    version, internal, gauss = state
    return [version, list(internal), gauss]


def _python_state_in(data: list) -> tuple:
    version, internal, gauss = data
    return (int(version), tuple(int(x) for x in internal), gauss)


def numpy_state(rng: np.random.Generator) -> dict:
    return dict(rng.bit_generator.state)


# --- files ---------------------------------------------------------------------------------------------------
def save_checkpoint(path: str | os.PathLike, state: TrainState, *, run_id: int, config: dict, vocab: list[str],
                    corpus_sha256: str, probes: list[str] | tuple[str, ...] = ()) -> None:
    """Write atomically: a temporary file beside `path`, flushed to disk, then renamed over it. When the
    write fails (disk full), the temporary file is removed and the previous checkpoint is untouched.
    `probes`: the user's own prefixes for the per-epoch samples, so a resumed run goes on showing them."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"format": FORMAT, "version": VERSION, "run_id": int(run_id), "config": dict(config),
               "vocab": list(vocab), "corpus_sha256": corpus_sha256, "saved_at": time.time(),
               "probes": [str(p) for p in probes], "train": state.to_payload()}
    with atomic_write(path, "wb") as fh:
        torch.save(payload, fh)


@dataclass
class Checkpoint:
    run_id: int
    config: dict
    vocab: list[str]
    corpus_sha256: str
    saved_at: float
    state: TrainState
    probes: list[str] = field(default_factory=list)  # the user's sample prefixes (none in older checkpoints)


def load_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """Read a checkpoint with `weights_only=True` (nothing in the file is executed); CheckpointError
    naming what is wrong when it is missing, damaged or of another format."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"its checkpoint {path} is missing")
    if not zipfile.is_zipfile(path):  # torch.save writes a zip archive; anything else is cut short or junk
        raise CheckpointError(f"its checkpoint {path} is damaged (not a complete checkpoint file)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise CheckpointError(f"its checkpoint {path} was refused: it holds more than plain data and tensors "
                              f"({type(exc).__name__}); nothing in it was run") from None
    except Exception as exc:  # noqa: BLE001 - torch's unpickler raises many kinds on junk or a truncated file
        raise CheckpointError(f"its checkpoint {path} is damaged ({type(exc).__name__})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a GRU Desktop checkpoint")
    if payload.get("version") != VERSION:
        raise CheckpointError(f"its checkpoint {path} has format version {payload.get('version')!r}; "
                              f"this version of GRU Desktop reads version {VERSION}")
    try:
        vocab = payload["vocab"]
        if not isinstance(vocab, list) or not all(isinstance(w, str) for w in vocab):
            raise ValueError("bad vocabulary")
        state = TrainState.from_payload(payload["train"])
        if not math.isfinite(float(state.loop.elapsed)):
            raise ValueError("bad elapsed time")
        probes = payload.get("probes") or []
        if not isinstance(probes, list) or not all(isinstance(p, str) for p in probes):
            raise ValueError("bad probes")
        return Checkpoint(int(payload["run_id"]), dict(payload["config"]), vocab, str(payload["corpus_sha256"]),
                          float(payload.get("saved_at") or 0.0), state, probes)
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"its checkpoint {path} is incomplete ({exc})") from None
