"""Export a trained model with `torch.export` as a `.pt2` file (PyTorch's format since TorchScript).

The file holds the one-step module of `step_module` (token id, state) → (next-word probabilities, new
state), with the vocabulary and the training config as extra files `vocab.json` and `config.json`:

    extra = {"vocab.json": "", "config.json": ""}
    step = torch.export.load(path, extra_files=extra).module()
    vocab = json.loads(extra["vocab.json"])
    state = torch.zeros(layers, 1, hidden)                # config["layers"], config["hidden_size"]
    for word_id in [2] + [vocab.index(w) for w in words]:  # <bos> first
        probs, state = step(torch.tensor([word_id]), state)

Before anything is written, the exported program is saved to memory, loaded back and run on real inputs
beside PyTorch (`check_parity`); a difference above 1e-4 refuses the export.
"""
from __future__ import annotations

import io
import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch

from .atomic import atomic_write
from .errors import ModelFileError
from .modelfile import LoadedModel
from .step_module import CONFIG_KEY, VOCAB_KEY, ExportError, Parity, check_parity, example_inputs, metadata, step_module


@dataclass(frozen=True)
class Pt2Export:
    path: Path
    parity: Parity
    bytes: int


def pt2_bytes(loaded: LoadedModel) -> bytes:
    """The `.pt2` file's content."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch.export's notes on its own internals are not the user's business
            program = torch.export.export(step_module(loaded), example_inputs(loaded))
            buf = io.BytesIO()
            torch.export.save(program, buf, extra_files=metadata(loaded))
    except Exception as exc:  # noqa: BLE001 - torch.export raises many kinds on what it cannot trace
        raise ExportError(f"torch.export could not export this model ({type(exc).__name__}: {str(exc)[:200]})") from None
    return buf.getvalue()


def export_pt2(loaded: LoadedModel, path: str | os.PathLike) -> Pt2Export:
    """Export, verify the file's own content against PyTorch, then write it atomically. ExportError if it
    does not match (nothing written); OSError (missing folder, no permission) is left to the caller."""
    data = pt2_bytes(loaded)
    step, _, _ = load_pt2(io.BytesIO(data))
    try:
        parity = check_parity(loaded, step, "torch.export program")
    except ExportError as exc:
        raise ExportError(f"refused, nothing was written: {exc}") from None
    with atomic_write(path, "wb") as fh:
        fh.write(data)
    return Pt2Export(Path(path), parity, len(data))


def load_pt2(source: str | os.PathLike | io.BytesIO):
    """(step module, vocabulary by id, config dict) from a `.pt2` export; ModelFileError if it is not one."""
    if not isinstance(source, io.BytesIO) and not Path(source).is_file():
        raise ModelFileError(f"{source}: file not found")
    extra = {VOCAB_KEY: "", CONFIG_KEY: ""}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            program = torch.export.load(source, extra_files=extra)
        vocab, config = json.loads(extra[VOCAB_KEY]), json.loads(extra[CONFIG_KEY])
    except Exception as exc:  # noqa: BLE001 - torch raises many kinds on junk; json raises on missing extras
        raise ModelFileError(f"{source}: not a GRU Desktop .pt2 export ({type(exc).__name__})") from None
    if not isinstance(vocab, list) or not isinstance(config, dict):
        raise ModelFileError(f"{source}: not a GRU Desktop .pt2 export (bad vocabulary or config)")
    return program.module(), vocab, config


__all__ = ["Pt2Export", "pt2_bytes", "export_pt2", "load_pt2"]
