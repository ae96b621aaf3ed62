"""TorchScript export: the file loads with torch.jit.load alone and gives the Predictor's suggestions."""
from __future__ import annotations

import json
import os
import warnings

import pytest
import torch

from gru_desktop.core.config import TrainConfig
from gru_desktop.core.errors import ModelFileError
from gru_desktop.core.export_torchscript import export_torchscript, load_torchscript
from gru_desktop.core.predict import Predictor
from gru_desktop.core.vocab import BOS

torch.set_num_threads(1)

from core_helpers import tiny_trained_model  # noqa: E402

CFG = TrainConfig(seq_len=4, embed_dim=16, hidden_size=32, batch_size=16, lr=0.01, epochs=4, patience=0)
TEXT = "the cat sat on the "


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """A tiny trained model, saved and loaded back the way runs are (a LoadedModel)."""
    return tiny_trained_model(tmp_path_factory.mktemp("export"), CFG)


@pytest.fixture(scope="module")
def exported(loaded, tmp_path_factory):
    path = tmp_path_factory.mktemp("ts") / "model.ts"
    assert export_torchscript(loaded, path) == path
    return path


def test_plain_jit_load_gives_the_predictors_top3(loaded, exported):
    expected = Predictor(loaded.model, loaded.vocab, loaded.config).suggest(TEXT, 3)
    assert [s.word for s in expected][:1] == ["mat"]  # the tiny corpus is learned

    extra = {"vocab.json": "", "config.json": ""}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch.jit is deprecated in recent torch
        module = torch.jit.load(str(exported), _extra_files=extra)
    vocab = json.loads(extra["vocab.json"])
    config = json.loads(extra["config.json"])
    assert vocab == list(loaded.vocab.itos)
    assert config == loaded.config.to_dict()

    ids = [BOS] + [vocab.index(w) for w in TEXT.split()]
    with torch.no_grad():
        probs = module(torch.tensor([ids], dtype=torch.int64))
    assert probs.shape == (len(vocab),)
    assert abs(float(probs.sum()) - 1.0) < 1e-5
    # Suggestions never offer reserved tokens or punctuation: rank among the words the Predictor may suggest.
    suggestable = torch.from_numpy(loaded.vocab.suggestable)
    values, order = probs.masked_fill(~suggestable, -1.0).topk(3)
    got = [(vocab[i], float(v)) for i, v in zip(order.tolist(), values.tolist(), strict=True)]
    assert [w for w, _ in got] == [s.word for s in expected]
    for (_, p), s in zip(got, expected, strict=True):
        assert p == pytest.approx(s.probability, abs=1e-5)


def test_whole_distribution_matches_step_by_step(loaded, exported):
    module, vocab, _ = load_torchscript(exported)
    pred = Predictor(loaded.model, loaded.vocab, loaded.config)
    for text in ("", "my dog ", "the cat sat on the mat , and "):
        probs, ctx = pred.probabilities(text)
        with torch.no_grad():
            got = module(torch.tensor([[BOS] + ctx.ids]))
        torch.testing.assert_close(got, probs, atol=1e-5, rtol=0)


def test_load_torchscript_returns_vocab_and_config(loaded, exported):
    module, vocab, config = load_torchscript(exported)
    assert isinstance(module, torch.jit.ScriptModule)
    assert vocab[:3] == ["<pad>", "<unk>", "<bos>"] and len(vocab) == len(loaded.vocab)
    assert TrainConfig.from_dict(config) == loaded.config


def test_export_leaves_model_untouched_and_writes_ordinary_file(loaded, exported):
    assert not loaded.model.training
    before = {k: v.clone() for k, v in loaded.model.state_dict().items()}
    export_torchscript(loaded, exported)  # over an existing file
    for k, v in loaded.model.state_dict().items():
        assert torch.equal(v, before[k])
    assert [p.name for p in exported.parent.iterdir()] == [exported.name]  # no temporary file left
    mask = os.umask(0)
    os.umask(mask)
    assert exported.stat().st_mode & 0o777 == 0o666 & ~mask


def test_export_into_missing_folder_raises_oserror_and_leaves_nothing(loaded, tmp_path):
    with pytest.raises(OSError):
        export_torchscript(loaded, tmp_path / "missing" / "m.ts")
    assert list(tmp_path.iterdir()) == []


def test_load_torchscript_rejects_other_files(tmp_path):
    junk = tmp_path / "junk.ts"
    junk.write_bytes(b"not a model")
    with pytest.raises(ModelFileError, match="junk.ts"):
        load_torchscript(junk)
    with pytest.raises(ModelFileError, match="not found"):
        load_torchscript(tmp_path / "absent.ts")
