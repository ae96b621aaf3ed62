"""Shared by the core tests: a tiny corpus of two sentences that a small GRU learns almost perfectly."""
from pathlib import Path

A = "the cat sat on the mat, and ate a small cake today."
B = "my dog ran to the car park near the old house."


def write_tiny_corpus(folder: Path) -> Path:
    p = folder / "tiny.txt"
    p.write_text("\n".join([A] * 60 + [B] * 20), encoding="utf-8")
    return p
