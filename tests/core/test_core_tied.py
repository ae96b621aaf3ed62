"""The tied output layer: one (V, E) matrix for input and output, trained and saved as one, older files intact."""
import pytest
import torch
import torch.nn.functional as F

from gru_desktop.core.config import TrainConfig
from gru_desktop.core.model import EMBEDDING_INIT, GRULanguageModel
from gru_desktop.core.modelfile import load_model, save_model
from gru_desktop.core.vocab import Vocab

WORDS = ["<pad>", "<unk>", "<bos>"] + [f"w{i}" for i in range(37)]


def _model(tie: bool, seed: int = 0) -> GRULanguageModel:
    torch.manual_seed(seed)
    return GRULanguageModel(len(WORDS), 8, 12, tie_weights=tie)


def test_tied_model_shares_one_matrix_and_is_smaller():
    tied, untied = _model(True), _model(False)
    assert tied.fc.weight is tied.embedding.weight
    assert tied.proj.weight.shape == (8, 12)  # H → E
    assert untied.proj is None and untied.fc.weight.shape == (len(WORDS), 12)
    n = lambda m: sum(p.numel() for p in m.parameters())  # parameters() counts a shared tensor once
    assert n(untied) - n(tied) == len(WORDS) * 12 - 12 * 8
    # embeddings start small, the padding row at zero
    w = tied.embedding.weight.detach()
    assert float(w.abs().max()) <= EMBEDDING_INIT and float(w[0].abs().max()) == 0.0


@pytest.mark.parametrize("bf16", [False, True])
def test_tied_fused_loss_and_gradients_match_autograd(bf16):
    """The embedding's gradient is the sum of its two uses (lookup and output), as autograd computes it."""
    model = _model(True)
    model.bf16_dense = bf16
    g = torch.Generator().manual_seed(3)
    inputs = torch.randint(3, len(WORDS), (6, 5), generator=g)
    targets = torch.randint(3, len(WORDS), (6, 5), generator=g)
    lengths = torch.tensor([5, 4, 5, 2, 1, 3])
    h, t, _ = model.features(inputs, lengths, targets)
    loss, _ = model.loss(h, t)
    loss.backward()
    got = {k: p.grad.clone() for k, p in model.named_parameters()}
    model.zero_grad()
    h, t, _ = model.features(inputs, lengths, targets)
    x, w = model.proj(h), model.fc.weight
    if bf16:
        logits = torch.mm(x.bfloat16(), w.bfloat16().t()).float() + model.fc.bias
    else:
        logits = model.logits(h)
    ref = F.cross_entropy(logits, t)
    ref.backward()
    assert loss.item() == pytest.approx(ref.item(), rel=1e-5)
    tol = 2e-2 if bf16 else 1e-5
    for k, p in model.named_parameters():
        torch.testing.assert_close(got[k], p.grad, rtol=tol, atol=tol * float(p.grad.abs().max()) + 1e-8)
    assert float(got["embedding.weight"][3:].abs().sum()) > 0


def test_tied_model_file_round_trip_stays_tied(tmp_path):
    model = _model(True, seed=5)
    cfg = TrainConfig(embed_dim=8, hidden_size=12, vocab_size=len(WORDS))
    save_model(tmp_path / "m.pt", model, cfg, Vocab(WORDS))
    loaded = load_model(tmp_path / "m.pt")
    m = loaded.model
    assert loaded.config.tie_weights and m.fc.weight is m.embedding.weight
    torch.testing.assert_close(m.embedding.weight, model.embedding.weight)
    ids = [2, 5, 9, 11]
    torch.testing.assert_close(m.run(ids, None)[1], model.eval().run(ids, None)[1])


def test_file_from_before_tying_loads_untied(tmp_path):
    """A model saved before `tie_weights` existed has no such key: it was untied, and loads so."""
    model = _model(False, seed=6)
    cfg = TrainConfig(embed_dim=8, hidden_size=12, vocab_size=len(WORDS), tie_weights=False)
    path = tmp_path / "old.pt"
    save_model(path, model, cfg, Vocab(WORDS))
    payload = torch.load(path, weights_only=True)
    del payload["config"]["tie_weights"]
    torch.save(payload, path)
    loaded = load_model(path)
    assert loaded.config.tie_weights is False and loaded.model.proj is None
    torch.testing.assert_close(loaded.model.fc.weight, model.fc.weight)


def test_from_dict_legacy_and_current_defaults():
    assert TrainConfig.from_dict({}).tie_weights is False  # a stored run from before the field
    assert TrainConfig.from_dict({}, legacy=False).tie_weights is True  # remembered settings: today's default
    assert TrainConfig.from_dict({"tie_weights": True}).tie_weights is True
    assert TrainConfig().tie_weights is True


def test_tie_weights_must_be_bool_and_counts_parameters():
    with pytest.raises(Exception, match="tie_weights"):
        TrainConfig(tie_weights="yes").validate()
    # untied, V × H output weights push this over the parameter limit; tied, it fits
    big = dict(vocab_size=2_000_000, embed_dim=100, hidden_size=200)
    TrainConfig(**big).validate()
    with pytest.raises(Exception, match="parameters"):
        TrainConfig(**big, tie_weights=False).validate()
