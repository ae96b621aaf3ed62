"""Model files (design §5): a dict of tensors and plain values, written atomically, loaded safely.

`{"format": 1, "config": {...}, "vocab": [words by id], "state_dict": {...}, "meta": {...}}`
Loading uses `torch.load(weights_only=True)`, which refuses anything but tensors and plain containers,
so a file crafted to run code when unpickled is rejected without running it.
"""
from __future__ import annotations

import io
import math
import os
import pickle
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import torch

from .atomic import write_atomic
from .config import TrainConfig
from .errors import ConfigError, ModelFileError
from .model import GRULanguageModel
from .vocab import MAX_WORD_CHARS, RESERVED, Vocab

FORMAT = 1


@dataclass
class LoadedModel:
    model: GRULanguageModel
    config: TrainConfig
    vocab: Vocab
    meta: dict


def save_model(path: str | os.PathLike, model: GRULanguageModel, config: TrainConfig, vocab: Vocab, meta: dict | None = None) -> None:
    """Write to a temporary file beside `path` and rename it over, so a crash never leaves half a file."""
    write_atomic(path, model_bytes(model, config, vocab, meta))


def model_bytes(model: GRULanguageModel, config: TrainConfig, vocab: Vocab, meta: dict | None = None) -> bytes:
    """The model file's content. Serialised in memory first, so a full disk fails as a plain OSError at
    the write (torch's own writer reports it as "unexpected pos …") and the size is known before writing."""
    payload = {
        "format": FORMAT,
        "config": config.to_dict(),
        "vocab": list(vocab.itos),
        # Always CPU tensors (design §12): a model trained on a GPU suggests on a machine without one.
        "state_dict": {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()},
        "meta": dict(meta or {}),
    }
    buf = io.BytesIO()
    torch.save(payload, buf)
    return buf.getvalue()


def estimate_file_bytes(model: GRULanguageModel, vocab: Vocab) -> int:
    """About how big the model's file will be (tensors, words, and a little structure), without writing it."""
    tensors = sum(t.numel() * t.element_size() for t in model.state_dict().values())
    words = sum(len(w.encode("utf-8", "surrogatepass")) + 8 for w in vocab.itos)
    return tensors + words + 64 * 1024


def load_model(path: str | os.PathLike) -> LoadedModel:
    """Load a model file, checking it against what it claims before anything big is allocated: the
    archive's entries (stored, within the file's size), then the vocabulary's length and words, then
    every tensor's name, shape, dtype and storage against the model its config describes. So a small
    crafted file is refused at about its own size in memory, never by allocating what it claims."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: model file not found")
    try:
        _check_archive(path)
        _check_claims(path)
        with warnings.catch_warnings():  # torch warns about odd pickles; our refusal is the message
            warnings.simplefilter("ignore")
            payload = torch.load(path, map_location="cpu", weights_only=True)
    except ModelFileError:
        raise
    except (ConfigError, KeyError, TypeError, ValueError) as exc:  # from _check_claims
        raise ModelFileError(f"{path}: not a GRU Desktop model ({exc})") from None
    except pickle.UnpicklingError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "unsafe content"
        raise ModelFileError(f"{path}: refused: not a plain model file ({first[:160]})") from None
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    except Exception as exc:  # noqa: BLE001 - torch's unpickler raises many kinds (IndexError, EOFError, RuntimeError…) on junk
        raise ModelFileError(f"{path}: corrupt or not a model file ({type(exc).__name__})") from None
    try:
        return _from_payload(payload, path.stat().st_size)
    except (ConfigError, KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise ModelFileError(f"{path}: not a GRU Desktop model ({exc})") from None


def _check_archive(path: Path) -> None:
    """torch's zip archive, every entry stored (not compressed: a compressed entry could expand a small
    file into gigabytes) and the entries' sizes within the file's own."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        raise ModelFileError(f"{path}: corrupt or not a model file (not a torch archive: {exc})") from None
    if any(e.compress_type != zipfile.ZIP_STORED for e in entries):
        raise ModelFileError(f"{path}: refused: compressed entries (GRU Desktop never writes them)")
    if sum(e.file_size for e in entries) > path.stat().st_size:
        raise ModelFileError(f"{path}: refused: its entries claim more bytes than the file holds")


class _Peek(pickle.Unpickler):
    """The standard (C) unpickler with every global replaced by a harmless stand-in and no tensor data
    loaded: it reads the config and the vocabulary of a model file about 30x faster than torch's
    weights-only unpickler (pure Python), and runs no code from the file."""

    class _Dict(dict):  # stands in for OrderedDict (a state_dict carries attributes)
        pass

    def find_class(self, module, name):
        if (module, name) == ("collections", "OrderedDict"):
            return self._Dict
        if module == "torch" or module.startswith("torch."):  # tensors, storages, dtypes: never called here
            return _nothing
        raise pickle.UnpicklingError(f"refused global {module}.{name}")

    def persistent_load(self, pid):
        return None


def _nothing(*args, **kwargs):
    return None


def _check_claims(path: Path) -> None:
    """The config and the vocabulary, read without torch, checked before torch.load: a vocabulary longer
    than its config allows, or a config whose tensors cannot be in a file this size, is refused at the
    cost of reading the file once."""
    with zipfile.ZipFile(path) as archive:
        name = next((n for n in archive.namelist() if n.rsplit("/", 1)[-1] == "data.pkl"), None)
        if name is None:
            raise ValueError("no data.pkl in the archive")
        payload = _Peek(io.BytesIO(archive.read(name))).load()
    config, itos = _config_and_words(payload)
    expected = _expected_tensors(config, len(itos))
    need = sum(math.prod(shape) * torch.empty(0, dtype=dtype).element_size() for shape, dtype in expected.values())
    if need > path.stat().st_size:
        raise ValueError(f"its config describes {need:,} bytes of tensors, more than the file's {path.stat().st_size:,}")


def _config_and_words(payload) -> tuple[TrainConfig, list]:
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError(f"expected format {FORMAT}")
    config = TrainConfig.from_dict(payload["config"]).validate()
    itos = payload["vocab"]
    if not isinstance(itos, list) or itos[:3] != list(RESERVED):
        raise ValueError("bad vocabulary")
    if not 4 <= len(itos) <= config.vocab_size:
        raise ValueError(f"the vocabulary has {len(itos):,} words; its config allows 4 to {config.vocab_size:,}")
    if not all(isinstance(w, str) and 0 < len(w) <= MAX_WORD_CHARS for w in itos):
        raise ValueError("bad vocabulary: every word is a string of 1 to 64 characters")
    return config, itos


def _expected_tensors(config: TrainConfig, vocab_size: int) -> dict:
    """{name: (shape, dtype)} of the model the config describes, found on the meta device (nothing allocated)."""
    with torch.device("meta"):
        model = GRULanguageModel.from_config(config, vocab_size)
    return {k: (tuple(t.shape), t.dtype) for k, t in model.state_dict().items()}


def _from_payload(payload, file_bytes: int) -> LoadedModel:
    config, itos = _config_and_words(payload)
    _check_tensors(payload["state_dict"], config, len(itos), file_bytes)
    vocab = Vocab(itos)
    model = GRULanguageModel.from_config(config, len(vocab))
    model.load_state_dict(payload["state_dict"])  # RuntimeError on missing keys or wrong shapes
    model.eval()
    return LoadedModel(model, config, vocab, dict(payload.get("meta") or {}))


def _check_tensors(state: dict, config: TrainConfig, vocab_size: int, file_bytes: int) -> None:
    """Every tensor the config's model has, with its shape and dtype, each backed by its own data."""
    expected = _expected_tensors(config, vocab_size)
    if not isinstance(state, dict) or set(state) != set(expected):
        raise ValueError("its tensors are not those of the model in its config")
    total = 0
    for name, (shape, dtype) in expected.items():
        t = state[name]
        if not isinstance(t, torch.Tensor) or tuple(t.shape) != shape or t.dtype != dtype:
            raise ValueError(f"tensor {name}: expected {dtype} {list(shape)}")
        size = t.numel() * t.element_size()
        if not t.is_contiguous() or t.untyped_storage().nbytes() < size:
            raise ValueError(f"tensor {name}: its data is not all in the file")
        total += size
    if total > file_bytes:
        raise ValueError(f"its tensors need {total:,} bytes, more than the file's {file_bytes:,}")
