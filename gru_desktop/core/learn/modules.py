"""Where Learn builds real modules: on the CPU when they are small, on PyTorch's "meta" device (shapes and
numel() without memory) when the user's sizes are too big to build for real. The meta device's first use
imports PyTorch's reference kernels (seconds), so it is only used when it must be."""
from __future__ import annotations

import torch

CPU_LIMIT = 4_000_000  # elements: a weight or activation bigger than this is built on the meta device


def device_for(V: int, E: int, H: int, layers: int = 1, B: int = 1, L: int = 1) -> torch.device:
    biggest = max(V * E, V * max(H, E), B * L * max(E, H), 3 * H * (E + H) * layers)
    return torch.device("cpu") if biggest <= CPU_LIMIT else torch.device("meta")
