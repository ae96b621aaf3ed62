"""Shared by the Learn core tests: a small generated corpus, random configurations, materials built from them,
and the checks every question must pass whatever its family."""
from __future__ import annotations

import json
import math
import random
from pathlib import Path

import torch

from gru_desktop.core.config import TrainConfig
from gru_desktop.core.corpus import read_corpus
from gru_desktop.core.data import build_dataset
from gru_desktop.core.learn import DIFFICULTIES, FAMILIES, Material, Question, Skip
from gru_desktop.core.learn.quiz import make, registry
from gru_desktop.core.model import GRULanguageModel
from gru_desktop.core.predict import Predictor

N_CONFIGS = 200
KEYS = {"id", "family", "difficulty", "text", "options", "answer", "hint", "solution", "mistakes", "given"}


def write_corpus(folder: Path) -> Path:
    """~120 sentences of 2–16 words over a Zipf-like vocabulary: frequent words, and words seen once."""
    rng = random.Random(5)
    common = ["the", "a", "cat", "dog", "sat", "on", "mat", "ran", "to", "house", "and", "saw", "big", "small",
              "red", "old", "new", "went", "home", "park"]
    rare = [f"w{''.join(rng.choice('bcdfgklmnprstvz') for _ in range(6))}" for _ in range(160)]
    lines, used = [], 0
    for _ in range(120):
        words = []
        for _ in range(rng.randint(2, 16)):
            if rng.random() < 0.8:
                words.append(rng.choice(common))
            else:
                words.append(rare[used % len(rare)])  # each rare word once, a few of them twice
                used += 1
        lines.append(" ".join(words) + ".")
    p = folder / "learn.txt"
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return p


def random_config(rng: random.Random) -> TrainConfig:
    return TrainConfig(seq_len=rng.randint(1, 14), embed_dim=rng.randint(1, 24), hidden_size=rng.randint(1, 24),
                       layers=rng.randint(1, 3), vocab_size=rng.randint(4, 160), batch_size=rng.randint(1, 48),
                       tie_weights=rng.random() < 0.5, min_count=rng.choice((1, 1, 2)), seed=rng.randint(0, 99))


def configs(seed: int = 0, n: int = N_CONFIGS) -> list[TrainConfig]:
    rng = random.Random(seed)
    return [random_config(rng) for _ in range(n)]


def material(corpus, config: TrainConfig, *, model: bool = False, epochs: list[dict] | None = None,
             run: dict | None = None) -> Material:
    ds = build_dataset(corpus, config)
    predictor = None
    if model:
        torch.manual_seed(config.seed)
        m = GRULanguageModel.from_config(config, len(ds.vocab)).eval()
        with torch.no_grad():  # an untrained model is nearly uniform: spread its scores so rankings are clear
            m.fc.bias.normal_(0.0, 2.0)
        predictor = Predictor(m, ds.vocab, config)
    return Material(config, ds, run=run, epochs=epochs or [], predictor=predictor)


def read(path: Path):
    return read_corpus([path])


def check_question(q: Question) -> None:
    """What every question must be: distinct options, one keyed answer, a tagged mistake per wrong option,
    steps with a final answer and a quick check, JSON with the CLI's keys."""
    assert q.family in FAMILIES and q.difficulty in DIFFICULTIES
    assert 3 <= len(q.options) <= 4, q.options
    assert len(set(q.options)) == len(q.options), q.options
    assert 0 <= q.answer < len(q.options)
    assert sorted(m.option for m in q.mistakes) == [i for i in range(len(q.options)) if i != q.answer]
    assert all(m.misconception and m.explanation for m in q.mistakes)
    assert q.misconception_of(q.answer) is None
    assert any(s.startswith("Final answer") for s in q.solution) and any(s.startswith("Quick check") for s in q.solution)
    data = json.loads(json.dumps(q.to_json()))
    assert KEYS <= set(data)
    assert data["options"] == list(q.options) and data["answer"] == q.answer
    for x in data["given"].values():
        assert not (isinstance(x, float) and not math.isfinite(x))


def generate(mat: Material, family: str, variant: str, qseed: int) -> Question | None:
    try:
        q = make(mat, family, variant, qseed)
    except Skip:
        return None
    check_question(q)
    return q


def variants(family: str) -> list[str]:
    return list(registry()[family])


def exactly_one(q: Question, truths: list[bool]) -> None:
    """The independent check (one truth per option): the keyed option is true and no other option is."""
    truths = [bool(t) for t in truths]
    assert truths[q.answer], (q.id, q.options[q.answer], q.given)
    assert sum(truths) == 1, (q.id, q.options, truths, q.given)
