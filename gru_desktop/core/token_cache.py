"""The token cache (design §12): a corpus's tokenised ids kept once in the data folder, so that a second
run on the same text skips reading and tokenising it.

One entry per (files' sha256s, tokenizer, lowercase) in `cache/<key>/`: `ids.npy` (the provisional word
ids, uint16 when fewer than 65,536 distinct words, else int32), `starts.npy` (sentence starts, int64),
`counts.npy` (occurrences per word),
`words.json` (the word of each provisional id) and `meta.json` (file details, warnings, the corpus sha256,
and the sha256, dtype and shape of each array). An entry is written to a temporary folder and renamed, so it
is whole or absent; when read, every array is checked against its recorded checksum and shape, and an entry
that fails (damaged, foreign, from another version) is removed and rebuilt, never trusted. `ids.npy` is
memory-mapped. Past the size limit the least recently used entries are removed.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Callable

import numpy as np

from .corpus import Corpus, FileInfo, describe_size, read_corpus, slices
from .textfile import find_text_files

FORMAT = 2
DEFAULT_LIMIT_BYTES = 4 * 1024**3
_CHUNK = 1 << 22


class TokenCache:
    def __init__(self, folder: str | os.PathLike, limit_bytes: int = DEFAULT_LIMIT_BYTES):
        self.folder = Path(folder)
        self.limit_bytes = limit_bytes
        self.last_hit: bool | None = None  # whether the last read_corpus came from the cache
        self.last_problem: str | None = None  # why the last entry found was not used

    # -- reading -----------------------------------------------------------------------------------
    def read_corpus(self, paths, tokenizer: str = "words", lowercase: bool = True,
                    progress: Callable[[int, int], None] | None = None,
                    should_stop: Callable[[], bool] | None = None) -> Corpus:
        """core.corpus.read_corpus through the cache: the same Corpus, read from the cache when the files
        (by content) and tokenizer settings match an entry. With a limit of 0 the cache is not used."""
        if self.limit_bytes <= 0:
            return read_corpus(paths, tokenizer, lowercase, progress, should_stop)
        paths = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
        files = find_text_files(paths)
        key = self.key(files, tokenizer, lowercase)
        entry = self.folder / key
        self.last_problem = None
        if entry.is_dir():
            try:
                corpus = _load(entry, tokenizer, lowercase)
                os.utime(entry)  # least recently used goes first
                self.last_hit = True
                return corpus
            except (OSError, ValueError, KeyError, TypeError) as exc:
                self.last_problem = f"cache entry {key[:12]} was damaged and is rebuilt ({exc})"
                shutil.rmtree(entry, ignore_errors=True)
        corpus = read_corpus(paths, tokenizer, lowercase, progress, should_stop)
        self.last_hit = False
        try:
            self._store(entry, corpus)
            self.evict(keep=key)
        except OSError as exc:  # a full disk or a read-only folder costs speed, never the run
            self.last_problem = f"could not write the token cache ({exc.strerror or exc})"
        return corpus

    @staticmethod
    def key(files: list[Path], tokenizer: str, lowercase: bool) -> str:
        """sha256 over the files (where they are, and their contents, in order) and the tokenizer settings.
        The paths count because the corpus records them (a run can be evaluated again from its files)."""
        h = hashlib.sha256(f"gru-desktop token cache {FORMAT} {tokenizer} {lowercase}\n".encode())
        for f in files:
            # os.fsencode: a file name that is not UTF-8 (kept as surrogates) hashes as its own bytes
            h.update(os.fsencode(Path(f).resolve()) + f"\0{_file_sha256(f)}\n".encode())
        return h.hexdigest()

    # -- writing and bounds ------------------------------------------------------------------------
    def _store(self, entry: Path, corpus: Corpus) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=self.folder))
        try:
            dtype = np.dtype(np.uint16 if len(corpus.words) <= 65536 else np.int32)
            arrays: dict[str, dict] = {}
            meta = {"format": FORMAT, "sha256": corpus.sha256, "tokenizer": corpus.tokenizer,
                    "lowercase": corpus.lowercase, "warnings": corpus.warnings,
                    "files": [asdict(f) for f in corpus.files], "arrays": arrays}
            for name, arr, kind in (("ids", corpus.ids, dtype), ("starts", corpus.starts, np.dtype(np.int64)),
                                    ("counts", corpus.counts, np.dtype(np.int64))):
                with open(tmp / f"{name}.npy", "wb") as fh:  # slice by slice: no second copy of the ids
                    np.lib.format.write_array_header_1_0(
                        fh, {"descr": np.lib.format.dtype_to_descr(kind), "fortran_order": False, "shape": (arr.size,)})
                    for piece in slices(arr):
                        fh.write(np.ascontiguousarray(piece, dtype=kind).tobytes())
                arrays[name] = {"dtype": str(kind), "shape": [int(arr.size)],
                                        "sha256": _file_sha256(tmp / f"{name}.npy")}
            words = json.dumps(corpus.words, ensure_ascii=False).encode("utf-8")
            (tmp / "words.json").write_bytes(words)
            meta["words_sha256"] = hashlib.sha256(words).hexdigest()
            (tmp / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
            for f in tmp.iterdir():
                with open(f, "rb") as fh:
                    os.fsync(fh.fileno())
            try:
                os.replace(tmp, entry)
            except OSError:
                if not entry.is_dir():  # another process stored the same entry first: keep theirs
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def entries(self) -> list[tuple[Path, int, float]]:
        """(folder, bytes, last used) of every entry, least recently used first."""
        if not self.folder.is_dir():
            return []
        found = []
        for e in self.folder.iterdir():
            if e.is_dir() and not e.name.startswith(".tmp-"):
                size = sum(f.stat().st_size for f in e.iterdir() if f.is_file())
                found.append((e, size, e.stat().st_mtime))
        return sorted(found, key=lambda t: t[2])

    def size(self) -> int:
        return sum(size for _, size, _ in self.entries())

    def evict(self, keep: str | None = None) -> list[str]:
        """Remove least recently used entries until the cache fits its limit (never `keep`)."""
        entries = self.entries()
        total = sum(size for _, size, _ in entries)
        removed = []
        for path, size, _ in entries:
            if total <= self.limit_bytes:
                break
            if path.name == keep:
                continue
            shutil.rmtree(path, ignore_errors=True)
            total -= size
            removed.append(path.name)
        return removed

    def clear(self) -> tuple[int, int]:
        """Remove every entry (and left-over temporary folders); (entries, bytes) removed."""
        entries = self.entries()
        if self.folder.is_dir():
            for e in self.folder.iterdir():
                if e.is_dir():
                    shutil.rmtree(e, ignore_errors=True)
        return len(entries), sum(size for _, size, _ in entries)


def _load(entry: Path, tokenizer: str, lowercase: bool) -> Corpus:
    """An entry as a Corpus, after checking every array against its recorded checksum, dtype and shape."""
    meta = json.loads((entry / "meta.json").read_text(encoding="utf-8"))
    if meta.get("format") != FORMAT or meta["tokenizer"] != tokenizer or meta["lowercase"] != lowercase:
        raise ValueError("made by another version or for other settings")
    arrays = {}
    for name in ("ids", "starts", "counts"):
        spec = meta["arrays"][name]
        path = entry / f"{name}.npy"
        if _file_sha256(path) != spec["sha256"]:
            raise ValueError(f"{name}.npy does not match its checksum")
        arr = np.load(path, mmap_mode="r" if name == "ids" else None, allow_pickle=False)
        if str(arr.dtype) != spec["dtype"] or list(arr.shape) != spec["shape"]:
            raise ValueError(f"{name}.npy has the wrong dtype or shape")
        arrays[name] = arr
    words_raw = (entry / "words.json").read_bytes()
    if hashlib.sha256(words_raw).hexdigest() != meta["words_sha256"]:
        raise ValueError("words.json does not match its checksum")
    words = json.loads(words_raw.decode("utf-8"))
    ids, starts, counts = arrays["ids"], arrays["starts"], arrays["counts"]
    if ids.ndim != 1 or starts.ndim != 1 or len(starts) < 1 or starts[0] != 0 or starts[-1] != ids.size:
        raise ValueError("sentence starts do not fit the ids")
    if counts.shape != (len(words),) or int(counts.sum()) != ids.size:
        raise ValueError("word counts do not fit the ids")
    return Corpus(
        words=words, counts=counts, ids=ids, starts=starts,
        files=[FileInfo(**f) for f in meta["files"]], sha256=meta["sha256"], tokenizer=tokenizer,
        lowercase=lowercase, warnings=list(meta["warnings"]),
    )


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(_CHUNK):
            h.update(block)
    return h.hexdigest()


__all__ = ["TokenCache", "DEFAULT_LIMIT_BYTES", "describe_size"]
