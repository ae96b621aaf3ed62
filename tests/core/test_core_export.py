"""Model exports as the field makes them now: torch.export (.pt2) and ONNX, each loaded the way a consumer
would (torch.export.load; onnxruntime) and compared with the Predictor's next-word probabilities; a
deliberately broken export is refused and leaves no file behind."""
from __future__ import annotations

import copy
import json
import sys

import pytest
import torch

from gru_desktop.core import export_onnx as onnx_mod
from gru_desktop.core import export_pt2 as pt2_mod
from gru_desktop.core.config import TrainConfig
from gru_desktop.core.modelfile import LoadedModel
from gru_desktop.core.predict import Predictor
from gru_desktop.core.step_module import PARITY_TOLERANCE, ExportError, check_parity, step_module
from gru_desktop.core.vocab import BOS

torch.set_num_threads(1)

from core_helpers import tiny_trained_model  # noqa: E402

# two layers and a tied output layer: the harder case for an exporter
CFG = TrainConfig(seq_len=4, embed_dim=16, hidden_size=24, layers=2, batch_size=16, lr=0.01, epochs=4, patience=0)
TEXTS = ("", "my dog ", "the cat sat on the ", "the cat sat on the mat , and ate a ")


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> LoadedModel:
    return tiny_trained_model(tmp_path_factory.mktemp("export"), CFG)


@pytest.fixture(scope="module")
def pt2_file(loaded, tmp_path_factory):
    path = tmp_path_factory.mktemp("pt2") / "model.pt2"
    done = pt2_mod.export_pt2(loaded, path)
    assert done.path == path and done.parity.max_difference <= PARITY_TOLERANCE
    return path


@pytest.fixture(scope="module")
def onnx_file(loaded, tmp_path_factory):
    pytest.importorskip("onnxruntime")
    path = tmp_path_factory.mktemp("onnx") / "model.onnx"
    done = onnx_mod.export_onnx(loaded, path)
    assert done.exporter in onnx_mod.EXPORTERS and done.parity.max_difference <= PARITY_TOLERANCE
    return path


def chained(step, ids: list[int], layers: int, hidden: int):
    """Feed `<bos>` and the ids one step at a time, each with the state the step itself returned."""
    state = torch.zeros(layers, 1, hidden)
    for i in [BOS, *ids]:
        probs, state = step(torch.tensor([i]), state)
        probs, state = torch.as_tensor(probs), torch.as_tensor(state)
    return probs


def test_pt2_loads_with_torch_export_alone_and_matches_the_predictor(loaded, pt2_file):
    extra = {"vocab.json": "", "config.json": ""}
    step = torch.export.load(str(pt2_file), extra_files=extra).module()  # what a consumer writes
    vocab, config = json.loads(extra["vocab.json"]), json.loads(extra["config.json"])
    assert vocab == list(loaded.vocab.itos) and config == loaded.config.to_dict()
    pred = Predictor(loaded.model, loaded.vocab, loaded.config)
    for text in TEXTS:
        expected, ctx = pred.probabilities(text)
        with torch.no_grad():
            got = chained(step, ctx.ids, config["layers"], config["hidden_size"])
        assert got.shape == (len(vocab),)
        assert float((got - expected).abs().max()) <= 1e-4, text
    assert pred.suggest("the cat sat on the ", 1)[0].word == "mat"  # the model learned: real inputs


def test_onnx_runs_in_onnxruntime_and_matches_the_predictor(loaded, onnx_file):
    import onnxruntime

    session = onnxruntime.InferenceSession(str(onnx_file), providers=["CPUExecutionProvider"])
    meta = session.get_modelmeta().custom_metadata_map
    vocab, config = json.loads(meta["vocab.json"]), json.loads(meta["config.json"])
    assert vocab == list(loaded.vocab.itos) and TrainConfig.from_dict(config) == loaded.config
    assert [i.name for i in session.get_inputs()] == ["token", "state"]

    def step(token, state):
        return session.run(["probs", "state_out"], {"token": token.numpy(), "state": state.numpy()})

    pred = Predictor(loaded.model, loaded.vocab, loaded.config)
    for text in TEXTS:
        expected, ctx = pred.probabilities(text)
        got = chained(step, ctx.ids, config["layers"], config["hidden_size"])
        assert float((got - expected).abs().max()) <= 1e-4, text


def test_onnx_gru_keeps_linear_before_reset(onnx_file):
    import onnx

    grus = [n for n in onnx.load(str(onnx_file)).graph.node if n.op_type == "GRU"]
    for node in grus:  # PyTorch's GRU applies the reset gate after the hidden linear layer
        assert {a.name: a.i for a in node.attribute}.get("linear_before_reset") == 1


def _with_linear_before_reset_off(data: bytes) -> bytes:
    """The reported exporter bug, made on purpose: ONNX's default GRU (reset gate before the linear layer)."""
    import onnx

    model = onnx.load_from_string(data)
    changed = 0
    for node in model.graph.node:
        for a in node.attribute:
            if node.op_type == "GRU" and a.name == "linear_before_reset":
                a.i = 0
                changed += 1
    assert changed, "no GRU node to break"
    return model.SerializeToString()


def test_a_broken_onnx_export_is_refused_and_nothing_is_written(loaded, onnx_file, tmp_path, monkeypatch):
    broken = _with_linear_before_reset_off(onnx_file.read_bytes())
    calls = []
    monkeypatch.setattr(onnx_mod, "onnx_bytes", lambda loaded, exporter: calls.append(exporter) or broken)
    out = tmp_path / "broken.onnx"
    with pytest.raises(ExportError, match=r"refused, nothing was written: .*differs from PyTorch by .* \(more than 0.0001\)"):
        onnx_mod.export_onnx(loaded, out)
    assert calls == list(onnx_mod.EXPORTERS)  # every exporter was tried and checked
    assert list(tmp_path.iterdir()) == []  # no file, no temporary file


def test_a_broken_pt2_export_is_refused_and_nothing_is_written(loaded, tmp_path, monkeypatch):
    wrong = copy.deepcopy(loaded.model)
    with torch.no_grad():
        wrong.gru.bias_hh_l1 += 0.5  # a second-layer bias off: the exported program computes something else
    real = pt2_mod.pt2_bytes
    monkeypatch.setattr(pt2_mod, "pt2_bytes", lambda ld: real(LoadedModel(wrong, ld.config, ld.vocab, ld.meta)))
    out = tmp_path / "broken.pt2"
    with pytest.raises(ExportError, match="refused, nothing was written: the torch.export program differs"):
        pt2_mod.export_pt2(loaded, out)
    assert list(tmp_path.iterdir()) == []


def test_parity_threshold_is_1e_4(loaded):
    reference = step_module(loaded)

    def off_by(delta):
        def step(token, state):
            probs, new = reference(token, state)
            return probs + delta, new
        return step

    assert check_parity(loaded, off_by(0.5e-4), "test").max_difference == pytest.approx(0.5e-4, rel=1e-2)
    with pytest.raises(ExportError, match="differs from PyTorch by 0.0002 at step 1"):
        check_parity(loaded, off_by(2e-4), "test")
    with pytest.raises(ExportError, match="nan"):
        check_parity(loaded, off_by(float("nan")), "test")


def test_onnx_export_without_onnxruntime_says_how_to_install_it(loaded, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime → ImportError
    with pytest.raises(ExportError, match=r"pip install 'gru-desktop\[onnx\]'"):
        onnx_mod.export_onnx(loaded, tmp_path / "m.onnx")
    assert list(tmp_path.iterdir()) == []


def test_exports_leave_the_model_as_it_was(loaded, pt2_file):
    before = {k: v.clone() for k, v in loaded.model.state_dict().items()}
    pt2_mod.export_pt2(loaded, pt2_file)  # over an existing file
    assert all(torch.equal(v, before[k]) for k, v in loaded.model.state_dict().items())
    assert not loaded.model.training
    assert sorted(p.name for p in pt2_file.parent.iterdir()) == [pt2_file.name]


def test_load_pt2_rejects_other_files(tmp_path):
    from gru_desktop.core.errors import ModelFileError

    junk = tmp_path / "junk.pt2"
    junk.write_bytes(b"not a program")
    with pytest.raises(ModelFileError, match="junk.pt2"):
        pt2_mod.load_pt2(junk)
    with pytest.raises(ModelFileError, match="not found"):
        pt2_mod.load_pt2(tmp_path / "absent.pt2")
