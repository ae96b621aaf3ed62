"""Stages 4–6 of the pipeline: Embedding(V, E) → GRU(E, H) → Linear(H, V) (softmax in the loss).

Training and evaluation run on packed sequences (`pack_padded_sequence`): the GRU skips the padding
and the dense layer only sees real positions, so padding can never count in loss or accuracy.
Prediction uses `step`, one token at a time, so one more typed word costs one GRU step and one dense layer.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from .config import TrainConfig
from .vocab import PAD


class GRULanguageModel(nn.Module):
    def __init__(self, vocab_size: int, embed_dim: int, hidden_size: int, layers: int = 1, dropout: float = 0.0):
        super().__init__()
        self.vocab_size, self.hidden_size, self.layers = vocab_size, hidden_size, layers
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=PAD)
        self.drop = nn.Dropout(dropout)
        # Dropout between stacked GRU layers only exists with two or more layers.
        self.gru = nn.GRU(embed_dim, hidden_size, num_layers=layers, batch_first=True, dropout=dropout if layers > 1 else 0.0)
        self.fc = nn.Linear(hidden_size, vocab_size)
        self.bf16_dense = False  # from TrainConfig.precision; only used while training

    @classmethod
    def from_config(cls, config: TrainConfig, vocab_size: int) -> "GRULanguageModel":
        model = cls(vocab_size, config.embed_dim, config.hidden_size, config.layers, config.dropout)
        model.bf16_dense = config.precision == "bf16"
        return model

    def init_state(self, batch: int) -> torch.Tensor:
        return torch.zeros(self.layers, batch, self.hidden_size)  # (layers, batch, H)

    def forward(self, inputs: torch.Tensor, lengths: torch.Tensor, targets: torch.Tensor, state: torch.Tensor | None = None):
        """Logits and targets at the real positions only, and the final state.

        inputs, targets: (b, L) padded; lengths: (b,); state: (layers, b, H).
        Returns logits (tokens, V), targets (tokens,) in the same packed order, state (layers, b, H).
        """
        emb = self.drop(self.embedding(inputs))  # (b, L, E)
        packed = pack_padded_sequence(emb, lengths, batch_first=True, enforce_sorted=False)
        out, state = self.gru(packed, state)  # out.data: (tokens, H), state: (layers, b, H)
        logits = self.dense(self.drop(out.data))  # (tokens, V)
        # Packing the targets the same way puts them in the order of out.data.
        packed_targets = pack_padded_sequence(targets, lengths, batch_first=True, enforce_sorted=False).data
        return logits, packed_targets, state

    def dense(self, h: torch.Tensor) -> torch.Tensor:
        """The dense layer, (tokens, H) → (tokens, V) float32. Same as self.fc, but a plain matrix product
        plus an in-place bias add: on these CPUs `addmm` with K = H = 64 measured ~1.8× slower than `mm` + add.
        With `bf16_dense` the product runs in bfloat16 (weights and loss stay float32): 2–5× faster matrix
        products on CPUs with AVX512-BF16/AMX, where this layer is most of the training cost."""
        if self.bf16_dense and self.training:
            with torch.autocast("cpu", dtype=torch.bfloat16):
                return torch.mm(h, self.fc.weight.t()).float().add_(self.fc.bias)
        return torch.mm(h, self.fc.weight.t()).add_(self.fc.bias)

    @torch.inference_mode()
    def step(self, token: int, state: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """One token in, next-word logits (V,) and the new state (layers, 1, H) out."""
        emb = self.embedding(torch.tensor([[token]]))  # (1, 1, E)
        out, state = self.gru(emb, state)  # out: (1, 1, H)
        return self.fc(out[0, 0]), state

    @torch.inference_mode()
    def run(self, tokens: list[int], state: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """A whole sequence at once: the GRU output at every position (n, H), the last logits (V,), the state."""
        emb = self.embedding(torch.tensor([tokens]))  # (1, n, E)
        out, state = self.gru(emb, state)  # out: (1, n, H)
        return out[0], self.fc(out[0, -1]), state
