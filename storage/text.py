"""Text as SQLite can store it. File names that are not UTF-8 (`caf\\xe9.txt` from an old disk) reach
Python as lone surrogates ("caf\\udce9.txt"), which SQLite's UTF-8 refuses. Columns meant for reading
(the corpus description, messages) keep a display form in which each undecodable byte is read as
Windows-1252 ("café.txt"); the file names themselves are kept exactly in corpus_paths, whose JSON
escapes them ("\\udce9"), so the files can be read again to continue or evaluate a run."""
from __future__ import annotations

from typing import Any

_SURROGATES = range(0xD800, 0xE000)
_ESCAPED = range(0xDC80, 0xDD00)  # what os.fsdecode/surrogateescape makes of the bytes 0x80-0xFF


def storable(value: Any) -> Any:
    """`value` with any lone surrogate replaced by its display form; other values unchanged."""
    if not isinstance(value, str) or not any(ord(ch) in _SURROGATES for ch in value):
        return value
    return "".join(_display(ch) if ord(ch) in _SURROGATES else ch for ch in value)


def _display(ch: str) -> str:
    if ord(ch) in _ESCAPED:
        return bytes([ord(ch) - 0xDC00]).decode("cp1252", errors="replace")
    return "\ufffd"
