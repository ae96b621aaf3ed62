"""Text files: which ones a path names, and reading one as decoded text, block by block (its encoding).

UTF-8 (a BOM is tolerated). UTF-16/32 with a BOM, and UTF-16 without one (recognised by its zero bytes),
are decoded with a warning. Text that is not valid UTF-8 is read again as Windows-1252 (a superset of
Latin-1 for printable text) with a warning. Anything that looks binary (a known file signature, zero
bytes, control characters) is refused with a CorpusError naming the file. The text goes to a `feed`
callback in blocks of BLOCK_BYTES, so a file is never held whole in memory (core/corpus.py tokenizes it).
"""
from __future__ import annotations

import codecs
import hashlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import CorpusError

BLOCK_BYTES = 1 << 20
HEAD_BYTES = 65536  # what the encoding is guessed from

_SIGNATURES = {
    b"\x89PNG": "a PNG image",
    b"PK\x03\x04": "a zip archive (or .docx/.xlsx/.epub)",
    b"%PDF": "a PDF document",
    b"GIF8": "a GIF image",
    b"\xff\xd8\xff": "a JPEG image",
    b"\x7fELF": "a program (ELF)",
    b"\x1f\x8b": "a gzip archive",
    b"{\\rtf": "an RTF document",
    b"SQLite format 3": "an SQLite database",
}
_BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]


@dataclass
class DecodedFile:
    """What reading a file found: its size, the codec that decoded it, its sha256 and any warnings."""

    size: int
    encoding: str
    sha256: str = ""
    warnings: list[str] = field(default_factory=list)


def find_text_files(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """Expand folders to their .txt files (recursively, sorted); refuse missing paths and empty folders."""
    files: list[Path] = []
    paths = list(paths)
    if not paths:
        raise CorpusError("no text files given")
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(q for q in p.rglob("*") if q.suffix.lower() == ".txt" and q.is_file())
            if not found:
                raise CorpusError(f"{p}: folder has no .txt files")
            files.extend(found)
        elif p.is_file():
            files.append(p)
        elif p.exists():
            raise CorpusError(f"{p}: not a regular file")
        else:
            raise CorpusError(f"{p}: no such file or folder")
    return files


def file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def sniff_encoding(path: Path, head: bytes) -> tuple[str, str | None]:
    """(codec, warning or None) for a file whose first bytes are `head`; CorpusError if it is not text."""
    for sig, what in _SIGNATURES.items():
        if head.startswith(sig):
            raise CorpusError(f"{path}: this is {what}, not plain text")
    for bom, codec in _BOMS:
        if head.startswith(bom):
            warn = None if codec == "utf-8-sig" else f"{path}: decoded as {codec.upper()} (byte-order mark found)"
            return codec, warn
    sample = head[:HEAD_BYTES]
    if b"\x00" in sample:
        even, odd = sample[0::2].count(0), sample[1::2].count(0)
        half = len(sample) / 2
        if odd > 0.3 * half and even < 0.02 * half:
            return "utf-16-le", f"{path}: decoded as UTF-16 (little-endian, no byte-order mark)"
        if even > 0.3 * half and odd < 0.02 * half:
            return "utf-16-be", f"{path}: decoded as UTF-16 (big-endian, no byte-order mark)"
        raise CorpusError(f"{path}: looks like a binary file (it contains zero bytes), not plain text")
    control = sum(sample.count(bytes([b])) for b in range(32) if b not in (9, 10, 12, 13))
    if sample and control > 0.01 * len(sample):
        raise CorpusError(f"{path}: looks like a binary file ({control} control bytes in the first {len(sample)}), not plain text")
    return "utf-8", None


def read_text(path: Path, feed: Callable[..., None], restart: Callable[[], None],
              progress: Callable[[int], None] | None = None,
              should_stop: Callable[[], bool] | None = None) -> DecodedFile:
    """Decode `path` into `feed(text)` block by block, then `feed(rest, final=True)`. When a file taken for
    UTF-8 turns out not to be, `restart()` is called (forget what was fed) and it is read again as
    Windows-1252. `progress(bytes read)` after each block; `should_stop()` cancels between blocks."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(HEAD_BYTES)
    except OSError as exc:
        raise CorpusError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    if size == 0:
        raise CorpusError(f"{path}: the file is empty")
    codec, warning = sniff_encoding(path, head)
    found = DecodedFile(size, codec, warnings=[warning] if warning else [])
    try:
        found.sha256 = _decode(path, codec, feed, progress, should_stop)
    except UnicodeDecodeError as exc:
        # Not UTF-8 after all: start the file again as Windows-1252 (Latin-1's printable superset).
        restart()
        found.encoding = "cp1252"
        found.sha256 = _decode(path, "cp1252", feed, progress, should_stop)
        found.warnings.append(f"{path}: not valid UTF-8 (byte 0x{exc.object[exc.start]:02x} at offset {exc.start} "
                              "of a block); read as Windows-1252/Latin-1")
    return found


def _decode(path: Path, codec: str, feed, progress, should_stop) -> str:
    """Feed the file's text decoded with `codec`; return the sha256 of its bytes."""
    decoder = codecs.getincrementaldecoder(codec)(errors="replace" if codec == "cp1252" else "strict")
    digest = hashlib.sha256()
    read = 0
    try:
        with open(path, "rb") as fh:
            while block := fh.read(BLOCK_BYTES):
                if should_stop is not None and should_stop():
                    raise CorpusError("reading was cancelled")
                read += len(block)
                digest.update(block)
                feed(decoder.decode(block))
                if progress:
                    progress(read)
            feed(decoder.decode(b"", final=True), final=True)
    except OSError as exc:
        raise CorpusError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    return digest.hexdigest()
