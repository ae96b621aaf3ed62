"""TrainConfig.validate names the wrong field."""
from __future__ import annotations

import pytest

from gru_desktop.core.config import TrainConfig
from gru_desktop.core.errors import ConfigError, UserError


def test_defaults_valid():
    cfg = TrainConfig()
    assert cfg.validate() is cfg


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"seq_len": 0}, "seq_len"),
        ({"embed_dim": -1}, "embed_dim"),
        ({"vocab_size": 3}, "vocab_size"),
        ({"epochs": -1}, "epochs"),
        ({"epochs": 0, "budget": 0.0}, "budget"),
        ({"lr": 0}, "lr"),
        ({"lr": float("nan")}, "lr"),
        ({"dropout": 1.5}, "dropout"),
        ({"val_fraction": 0.9}, "val_fraction"),
        ({"tokenizer": "x"}, "tokenizer"),
        ({"precision": "fp8"}, "precision"),
        ({"seq_len": 2.5}, "seq_len"),
        ({"batch_size": True}, "batch_size"),
        ({"vocab_size": 2_000_000, "embed_dim": 4096}, "vocab_size"),
        ({"embed_dim": 5000}, "embed_dim"),
    ],
)
def test_invalid_values_name_the_field(changes, field):
    with pytest.raises(ConfigError) as ei:
        TrainConfig(**changes).validate()
    assert ei.value.field == field
    assert isinstance(ei.value, UserError)
    assert str(ei.value)


def test_round_trip_dict_ignores_unknown_keys():
    cfg = TrainConfig(seq_len=7, lr=0.02)
    d = cfg.to_dict()
    d["from_the_future"] = 1
    assert TrainConfig.from_dict(d) == cfg


def test_learning_rate_auto_is_resolved_by_the_size_of_the_text():
    from gru_desktop.core.config import AUTO_LR, AUTO_LR_ABOVE, auto_lr
    assert TrainConfig().lr is None  # the default is "auto"
    limit, small = AUTO_LR[0]
    assert TrainConfig().resolved(limit - 1).lr == small == 0.005
    assert TrainConfig().resolved(limit).lr == AUTO_LR_ABOVE == 0.02 == auto_lr(10**9)
    assert TrainConfig(lr=0.01).resolved(10).lr == 0.01  # a number stays what it is
    cfg = TrainConfig(dropout=0.1).resolved(10)
    assert (cfg.dropout, cfg.lr) == (0.1, 0.005)


def test_dropout_auto_is_resolved_by_the_size_of_the_text():
    from gru_desktop.core.config import AUTO_DROPOUT, auto_dropout

    cfg = TrainConfig()
    assert cfg.dropout is None
    cfg.validate()
    assert cfg.resolved(10_000).dropout == AUTO_DROPOUT[0][1]
    assert cfg.resolved(AUTO_DROPOUT[0][0]).dropout == 0.0
    assert cfg.resolved(5_000_000).dropout == 0.0 == auto_dropout(10**9)
    assert cfg.replace(dropout=0.2).resolved(10).dropout == 0.2  # a number is kept
    assert TrainConfig.from_dict(cfg.to_dict()).dropout is None


def test_validate_reports_every_wrong_setting_at_once():
    with pytest.raises(ConfigError) as ei:
        TrainConfig(seq_len=0, lr=0.0, tokenizer="x", device="gpu").validate()
    assert list(ei.value.problems) == ["seq_len", "tokenizer", "lr", "device"]  # in field order
    assert ei.value.field == "seq_len"
    assert all(message in str(ei.value) for message in ei.value.problems.values())
    assert TrainConfig(seq_len=0, lr=0.0).problems() == {
        "seq_len": "seq_len must be between 1 and 1,000, not 0", "lr": "lr must be between 1e-07 and 10, not 0"}


def test_every_setting_has_its_label_help_and_what_it_allows():
    from dataclasses import fields

    from gru_desktop.core.config import SETTINGS

    assert list(SETTINGS) == [f.name for f in fields(TrainConfig)]
    for s in SETTINGS.values():
        assert s.label and s.help, s.name
        assert s.kind is bool or s.range or s.choices, s.name  # nothing unbounded
        assert not s.problem(s.default), s.name
        assert (s.flag is not None) == (s.kind is bool), s.name


def test_ranges_and_choices_are_what_validate_allows():
    """The metadata is the rule: each range's ends pass and one step beyond fails, each choice passes."""
    from gru_desktop.core.config import SETTINGS

    base = TrainConfig(epochs=5, batch_size=65_536)  # no combination rule in the way (budget, processes)
    for s in SETTINGS.values():
        if s.range:
            lo, hi = s.range
            step = 1 if s.kind is int else 1e-9
            for ok in (lo, hi):
                assert s.name not in base.replace(**{s.name: ok}).problems(), (s.name, ok)
            for bad in (lo - step, hi + step):
                assert s.name in base.replace(**{s.name: bad}).problems(), (s.name, bad)
        for choice in s.choices:
            assert s.name not in base.replace(**{s.name: choice}).problems()
    assert "layers" in TrainConfig(layers=SETTINGS["layers"].range[1] + 1).problems()


def test_a_combination_is_checked_once_each_setting_is_right():
    assert list(TrainConfig(epochs=0, budget=0.0).problems()) == ["budget"]
    assert list(TrainConfig(processes=8, batch_size=4).problems()) == ["processes"]
    assert list(TrainConfig(processes=8, batch_size=0).problems()) == ["batch_size"]  # not yet the combination


def test_parameter_count_is_the_real_models_numel():
    """Layers above the first read H, not E: the count must be the model's own numel() for any sizes."""
    import random

    import torch

    from gru_desktop.core.model import GRULanguageModel

    rng = random.Random(7)
    for _ in range(40):
        c = TrainConfig(vocab_size=rng.randint(10, 3000), embed_dim=rng.randint(1, 96),
                        hidden_size=rng.randint(1, 96), layers=rng.randint(1, 4), tie_weights=rng.random() < 0.5)
        with torch.device("meta"):
            m = GRULanguageModel(c.vocab_size, c.embed_dim, c.hidden_size, c.layers, tie_weights=c.tie_weights)
        assert c.parameter_count() == sum(p.numel() for p in m.parameters()), c
