"""Stages 4–6 of the pipeline: Embedding(V, E) → GRU(E, H) → dense layer to V (softmax in the loss).

The dense layer is Linear(H, V), or, with tied weights (the default), Linear(H, E) followed by the
embedding matrix itself as the output matrix (Press & Wolf 2017, Inan et al. 2017): the logits of a
word are its embedding row times the projected GRU state, plus a bias. That halves the parameters of a
default model (V·H of its own output weights → H·E) and, measured on WikiText-2, lowers test perplexity
by about 6 % at the same training time: the big output matrix was what overfit.

Training and evaluation run on packed sequences (`pack_padded_sequence`): the GRU skips the padding
and the dense layer only sees real positions, so padding can never count in loss or accuracy.
Prediction uses `step`, one token at a time, so one more typed word costs one GRU step and one dense layer.
"""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

from .config import TrainConfig
from .devices import bf16_is_fast
from .vocab import PAD

EMBEDDING_INIT = 0.5  # embeddings start uniform in ±0.5, not N(0, 1)


class GRULanguageModel(nn.Module):
    def __init__(self, vocab_size: int, embed_dim: int, hidden_size: int, layers: int = 1, dropout: float = 0.0,
                 tie_weights: bool = False):
        super().__init__()
        self.vocab_size, self.hidden_size, self.layers = vocab_size, hidden_size, layers
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=PAD)
        # nn.Embedding's N(0, 1) rows make tied logits too sharp at the start: on WikiText-2 (tied, same
        # training) ±0.1 and ±0.5 gave 2–3 % lower test perplexity than N(0, 1). On the small sample
        # corpus ±0.1 learned far slower (validation perplexity 138 after 5 epochs against 89 for ±0.5).
        with torch.no_grad():
            self.embedding.weight.uniform_(-EMBEDDING_INIT, EMBEDDING_INIT)
            self.embedding.weight[PAD].zero_()
        self.drop = nn.Dropout(dropout)
        # Dropout between stacked GRU layers only exists with two or more layers.
        self.gru = nn.GRU(embed_dim, hidden_size, num_layers=layers, batch_first=True, dropout=dropout if layers > 1 else 0.0)
        if tie_weights:
            self.proj: nn.Linear | None = nn.Linear(hidden_size, embed_dim, bias=False)  # H → E
            self.fc = nn.Linear(embed_dim, vocab_size)
            self.fc.weight = self.embedding.weight  # one (V, E) matrix: input lookup and output layer
            nn.init.zeros_(self.fc.bias)
        else:
            self.proj = None
            self.fc = nn.Linear(hidden_size, vocab_size)
        self.bf16_dense = False  # from TrainConfig.precision; only used while training

    @classmethod
    def from_config(cls, config: TrainConfig, vocab_size: int, device: torch.device | None = None) -> "GRULanguageModel":
        """The model on the CPU; `device` (where it will train) decides what precision `auto` means."""
        model = cls(vocab_size, config.embed_dim, config.hidden_size, config.layers, config.dropout or 0.0,  # None: not resolved
                    config.tie_weights)
        auto = config.precision == "auto" and bf16_is_fast(device or torch.device("cpu"))
        model.bf16_dense = config.precision == "bf16" or auto
        return model

    def init_state(self, batch: int) -> torch.Tensor:
        return self.embedding.weight.new_zeros(self.layers, batch, self.hidden_size)  # (layers, batch, H)

    def forward(self, inputs: torch.Tensor, lengths: torch.Tensor, targets: torch.Tensor, state: torch.Tensor | None = None):
        """Logits and targets at the real positions only, and the final state.

        inputs, targets: (b, L) padded; lengths: (b,); state: (layers, b, H).
        Returns logits (tokens, V), targets (tokens,) in the same packed order, state (layers, b, H).
        """
        h, packed_targets, state = self.features(inputs, lengths, targets, state)
        return self.dense(h), packed_targets, state  # logits (tokens, V)

    def features(self, inputs: torch.Tensor, lengths: torch.Tensor, targets: torch.Tensor, state: torch.Tensor | None = None):
        """Stages 4–5: the GRU output at the real positions (tokens, H), their targets (tokens,), the final state."""
        emb = self.drop(self.embedding(inputs))  # (b, L, E)
        packed = pack_padded_sequence(emb, lengths, batch_first=True, enforce_sorted=False)
        out, state = self.gru(packed, state)  # out.data: (tokens, H), state: (layers, b, H)
        # Packing the targets the same way puts them in the order of out.data.
        packed_targets = pack_padded_sequence(targets, lengths, batch_first=True, enforce_sorted=False).data
        return self.drop(out.data), packed_targets, state

    def loss(self, h: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Training loss of the dense layer + softmax: (mean cross-entropy, number of exact top-1 hits).

        h: (tokens, H) from `features`, targets: (tokens,). The same values as F.cross_entropy(self.dense(h),
        targets) and (logits.argmax(1) == targets).sum(), in one fused step (see `_DenseCrossEntropy`)."""
        return _DenseCrossEntropy.apply(self.head(h), self.fc.weight, self.fc.bias, targets, self.bf16_dense)

    def head(self, h: torch.Tensor) -> torch.Tensor:
        """What the output matrix multiplies: the GRU output (…, H), or its projection (…, E) when tied."""
        return self.proj(h) if self.proj is not None else h

    def logits(self, h: torch.Tensor) -> torch.Tensor:
        """Stage 6 before the softmax: GRU outputs (…, H) → next-word logits (…, V)."""
        return self.fc(self.head(h))

    def dense(self, h: torch.Tensor) -> torch.Tensor:
        """The dense layer, (tokens, H) → (tokens, V) float32. Same as `logits`, but a plain matrix product
        plus an in-place bias add: on these CPUs `addmm` with K = H = 64 measured ~1.8× slower than `mm` + add.
        With `bf16_dense` the product runs in bfloat16 (weights and loss stay float32): 2–5× faster matrix
        products on CPUs with AVX512-BF16/AMX, where this layer is most of the training cost."""
        x = self.head(h)
        if self.bf16_dense and self.training:
            with torch.autocast(x.device.type, dtype=torch.bfloat16):
                return torch.mm(x, self.fc.weight.t()).float().add_(self.fc.bias)
        return torch.mm(x, self.fc.weight.t()).add_(self.fc.bias)

    @torch.inference_mode()
    def step(self, token: int, state: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """One token in, next-word logits (V,) and the new state (layers, 1, H) out."""
        emb = self.embedding(torch.tensor([[token]]))  # (1, 1, E)
        out, state = self.gru(emb, state)  # out: (1, 1, H)
        return self.logits(out[0, 0]), state

    @torch.inference_mode()
    def run(self, tokens: list[int], state: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """A whole sequence at once: the GRU output at every position (n, H), the last logits (V,), the state."""
        emb = self.embedding(torch.tensor([tokens]))  # (1, n, E)
        out, state = self.gru(emb, state)  # out: (1, n, H)
        return out[0], self.logits(out[0, -1]), state


class _DenseCrossEntropy(torch.autograd.Function):
    """Dense layer, softmax cross-entropy and top-1 hits of a training batch, fused by hand.

    The (tokens, V) logits are the largest tensor of a step (1280 × 5000 floats) and every pass over them
    costs about as much as the GRU. Autograd's way (log_softmax, nll_loss, their two backward kernels, a
    zero-filled gradient, and a separate argmax for accuracy) makes about ten such passes; here the
    logits buffer is turned into softmax probabilities in place, the one-hot target is subtracted in place,
    and that buffer *is* the gradient (d loss / d logits = (p − onehot) / tokens) kept for backward.
    The accuracy needs only one more max over the row with the target masked out.
    With `bf16` the three matrix products take bfloat16 inputs (weights, softmax and loss stay float32).
    """

    @staticmethod
    def forward(ctx, h, weight, bias, targets, bf16: bool):
        n = h.shape[0]
        if bf16:
            hw, ww = h.to(torch.bfloat16), weight.to(torch.bfloat16)
            logits = torch.mm(hw, ww.t()).float()  # (n, V)
        else:
            hw, ww = h, weight
            logits = torch.mm(h, weight.t())  # (n, V)
        logits.add_(bias)
        rows = torch.arange(n, device=h.device)
        z_t = logits[rows, targets]  # (n,) the target's logit
        # Exact top-1 (as argmax: the first index of the row maximum): the target beats every other word,
        # or ties the best of them and no earlier word has that value. Ties are rare; those rows are checked.
        logits[rows, targets] = -math.inf
        best_other = logits.amax(1)  # (n,)
        logits[rows, targets] = z_t
        hits = z_t > best_other
        tied = torch.nonzero(z_t == best_other).squeeze(1)
        if tied.numel():
            first = (logits[tied] == z_t[tied, None]).to(torch.uint8).argmax(1)
            hits[tied] = first == targets[tied]
        correct = hits.sum()
        probs = torch.softmax(logits, 1, out=logits)  # in place: logits is now p (n, V)
        p_t = probs[rows, targets]
        row_loss = -torch.log(p_t)  # = logsumexp(z) − z_t
        lost = torch.nonzero(p_t == 0).squeeze(1)  # p_t underflowed (target > 87 nats below the best): exact form
        if lost.numel():
            z = torch.mm(hw[lost], ww.t()).float() + bias
            row_loss[lost] = torch.logsumexp(z, 1) - z_t[lost]
        probs[rows, targets] = p_t - 1.0  # p − onehot: n × the gradient of the mean loss
        ctx.save_for_backward(hw, ww, probs)
        ctx.mark_non_differentiable(correct)
        ctx.bf16 = bf16
        return row_loss.sum() / n, correct

    @staticmethod
    def backward(ctx, grad_loss, _grad_correct):
        hw, ww, g = ctx.saved_tensors  # g: (n, V) = p − onehot
        scale = grad_loss / g.shape[0]  # the 1/n of the mean, applied to the small results
        gw = g.to(torch.bfloat16) if ctx.bf16 else g
        grad_h = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_h = torch.mm(gw, ww).float().mul_(scale)  # (n, H)
        if ctx.needs_input_grad[1]:
            grad_w = torch.mm(gw.t(), hw).float().mul_(scale)  # (V, H)
        if ctx.needs_input_grad[2]:
            grad_b = g.sum(0).mul_(scale)  # (V,)
        return grad_h, grad_w, grad_b, None, None
