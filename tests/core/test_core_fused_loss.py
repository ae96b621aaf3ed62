"""The fused dense + cross-entropy training step equals autograd's F.cross_entropy and an argmax accuracy."""
import pytest
import torch
import torch.nn.functional as F

from gru_desktop.core.model import _DenseCrossEntropy


def _reference(h, w, b, t, bf16):
    if bf16:
        logits = torch.mm(h.bfloat16(), w.bfloat16().t()).float() + b
    else:
        logits = torch.mm(h, w.t()) + b
    loss = F.cross_entropy(logits, t)
    return loss, int((logits.argmax(1) == t).sum())


def _leaves(n, H, V, seed, scale=0.5):
    g = torch.Generator().manual_seed(seed)
    h = torch.randn(n, H, generator=g).requires_grad_()
    w = (torch.randn(V, H, generator=g) * scale).requires_grad_()
    b = torch.randn(V, generator=g).requires_grad_()
    return h, w, b


@pytest.mark.parametrize("bf16", [False, True])
def test_fused_loss_matches_autograd(bf16):
    h, w, b = _leaves(700, 16, 300, 0)
    with torch.no_grad():
        t = torch.randint(0, 300, (700,), generator=torch.Generator().manual_seed(1))
        t[::2] = (torch.mm(h, w.t()) + b)[::2].argmax(1)  # many hits, so accuracy is really checked
    loss, hits = _DenseCrossEntropy.apply(h, w, b, t, bf16)
    loss.backward()
    got = [x.grad.clone() for x in (h, w, b)]
    for x in (h, w, b):
        x.grad = None
    ref, ref_hits = _reference(h, w, b, t, bf16)
    ref.backward()
    assert loss.item() == pytest.approx(ref.item(), rel=1e-5)
    assert int(hits) == ref_hits and ref_hits >= 300
    tol = 2e-2 if bf16 else 1e-5  # bf16: the backward products also round to bfloat16
    for a, x in zip(got, (h, w, b), strict=True):
        torch.testing.assert_close(a, x.grad, rtol=tol, atol=tol * float(x.grad.abs().max()))


def test_fused_accuracy_is_argmax_with_ties():
    # h = 0 and b = 0: every logit is 0, argmax is word 0, so only targets 0 count as hits
    h = torch.zeros(5, 4, requires_grad=True)
    w = torch.randn(10, 4, requires_grad=True)
    b = torch.zeros(10, requires_grad=True)
    t = torch.tensor([0, 3, 0, 9, 1])
    loss, hits = _DenseCrossEntropy.apply(h, w, b, t, False)
    assert int(hits) == 2
    assert loss.item() == pytest.approx(torch.log(torch.tensor(10.0)).item())


def test_fused_loss_exact_when_target_probability_underflows():
    h = torch.tensor([[100.0, 0.0]], requires_grad=True)
    w = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]], requires_grad=True)
    b = torch.zeros(3, requires_grad=True)
    t = torch.tensor([2])  # 200 nats below the best word: its softmax probability is 0 in float32
    loss, hits = _DenseCrossEntropy.apply(h, w, b, t, False)
    assert loss.item() == pytest.approx(200.0)
    assert int(hits) == 0


def test_precision_auto_follows_the_cpu():
    from gru_desktop.core.config import TrainConfig
    from gru_desktop.core.devices import native_bf16
    from gru_desktop.core.model import GRULanguageModel

    assert GRULanguageModel.from_config(TrainConfig(precision="auto"), 50).bf16_dense == native_bf16()
    assert GRULanguageModel.from_config(TrainConfig(precision="fp32"), 50).bf16_dense is False
    assert GRULanguageModel.from_config(TrainConfig(precision="bf16"), 50).bf16_dense is True
