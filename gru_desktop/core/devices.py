"""Where training runs (design §12): the `device` setting, what is present, and what each device does well.

`auto` picks CUDA if present, else Apple's MPS, else the CPU. A device that is asked for but absent is a
ConfigError naming the devices that are present. Model files are always written from CPU tensors and
typing suggestions always run on the CPU (one GRU step is faster there than a GPU kernel launch), so
only training (and its validation) ever uses another device.
"""
from __future__ import annotations

import torch

from .config import check_device_name
from .errors import ConfigError


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def present_devices() -> list[str]:
    """The devices this machine has, as device settings: 'cpu', then 'cuda:0'…, then 'mps'."""
    found = ["cpu"]
    if torch.cuda.is_available():
        found += [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if _mps_available():
        found.append("mps")
    return found


def resolve_device(name: str, local_rank: int | None = None) -> torch.device:
    """The torch.device for a device setting on this machine; ConfigError if it is absent.

    `local_rank`: under torchrun with CUDA, each process takes its own GPU (`cuda` → `cuda:LOCAL_RANK`).
    """
    check_device_name(name)
    present = present_devices()
    if name == "auto":
        if torch.cuda.is_available():
            name = "cuda"
        elif _mps_available():
            name = "mps"
        else:
            name = "cpu"
    if name == "cuda" and torch.cuda.is_available():
        name = f"cuda:{local_rank or 0}"
    if name == "cuda" or (name not in present):
        raise ConfigError("device", f"device {name} is not available on this machine; present: {', '.join(present)}")
    return torch.device(name)


def native_bf16() -> bool:
    """Whether this CPU multiplies bfloat16 matrices in hardware (AVX512-BF16 or AMX), where the dense
    layer's products run ~2.5× faster than float32. Elsewhere bfloat16 is emulated and no faster."""
    cpu = getattr(torch, "cpu", None)
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(bool(getattr(cpu, name, lambda: False)()) for name in checks)


def bf16_is_fast(device: torch.device) -> bool:
    """Whether bfloat16 matrix products pay off on `device` (precision `auto`)."""
    if device.type == "cuda":
        return bool(torch.cuda.is_bf16_supported())
    if device.type == "mps":
        return False  # MPS autocast to bf16 is partial and not faster for this model
    return native_bf16()
