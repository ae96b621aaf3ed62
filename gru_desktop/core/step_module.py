"""What the model exports are made of: the model as one step, and the check that an export computes what
PyTorch computes.

`NextWordStep` is stages 4–6 for one token: (token id (1,) int64, GRU state (layers, 1, H) float32) →
(next-word probabilities (V,), new state (layers, 1, H)). Start a sentence with `<bos>` (id 2) and a zero
state, then feed each word's id with the state the previous step returned: that is what the Predictor
does, and what an autocomplete needs (one GRU step per word). A one-step module is also what
`torch.export` can export: an `nn.GRU` over a whole sequence gets its length specialised (design §13).

Every export is run on a chain of real inputs (the vocabulary's own ids, from `<bos>` and a zero state,
each step fed the state the export itself returned) and compared with PyTorch; above PARITY_TOLERANCE
the export is refused.
"""
from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from .errors import UserError
from .modelfile import LoadedModel
from .vocab import BOS, RESERVED

PARITY_TOLERANCE = 1e-4  # largest absolute difference in a probability or a state allowed
PARITY_STEPS = 20
VOCAB_KEY = "vocab.json"  # the words by id, a JSON list
CONFIG_KEY = "config.json"  # the training config, a JSON object

# (token (1,), state (layers, 1, H)) → (probabilities (V,), state (layers, 1, H)), as numpy or torch
StepFn = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


class ExportError(UserError):
    """An export that cannot be made or does not compute what the model computes: nothing is written."""


@dataclass(frozen=True)
class Parity:
    max_difference: float
    steps: int


class NextWordStep(nn.Module):
    """One token in, the next-word probabilities and the new state out."""

    def __init__(self, embedding: nn.Embedding, gru: nn.GRU, proj: nn.Module, fc: nn.Linear):
        super().__init__()
        self.embedding, self.gru, self.proj, self.fc = embedding, gru, proj, fc

    def forward(self, token: torch.Tensor, state: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        emb = self.embedding(token.reshape(1, 1))  # (1, 1, E)
        out, new_state = self.gru(emb, state)  # out: (1, 1, H), new_state: (layers, 1, H)
        return torch.softmax(self.fc(self.proj(out[0, 0])), 0), new_state  # (V,), (layers, 1, H)


def step_module(loaded: LoadedModel) -> NextWordStep:
    """The one-step module, on copies of the layers so the loaded model is left as it was."""
    c = copy.deepcopy(loaded.model)  # one deepcopy keeps a tied output layer tied to the copied embedding
    return NextWordStep(c.embedding, c.gru, c.proj if c.proj is not None else nn.Identity(), c.fc).eval()


def example_inputs(loaded: LoadedModel) -> tuple[torch.Tensor, torch.Tensor]:
    """(token, state) of the right shapes and types: `<bos>` and a zero state."""
    m = loaded.model
    return torch.tensor([BOS], dtype=torch.int64), torch.zeros(m.layers, 1, m.hidden_size)


def parity_tokens(loaded: LoadedModel, steps: int = PARITY_STEPS, seed: int = 0) -> list[int]:
    """`<bos>`, then real words of the vocabulary (frequent and rare ones, seeded) to feed one after another."""
    rng = random.Random(seed)
    first, n = len(RESERVED), len(loaded.vocab.itos)
    return [BOS] + [rng.randrange(first, n) if n > first else BOS for _ in range(steps - 1)]


def metadata(loaded: LoadedModel) -> dict[str, str]:
    """The vocabulary and the config, as the exports carry them."""
    return {VOCAB_KEY: json.dumps(list(loaded.vocab.itos), ensure_ascii=False),
            CONFIG_KEY: json.dumps(loaded.config.to_dict(), sort_keys=True)}


def check_parity(loaded: LoadedModel, exported: StepFn, what: str, tolerance: float = PARITY_TOLERANCE) -> Parity:
    """Run the export and PyTorch on the same chain of tokens, each fed its own previous state; return the
    largest difference, or raise ExportError (naming `what`) if it exceeds `tolerance` or is not a number."""
    reference = step_module(loaded)
    token, state = example_inputs(loaded)
    ref_state, exp_state = state, state
    worst = 0.0
    with torch.no_grad():
        for i, t in enumerate(parity_tokens(loaded)):
            token = torch.tensor([t], dtype=torch.int64)
            ref_probs, ref_state = reference(token, ref_state)
            exp_probs, exp_state = (torch.as_tensor(x) for x in exported(token, exp_state))
            if exp_probs.shape != ref_probs.shape or exp_state.shape != ref_state.shape:
                raise ExportError(f"the {what} gives outputs of shape {tuple(exp_probs.shape)}, "
                                  f"{tuple(exp_state.shape)} instead of {tuple(ref_probs.shape)}, {tuple(ref_state.shape)}")
            diff = max(float((exp_probs - ref_probs).abs().max()), float((exp_state - ref_state).abs().max()))
            if not diff <= tolerance:  # also catches NaN
                raise ExportError(f"the {what} differs from PyTorch by {diff:.3g} at step {i + 1} "
                                  f"(more than {tolerance:g})")
            worst = max(worst, diff)
    return Parity(worst, len(parity_tokens(loaded)))


__all__ = ["PARITY_TOLERANCE", "VOCAB_KEY", "CONFIG_KEY", "ExportError", "Parity", "NextWordStep", "step_module",
           "example_inputs", "parity_tokens", "metadata", "check_parity"]
