"""Model files (design §5): a dict of tensors and plain values, written atomically, loaded safely.

`{"format": 1, "config": {...}, "vocab": [words by id], "state_dict": {...}, "meta": {...}}`
Loading uses `torch.load(weights_only=True)`, which refuses anything but tensors and plain containers,
so a file crafted to run code when unpickled is rejected without running it.
"""
from __future__ import annotations

import os
import pickle
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch

from .config import TrainConfig
from .errors import ConfigError, ModelFileError
from .model import GRULanguageModel
from .vocab import RESERVED, Vocab

FORMAT = 1


@dataclass
class LoadedModel:
    model: GRULanguageModel
    config: TrainConfig
    vocab: Vocab
    meta: dict


def save_model(path: str | os.PathLike, model: GRULanguageModel, config: TrainConfig, vocab: Vocab, meta: dict | None = None) -> None:
    """Write to a temporary file beside `path` and rename it over, so a crash never leaves half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format": FORMAT,
        "config": config.to_dict(),
        "vocab": list(vocab.itos),
        # Always CPU tensors (design §12): a model trained on a GPU suggests on a machine without one.
        "state_dict": {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()},
        "meta": dict(meta or {}),
    }
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            torch.save(payload, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_model(path: str | os.PathLike) -> LoadedModel:
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: model file not found")
    try:
        with warnings.catch_warnings():  # torch warns about odd pickles; our refusal is the message
            warnings.simplefilter("ignore")
            payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "unsafe content"
        raise ModelFileError(f"{path}: refused: not a plain model file ({first[:160]})") from None
    except Exception as exc:  # torch's unpickler raises many kinds (IndexError, EOFError, RuntimeError…) on junk
        raise ModelFileError(f"{path}: corrupt or not a model file ({type(exc).__name__})") from None
    try:
        return _from_payload(payload)
    except (ConfigError, KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise ModelFileError(f"{path}: not a GRU Desktop model ({exc})") from None


def _from_payload(payload) -> LoadedModel:
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError(f"expected format {FORMAT}")
    config = TrainConfig.from_dict(payload["config"]).validate()
    itos = payload["vocab"]
    if not isinstance(itos, list) or not all(isinstance(w, str) for w in itos) or itos[:3] != list(RESERVED):
        raise ValueError("bad vocabulary")
    vocab = Vocab(itos)
    model = GRULanguageModel.from_config(config, len(vocab))
    model.load_state_dict(payload["state_dict"])  # RuntimeError on missing keys or wrong shapes
    model.eval()
    return LoadedModel(model, config, vocab, dict(payload.get("meta") or {}))
