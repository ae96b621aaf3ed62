"""Learning-rate schedules: cosine decay over the planned steps or the time limit; plateau halving."""
from __future__ import annotations

import pytest
import torch

from gru_desktop.core.config import TrainConfig
from gru_desktop.core.corpus import read_corpus
from gru_desktop.core.data import build_dataset
from gru_desktop.core.errors import ConfigError
from gru_desktop.core.model import GRULanguageModel
from gru_desktop.core.train import EpochResult, _cosine_lr, train

torch.set_num_threads(1)

from core_helpers import write_tiny_corpus  # noqa: E402

CFG = TrainConfig(seq_len=4, embed_dim=16, hidden_size=32, batch_size=16, lr=0.01, epochs=6, patience=0,
                  schedule="cosine")


def test_cosine_lr_over_steps_and_time():
    cfg = TrainConfig(lr=0.01, epochs=5)
    assert _cosine_lr(cfg, 0.0, 1e9) == pytest.approx(0.01)  # no time limit: elapsed time is ignored
    assert _cosine_lr(cfg, 0.5, 0.0) == pytest.approx(0.005)
    assert _cosine_lr(cfg, 1.0, 0.0) == pytest.approx(0.0)
    assert _cosine_lr(cfg, 2.0, 0.0) == pytest.approx(0.0)
    timed = cfg.replace(time_limit=100.0)
    assert _cosine_lr(timed, 0.0, 50.0) == pytest.approx(0.005)  # half the time gone: half the rate
    assert _cosine_lr(timed, 0.5, 10.0) == pytest.approx(0.005)  # whichever is further along


def test_cosine_lr_over_the_budget_of_epochs_auto():
    auto = TrainConfig(lr=0.01, epochs=0, budget=200.0)
    assert _cosine_lr(auto, 0.0, 100.0) == pytest.approx(0.005)  # planned over the budget
    assert _cosine_lr(auto.replace(time_limit=100.0), 0.0, 50.0) == pytest.approx(0.005)  # the tighter limit wins
    assert _cosine_lr(auto.replace(epochs=3), 0.0, 100.0) == pytest.approx(0.01)  # numeric epochs ignore the budget


def test_schedule_is_validated():
    with pytest.raises(ConfigError) as e:
        TrainConfig(schedule="linear").validate()
    assert e.value.field == "schedule"


def _epochs(ds, cfg):
    torch.manual_seed(cfg.seed)
    model = GRULanguageModel.from_config(cfg, len(ds.vocab))
    return [ev for ev in train(model, ds.train, ds.val, cfg) if isinstance(ev, EpochResult)]


def test_cosine_training_decays_learns_and_is_deterministic(tmp_path):
    ds = build_dataset(read_corpus(write_tiny_corpus(tmp_path)), CFG)
    a, b = _epochs(ds, CFG), _epochs(ds, CFG)
    lrs = [e.lr for e in a]
    assert lrs[0] < CFG.lr and all(x > y for x, y in zip(lrs, lrs[1:], strict=False)) and lrs[-1] < 0.1 * CFG.lr
    assert a[-1].train_loss < 0.5 * a[0].train_loss
    assert [(e.train_loss, e.val_loss) for e in a] == [(e.train_loss, e.val_loss) for e in b]
