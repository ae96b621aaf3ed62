"""The counts file (design §11): a run's Kneser–Ney counts and its fitted blend weights, stored as plain arrays
in an `.npz` beside the model file (`save_counts`/`load_counts`), read with `allow_pickle=False`: a file that
holds anything but the arrays we wrote is refused, nothing executed.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from .atomic import atomic_write
from .blend import CACHE_WINDOW, STATE_WINDOW, Blend, Weights
from .errors import ModelFileError
from .ngram import KneserNeyTrigram
from .vocab import Vocab

COUNTS_FORMAT = 1


def vocab_digest(vocab: Vocab) -> str:
    return hashlib.sha256("\n".join(vocab.itos).encode("utf-8", "surrogatepass")).hexdigest()


def counts_path(model_path: str | os.PathLike) -> Path:
    """Where a model's counts live: beside it, `<run id>.counts.npz`."""
    p = Path(model_path)
    return p.with_name(p.stem + ".counts.npz")


def save_counts(path: str | os.PathLike, counts: KneserNeyTrigram, weights: Weights, vocab: Vocab,
                report: dict | None = None, theta: float = 1.0) -> None:
    """Write the counts and the fitted weights atomically (temporary file, fsync, rename)."""
    path = Path(path)
    # Any: unpacked into savez's keywords, whose stub would also match the values against `allow_pickle`
    arrays: dict[str, Any] = {k: np.ascontiguousarray(v, dtype=np.int64) for k, v in counts.arrays().items()}
    meta = {"format": COUNTS_FORMAT, "vocab_size": counts.V, "vocab_sha256": vocab_digest(vocab),
            "weights": weights.to_dict(), "train_tokens": counts.train_tokens, "report": report or {},
            "cache_window": CACHE_WINDOW, "state_window": STATE_WINDOW, "theta": theta}
    with atomic_write(path, "wb") as fh:
        np.savez_compressed(fh, meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8), **arrays)


MAX_COUNT_ENTRIES = 200_000_000  # n-grams; a real corpus of 1 GB has far fewer distinct trigrams
MAX_UNPACK_RATIO = 64  # sorted counts compress about 3–6×; far more is a crafted file


def load_counts(path: str | os.PathLike, vocab: Vocab) -> Blend:
    """Read a counts file for a model with this vocabulary; ModelFileError for anything we did not write."""
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: counts file not found")
    want = {"meta", "tri_keys", "tri_counts", "bi_keys", "bi_counts"}
    try:
        with zipfile.ZipFile(path) as zf:  # before anything is unpacked: a small file may not claim gigabytes
            unpacked = sum(info.file_size for info in zf.infolist())
        if unpacked > MAX_UNPACK_RATIO * path.stat().st_size + (1 << 20):
            raise ValueError(f"it would unpack to {unpacked:,} bytes from {path.stat().st_size:,}")
        with np.load(path, allow_pickle=False) as z:
            if set(z.files) != want:
                raise ValueError(f"unexpected contents {sorted(z.files)}")
            meta = json.loads(bytes(z["meta"]).decode())
            arr = {k: z[k] for k in want - {"meta"}}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError, KeyError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"{path}: not a counts file we wrote ({str(exc)[:120]})") from None
    try:
        V = int(meta["vocab_size"])
        if meta.get("format") != COUNTS_FORMAT or V != len(vocab) or meta.get("vocab_sha256") != vocab_digest(vocab):
            raise ValueError("it belongs to another vocabulary or format")
        for k, a in arr.items():
            if a.dtype != np.int64 or a.ndim != 1 or a.size > MAX_COUNT_ENTRIES:
                raise ValueError(f"{k} is not a list of counts")
        for order, top in (("tri", V ** 3), ("bi", V ** 2)):
            keys, cnt = arr[f"{order}_keys"], arr[f"{order}_counts"]
            if keys.size == 0 or keys.size != cnt.size or keys[0] < 0 or keys[-1] >= top or np.any(np.diff(keys) <= 0) \
                    or cnt.min() < 1:
                raise ValueError(f"the {order}gram table is damaged")
        w = meta["weights"]
        weights = Weights(float(w["gru"]), float(w["counts"]), float(w.get("cache", 0.0)), float(w.get("state", 0.0)))
        parts = (weights.gru, weights.counts, weights.cache, weights.state)
        if not all(math.isfinite(x) and 0 <= x <= 1 for x in parts) or abs(sum(parts) - 1) > 1e-6:
            raise ValueError("its weights are not a mixture")
        theta = float(meta.get("theta", 1.0))
        if not (math.isfinite(theta) and 0 < theta <= 100):
            raise ValueError("its state-cache sharpness is not a number we use")
        counts = KneserNeyTrigram.from_arrays(V, arr["tri_keys"], arr["tri_counts"], arr["bi_keys"], arr["bi_counts"],
                                              int(meta.get("train_tokens", 0)))
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelFileError(f"{path}: refused: {exc}") from None
    return Blend(counts, weights, dict(meta.get("report") or {}), theta)
