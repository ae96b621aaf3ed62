"""Shared by the jobs tests: a tiny text and tiny settings (a run trains in well under a second once torch is warm)."""
from __future__ import annotations

from gru_desktop.core.config import TrainConfig

TEXT = ("the cat sat on the mat.\nmy dog ran to the car park.\nthe dog sat on my car.\n"
        "a cat ran to the park.\n") * 25  # 400 words
TINY = TrainConfig(seq_len=4, embed_dim=8, hidden_size=12, batch_size=16, epochs=2, patience=0, threads=1,
                   vocab_size=100)
