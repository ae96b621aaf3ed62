"""Where Learn runs real modules: on the CPU when they are small and quick, on PyTorch's "meta" device (shapes
and numel() without memory or arithmetic) when the user's sizes are too big to run for real. The meta
device's first use imports PyTorch's reference kernels (seconds), and its GRU steps through the sequence in
Python (~10 ms a step and layer), so it is used only when it must be, and not at all for very long sequences."""
from __future__ import annotations

import torch

from .question import Skip

CPU_LIMIT = 4_000_000  # elements: a weight or activation bigger than this is built on the meta device
CPU_FLOPS = 500_000_000  # a GRU forward costing more than this (~0.1 s here) runs on the meta device
META_STEPS = 120  # sequence length × layers the meta device may step through (a few seconds at most)


def device_for(V: int, E: int, H: int, layers: int = 1, B: int = 1, L: int = 1) -> torch.device:
    biggest = max(V * E, V * max(H, E), B * L * max(E, H), 3 * H * (E + H) * layers)
    flops = 6 * B * L * layers * H * (E + H)
    if biggest <= CPU_LIMIT and flops <= CPU_FLOPS:
        return torch.device("cpu")
    return torch.device("meta")


def device_to_run(V: int, E: int, H: int, layers: int, B: int, L: int) -> torch.device:
    """The device to run a forward pass on; Skip when even the meta device would take too long."""
    device = device_for(V, E, H, layers, B, L)
    if device.type == "meta" and L * layers > META_STEPS:
        raise Skip(f"these sizes are too big to run here (L × layers = {L * layers} steps on the meta device)")
    return device
