"""The device setting (design §12): spelling, what is present, precision auto per device, CPU model files,
and the same training on CUDA/MPS where this machine has them (skipped elsewhere)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from gru_desktop.core.config import TrainConfig
from gru_desktop.core.data import build_dataset
from gru_desktop.core.devices import bf16_is_fast, native_bf16, present_devices, resolve_device
from gru_desktop.core.distributed import Group
from gru_desktop.core.errors import ConfigError, UserError
from gru_desktop.core.model import GRULanguageModel
from gru_desktop.core.modelfile import load_model, save_model
from gru_desktop.core.train import TrainingDone, train

torch.set_num_threads(1)

HAS_CUDA = torch.cuda.is_available()
HAS_MPS = torch.backends.mps.is_available()
GPUS = [d for d, ok in (("cuda", HAS_CUDA), ("mps", HAS_MPS)) if ok]


@pytest.mark.parametrize("name", ["gpu", "cuda:", "cuda:x", "CPU", "", "cuda:1234"])
def test_device_spelling_is_checked(name):
    with pytest.raises(ConfigError) as e:
        TrainConfig(device=name).validate()
    assert e.value.field == "device"


def test_present_devices_and_auto():
    present = present_devices()
    assert present[0] == "cpu"
    assert ("cuda:0" in present) == HAS_CUDA and ("mps" in present) == HAS_MPS
    auto = resolve_device("auto")
    assert auto.type == ("cuda" if HAS_CUDA else "mps" if HAS_MPS else "cpu")
    assert resolve_device("cpu") == torch.device("cpu")


@pytest.mark.parametrize("name", ["cuda", "cuda:7", "mps"])
def test_absent_device_names_what_is_present(name):
    if name in present_devices() or (name == "cuda" and HAS_CUDA) or (name == "cuda:7" and torch.cuda.device_count() > 7):
        pytest.skip(f"{name} is present here")
    with pytest.raises(ConfigError) as e:
        resolve_device(name)
    assert f"device {name} is not available on this machine; present: cpu" in str(e.value)


def test_precision_auto_follows_the_device():
    cfg = TrainConfig(precision="auto")
    assert GRULanguageModel.from_config(cfg, 50).bf16_dense == native_bf16()
    assert GRULanguageModel.from_config(cfg, 50, torch.device("cpu")).bf16_dense == bf16_is_fast(torch.device("cpu"))
    assert GRULanguageModel.from_config(TrainConfig(precision="fp32"), 50).bf16_dense is False
    assert GRULanguageModel.from_config(TrainConfig(precision="bf16"), 50).bf16_dense is True
    if HAS_CUDA:
        dev = torch.device("cuda:0")
        assert GRULanguageModel.from_config(cfg, 50, dev).bf16_dense == torch.cuda.is_bf16_supported()


class _FourProcesses(Group):
    """Stands in for rank 0 of a 4-process job (the check happens before any collective but this one)."""

    distributed, world = True, 4

    def same_everywhere(self, what, value):
        self.checked = (what, value)


def test_more_processes_than_segments_is_refused(tmp_path):
    from gru_desktop.jobs.runs import prepare

    text = tmp_path / "three.txt"
    text.write_text("one two three. four five six. seven eight nine. ten eleven twelve.\n")
    group = _FourProcesses()
    with pytest.raises(UserError, match="4 processes is more than the 3 training segments"):
        prepare([text], TrainConfig(batch_size=8, processes=4), group=group)
    assert group.checked[0] == "the corpus (sha256)"
    with pytest.raises(ConfigError, match="cannot exceed the batch size"):
        TrainConfig(batch_size=2, processes=4).validate()


def _tiny(device: torch.device):
    from gru_desktop.core.corpus import SAMPLE_CORPUS, read_corpus

    corpus = read_corpus([SAMPLE_CORPUS])
    cfg = TrainConfig(embed_dim=16, hidden_size=32, batch_size=64, epochs=1, patience=0, precision="fp32")
    ds = build_dataset(corpus, cfg)
    torch.manual_seed(0)
    model = GRULanguageModel.from_config(cfg, len(ds.vocab), device)
    return cfg, ds, model


@pytest.mark.parametrize("device", GPUS or [pytest.param("cuda", marks=pytest.mark.skip(reason="no CUDA or MPS here"))])
def test_fused_loss_on_the_device_matches_cross_entropy(device):
    dev = resolve_device(device)
    torch.manual_seed(0)
    for tie in (False, True):
        m = GRULanguageModel(300, 16, 32, tie_weights=tie).to(dev)
        h = torch.randn(200, 32, device=dev, requires_grad=True)
        t = torch.randint(3, 300, (200,), device=dev)
        loss, hits = m.loss(h, t)
        ref = F.cross_entropy(m.logits(h), t)
        assert torch.allclose(loss, ref, rtol=1e-5, atol=1e-5)
        assert int(hits) == int((m.logits(h).argmax(1) == t).sum())
        g, = torch.autograd.grad(loss, h)
        g_ref, = torch.autograd.grad(ref, h)
        assert torch.allclose(g, g_ref, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("device", GPUS or [pytest.param("cuda", marks=pytest.mark.skip(reason="no CUDA or MPS here"))])
def test_training_on_the_device_gives_a_cpu_model_file(device, tmp_path):
    """One epoch on the GPU ≈ one epoch on the CPU; the saved file holds CPU tensors and loads without a GPU."""
    cfg, ds, model = _tiny(resolve_device(device))
    events = list(train(model, ds.train, ds.val, cfg, device=resolve_device(device)))
    gpu_val = [e for e in events if hasattr(e, "val_loss")][0].val_loss
    assert isinstance(events[-1], TrainingDone) and events[-1].reason == "completed"
    path = tmp_path / "m.pt"
    save_model(path, model, cfg, ds.vocab)
    raw = torch.load(path, map_location="cpu", weights_only=True)
    assert all(t.device.type == "cpu" for t in raw["state_dict"].values())
    loaded = load_model(path)
    assert next(loaded.model.parameters()).device.type == "cpu"
    cfg_cpu, ds_cpu, model_cpu = _tiny(torch.device("cpu"))
    cpu_val = [e for e in train(model_cpu, ds_cpu.train, ds_cpu.val, cfg_cpu) if hasattr(e, "val_loss")][0].val_loss
    assert abs(gpu_val - cpu_val) < 0.02 * cpu_val


def test_model_file_holds_plain_cpu_tensors(tmp_path):
    """save_model writes CPU copies of the weights (the GPU case is the test above, where a GPU is present)."""
    cfg = TrainConfig(embed_dim=8, hidden_size=8)
    m = GRULanguageModel.from_config(cfg, 20)
    from gru_desktop.core.vocab import Vocab

    vocab = Vocab(["<pad>", "<unk>", "<bos>"] + [f"w{i}" for i in range(17)])
    save_model(tmp_path / "m.pt", m, cfg, vocab)
    raw = torch.load(tmp_path / "m.pt", map_location="cpu", weights_only=True)
    assert all(t.device.type == "cpu" for t in raw["state_dict"].values())
    assert np.allclose(raw["state_dict"]["embedding.weight"].numpy(), m.embedding.weight.detach().numpy())
