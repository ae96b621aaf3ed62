"""Deprecated (`runs export --torchscript`, one more release): a trained model as TorchScript.

The file holds a scripted module whose `forward(ids)` takes the word ids of the sentence so far, with
`<bos>` (id 2) first, shape (1, n) int64, and returns the next-word probabilities (V,), computed as the
Predictor does: embedding → GRU → dense layer → softmax. The vocabulary (words by id) and the training
config travel in the same file as `vocab.json` and `config.json` (TorchScript's extra files), so a
consumer can encode text and decode ids:

    extra = {"vocab.json": "", "config.json": ""}
    module = torch.jit.load(path, _extra_files=extra)
    vocab = json.loads(extra["vocab.json"])
    probs = module(torch.tensor([[2] + [vocab.index(w) for w in words]]))

TorchScript is deprecated in recent torch releases (it warns), but it is still the one format that loads
with a plain `torch.jit.load` in Python and with libtorch in C++, which is what an export is for.
"""
from __future__ import annotations

import copy
import json
import os
import warnings
from pathlib import Path

import torch
from torch import nn

from .atomic import atomic_write
from .errors import ModelFileError
from .modelfile import LoadedModel
from .step_module import CONFIG_KEY, VOCAB_KEY, metadata

VOCAB_FILE, CONFIG_FILE = VOCAB_KEY, CONFIG_KEY  # "vocab.json", "config.json"


class NextWordModule(nn.Module):
    """Stages 4–6 for one sentence: ids (1, n) → next-word probabilities (V,)."""

    def __init__(self, embedding: nn.Embedding, gru: nn.GRU, proj: nn.Module, fc: nn.Linear):
        super().__init__()
        self.embedding, self.gru, self.proj, self.fc = embedding, gru, proj, fc

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        emb = self.embedding(ids)  # (1, n, E)
        out, _ = self.gru(emb)  # (1, n, H), from a zero state like a new sentence
        return torch.softmax(self.fc(self.proj(out[0, -1])), 0)  # (V,)


def script_module(loaded: LoadedModel) -> torch.jit.ScriptModule:
    """The scripted wrapper, on copies of the layers so the loaded model is left as it was."""
    m = loaded.model
    # One deepcopy of the model keeps a tied output layer tied to the copied embedding.
    c = copy.deepcopy(m)
    wrapper = NextWordModule(c.embedding, c.gru, c.proj if c.proj is not None else nn.Identity(), c.fc).eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return torch.jit.script(wrapper)


def export_torchscript(loaded: LoadedModel, path: str | os.PathLike) -> Path:
    """Write the TorchScript file to a temporary file beside `path`, then rename it over. Returns the path.

    OSError (missing folder, no permission) is left to the caller, who knows how to word it."""
    path = Path(path)
    scripted = script_module(loaded)
    with atomic_write(path, "wb") as fh, warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.save(scripted, fh, _extra_files=metadata(loaded))
    return path


def load_torchscript(path: str | os.PathLike) -> tuple[torch.jit.ScriptModule, list[str], dict]:
    """(module, vocabulary by id, config dict) from an exported file; ModelFileError if it is not one."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: TorchScript file not found")
    extra = {VOCAB_FILE: "", CONFIG_FILE: ""}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            module = torch.jit.load(str(path), map_location="cpu", _extra_files=extra)
        vocab = json.loads(extra[VOCAB_FILE])
        config = json.loads(extra[CONFIG_FILE])
    except Exception as exc:  # noqa: BLE001 - torch raises RuntimeError/ValueError on junk; json raises on empty extras
        raise ModelFileError(f"{path}: not a GRU Desktop TorchScript export ({type(exc).__name__})") from None
    if not isinstance(vocab, list) or not isinstance(config, dict):
        raise ModelFileError(f"{path}: not a GRU Desktop TorchScript export (bad vocabulary or config)")
    return module.eval(), vocab, config


__all__ = ["NextWordModule", "script_module", "export_torchscript", "load_torchscript"]
