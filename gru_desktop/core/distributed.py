"""Several training processes (design §12): PyTorch's own torch.distributed, started by torchrun.

A `Group` is this process's place in a training job and the few collectives the training loop needs.
One process is `LOCAL` (no collectives, nothing changes). Under torchrun, `join()` reads torchrun's
environment (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR/PORT), opens the process group (gloo on the
CPU, nccl on CUDA, one GPU per process) with a timeout, so a dead process cannot hang the others for
longer than that, and wraps the training step in DistributedDataParallel, which averages gradients.

Every process builds the same vocabulary, split and seeded schedule; each trains its own lanes of every
step (data.rank_lanes), so all take the same number of steps (DDP's all-reduce needs that) and together
they train exactly the batches one process would. Per step one small all-reduce sums the loss, hits and
tokens and carries the stop flags (Cancel from any process, the time limit from rank 0), so every process
stops at the same step.
"""
from __future__ import annotations

import os
from datetime import timedelta

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from .devices import resolve_device
from .errors import UserError

DEFAULT_TIMEOUT_S = 60.0  # a process that has died is noticed by the others within this


class Group:
    """One process alone: rank 0 of 1; every collective returns its input."""

    rank = 0
    world = 1
    local_rank = 0
    distributed = False

    @property
    def part(self) -> tuple[int, int] | None:
        """(rank, world) for data.batches, None for one process (the whole batch)."""
        return None

    def wrap(self, module: nn.Module, device: torch.device) -> nn.Module:
        return module

    def sum(self, values: list[float]) -> list[float]:
        """Element-wise sums over all processes (float64)."""
        return list(values)

    def same_everywhere(self, what: str, value: str) -> None:
        """UserError unless every process has the same `value` (e.g. the corpus sha256)."""

    def gather(self, value) -> list | None:
        """Every process's `value` (plain data and CPU tensors), by rank, on rank 0; None elsewhere."""
        return [value]

    def share(self, value):
        """Rank 0's `value` (plain data), in every process (what the others pass is ignored)."""
        return value

    def close(self) -> None:
        pass


LOCAL = Group()


class TorchGroup(Group):
    distributed = True

    def __init__(self, rank: int, world: int, local_rank: int, device: torch.device):
        self.rank, self.world, self.local_rank, self.device = rank, world, local_rank, device

    @property
    def part(self) -> tuple[int, int]:
        return (self.rank, self.world)

    def wrap(self, module: nn.Module, device: torch.device) -> nn.Module:
        ids = [device.index] if device.type == "cuda" else None
        # DDP broadcasts rank 0's weights at construction: with the same seed everywhere that is a no-op.
        return DistributedDataParallel(module, device_ids=ids)

    def sum(self, values: list[float]) -> list[float]:
        dev = self.device if self.device.type == "cuda" else torch.device("cpu")  # nccl reduces on the GPU
        t = torch.tensor(values, dtype=torch.float64, device=dev)
        torch.distributed.all_reduce(t, op=torch.distributed.ReduceOp.SUM)
        return t.tolist()

    def same_everywhere(self, what: str, value: str) -> None:
        seen: list = [None] * self.world
        torch.distributed.all_gather_object(seen, value)
        if len(set(seen)) > 1:
            raise UserError(f"the processes disagree about {what} ({', '.join(sorted(set(map(str, seen))))}): "
                            "every process must read the same files")

    def gather(self, value) -> list | None:
        out: list | None = [None] * self.world if self.rank == 0 else None
        torch.distributed.gather_object(value, out, dst=0)
        return out

    def share(self, value):
        box = [value if self.rank == 0 else None]
        torch.distributed.broadcast_object_list(box, src=0)
        return box[0]

    def close(self) -> None:
        if torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()


def join(device_name: str, timeout_s: float = DEFAULT_TIMEOUT_S) -> tuple[TorchGroup, torch.device]:
    """Join the process group torchrun set up; return it and this process's device.

    gloo on the CPU, nccl on CUDA (this process's GPU is cuda:LOCAL_RANK). MPS has no collective backend
    in PyTorch, so several processes on MPS are refused."""
    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = resolve_device(device_name, local_rank)
    if device.type == "mps":
        raise UserError("several processes cannot train on mps (PyTorch has no collective backend for it); "
                        "use --device cpu or one process")
    if device.type == "cuda":
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise UserError(f"process {local_rank} on this machine has no GPU of its own "
                            f"({torch.cuda.device_count()} present): start at most that many processes per machine")
        torch.cuda.set_device(device)
    backend = "nccl" if device.type == "cuda" else "gloo"
    torch.distributed.init_process_group(backend, rank=rank, world_size=world, timeout=timedelta(seconds=timeout_s))
    return TorchGroup(rank, world, local_rank, device), device


def threads_per_process(local_world: int) -> int:
    """Torch threads for each of `local_world` processes on this machine, so they do not oversubscribe the cores."""
    return max(1, (os.cpu_count() or 1) // max(local_world, 1))
