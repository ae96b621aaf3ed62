"""Canaries (design §17): put into the training text only, and a canary seen 16 times is far more exposed
than one never trained on, whose exposure stays near chance."""
from pathlib import Path

import numpy as np
import pytest
import torch

from gru_desktop.core.canaries import REPEATS, by_repeats, canary_exposures, make_canaries, with_canaries
from gru_desktop.core.config import TrainConfig
from gru_desktop.core.corpus import read_corpus
from gru_desktop.core.data import build_dataset
from gru_desktop.core.errors import UserError
from gru_desktop.core.model import GRULanguageModel
from gru_desktop.core.train import train
from gru_desktop.resources import SAMPLE_CORPUS

# Small, and a steady learning rate (plateau): 8 epochs of 200 words are enough to learn a canary seen 16 times.
CFG = TrainConfig(embed_dim=16, hidden_size=64, epochs=8, batch_size=32, lr=0.05, dropout=0.0, patience=0,
                  checkpoint_minutes=0.0, threads=1, schedule="plateau")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    p = tmp_path_factory.mktemp("canary") / "small.txt"
    p.write_text(" ".join(Path(SAMPLE_CORPUS).read_text(encoding="utf-8").split()[:200]), encoding="utf-8")
    return read_corpus([p])


def test_canaries_go_into_training_only_and_leave_the_split_alone(corpus):
    plain = build_dataset(corpus, CFG)
    canaries = make_canaries(2, CFG.seed)
    assert [c.reps for c in canaries] == [r for r in REPEATS for _ in range(2)]
    assert make_canaries(2, CFG.seed) == canaries and make_canaries(2, 1) != canaries  # drawn from the seed
    ds = with_canaries(corpus, CFG, canaries)
    assert np.array_equal(ds.val_sentences, plain.val_sentences) and np.array_equal(ds.train_sentences, plain.train_sentences)
    def words(d):
        return [[d.vocab.itos[i] for i in row if i] for row in d.val.targets.tolist()]

    assert words(ds) == words(plain)  # validation: not one canary word more (the ids differ: the digits got some)
    added = ds.train.n_tokens - plain.train.n_tokens
    assert added == sum(c.reps * (len(c.text.split())) for c in canaries)
    assert all(str(d) in ds.vocab.stoi for d in range(10))
    with pytest.raises(UserError):
        make_canaries(0, 0)
    with pytest.raises(UserError):
        make_canaries(-1, 0)
    with pytest.raises(UserError):
        make_canaries(101, 0)


@pytest.fixture
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # on a busy machine two threads of tiny matrices wait on each other (design §10)
    yield
    torch.set_num_threads(before)


def test_a_canary_seen_16_times_is_exposed_and_an_unseen_one_is_not(corpus, one_thread):
    canaries = make_canaries(3, CFG.seed)
    ds = with_canaries(corpus, CFG, canaries)
    torch.manual_seed(0)
    model = GRULanguageModel.from_config(CFG, len(ds.vocab))
    for _ in train(model, ds.train, ds.val, CFG):
        pass
    found = canary_exposures(model, ds.vocab, CFG, canaries)
    after = by_repeats(found)
    assert all(e["masked"].endswith("* * * * * *") for e in found)  # the digits never shown
    assert after["16"] > after["0"] + 4, after  # measured: 9.97 (the most 1,000 candidates show) against 1.3
    assert after["0"] < 3.5, after  # never trained on: near chance (mean of log2(1001/U) ≈ 1.44 bits)
