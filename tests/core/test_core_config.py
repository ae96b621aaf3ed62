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
