"""Learn (design §15): putting questions together — modes, determinism per seed, missed questions first, the
three difficulties of a test, predict-then-reveal questions, sizes too big to run, and what is left out."""
from __future__ import annotations

import math

import pytest
import torch

from gru_desktop.core.config import TrainConfig
from gru_desktop.core.learn import (
    FAMILIES,
    MODES,
    TENSORS,
    Material,
    build_questions,
    regenerate,
    stage_question,
)
from gru_desktop.core.learn.quiz import make, registry
from learn_helpers import check_question, configs, material, read, write_corpus  # noqa: E402

SMALL = TrainConfig(seq_len=6, embed_dim=8, hidden_size=12, layers=2, vocab_size=60, batch_size=16)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return read(write_corpus(tmp_path_factory.mktemp("learn")))


def _epochs():
    losses = [(5.0, 5.2), (4.4, 4.9), (4.0, 4.8), (3.7, 4.95)]  # val rises at epoch 4 while train falls
    return [{"epoch": i + 1, "train_loss": t, "val_loss": v, "val_accuracy": 0.1 + 0.02 * i,
             "val_perplexity": math.exp(v)} for i, (t, v) in enumerate(losses)]


@pytest.fixture(scope="module")
def full(corpus):
    return material(corpus, SMALL, model=True, epochs=_epochs(),
                    run={"id": 3, "best_epoch": 3, "blend_weights": {"gru": 0.3, "counts": 0.6, "cache": 0.1}})


def test_every_family_at_two_difficulties_or_more():
    for family, variants in registry().items():
        assert len({d for d, _ in variants.values()}) >= 2, family
    assert set(registry()) == set(FAMILIES)


@pytest.mark.parametrize("mode", list(MODES))
def test_modes_sizes_and_determinism(full, mode):
    a = build_questions(full, mode, 11)
    assert len(a.questions) == MODES[mode]
    for q in a.questions:
        check_question(q)
    b = build_questions(full, mode, 11)
    assert [q.to_json() for q in a.questions] == [q.to_json() for q in b.questions]
    assert len({q.id for q in a.questions}) == len(a.questions)
    order = ["easy", "medium", "hard"]
    assert [order.index(q.difficulty) for q in a.questions] == sorted(order.index(q.difficulty) for q in a.questions)
    others = {tuple(q.id for q in build_questions(full, mode, s).questions) for s in range(12, 17)}
    assert len(others) > 1  # another seed, other questions


def test_test_mode_spans_difficulties_and_families(corpus, full):
    for seed in range(8):
        t = build_questions(full, "test", seed)
        assert {q.difficulty for q in t.questions} == {"easy", "medium", "hard"}
        assert len({q.family for q in t.questions}) >= 6
        assert t.skipped == ()
    bare = Material(SMALL)  # settings only: still all three difficulties
    t = build_questions(bare, "test", 1)
    assert {q.difficulty for q in t.questions} == {"easy", "medium", "hard"}
    assert {f for f, _ in t.skipped} == {"padding", "vocabulary", "training", "behaviour"}
    assert all("load a text" in why or "train a run" in why for _, why in t.skipped)
    assert not {q.family for q in t.questions} & {f for f, _ in t.skipped}


def test_missed_first_come_back_first(full):
    first = build_questions(full, "practice", 3)
    missed = [first.questions[4].id, "shapes:h_n:00000000:1", "nonsense", first.questions[1].id]
    again = build_questions(full, "practice", 99, missed_first=missed)
    assert [q.id for q in again.questions[:2]] == [missed[0], missed[3]]  # other material's id: not regenerable
    assert again.questions[0].to_json() == first.questions[4].to_json()
    assert len(again.questions) == 5 and len({q.id for q in again.questions}) == 5
    assert regenerate(full, "shapes:h_n:00000000:1") is None


def test_a_test_of_missed_questions_still_spans_difficulties(full):
    easy = [q.id for s in range(6) for q in build_questions(full, "test", s).questions if q.difficulty == "easy"]
    t = build_questions(full, "test", 50, missed_first=easy)
    assert len(t.questions) == 10 and [q.difficulty for q in t.questions[:7]] == ["easy"] * 7
    assert {q.difficulty for q in t.questions} == {"easy", "medium", "hard"}


def test_every_misconception_tag_has_words(full):
    from gru_desktop.core.learn import TAG_TEXT

    tags = {m.misconception for s in range(25) for q in build_questions(full, "test", s).questions for m in q.mistakes}
    assert len(tags) > 40 and tags <= set(TAG_TEXT), tags - set(TAG_TEXT)


def test_bad_mode_and_seed(full):
    with pytest.raises(ValueError, match="mode"):
        build_questions(full, "banana", 1)
    with pytest.raises(ValueError, match="seed"):
        build_questions(full, "quiz", -1)
    with pytest.raises(ValueError, match="tensor"):
        stage_question(full, "weights", 1)


def test_stage_question_is_a_shapes_question(full):
    for tensor in TENSORS:
        q = stage_question(full, tensor, 5)
        check_question(q)
        assert q.family == "shapes" and q.given["tensor"] == tensor
        assert q.given["vocab"] == len(full.dataset.vocab) and q.given["batch"] == SMALL.batch_size
        assert stage_question(full, tensor, 5) == q
        assert regenerate(full, q.id) == q
        for bf in (True, False):
            p = stage_question(full, tensor, 5, batch_first=bf)
            assert p.given["batch_first"] is bf and regenerate(full, p.id) == p


def test_misconception_of(full):
    q = stage_question(full, "h_n", 2)
    tags = {q.misconception_of(i) for i in range(len(q.options))} - {None}
    assert len(tags) == len(q.options) - 1
    with pytest.raises(IndexError):
        q.misconception_of(9)


def test_sizes_too_big_to_run_use_the_meta_device():
    huge = TrainConfig(vocab_size=2_000_000, embed_dim=4096, hidden_size=4096, layers=3, batch_size=65_536,
                       seq_len=12, tie_weights=False)
    mat = Material(huge)
    assert mat.vocab_size == 2_000_000
    q = make(mat, "shapes", "gru_output", 1)
    bf = q.given["batch_first"]
    assert q.options[q.answer] == ("(65536, 12, 4096)" if bf else "(12, 65536, 4096)")
    assert "meta device" in q.solution[-1]
    p = make(mat, "parameters", "total", 1)
    V, E, H = 2_000_000, 4096, 4096
    want = V * E + 3 * H * (E + H + 2) + 2 * 3 * H * (2 * H + 2) + H * V + V
    assert int(p.options[p.answer].replace(",", "")) == want
    assert registry()["code"]["fails"][1] is not None
    from gru_desktop.core.learn import Skip

    with pytest.raises(Skip, match="too big"):  # snippets are never executed at these sizes
        make(mat, "code", "fails", 1)
    with pytest.raises(Skip, match="too big"):  # nor a sequence the meta device would step through for minutes
        make(Material(huge.replace(seq_len=1000)), "shapes", "h_n", 1)
    assert build_questions(Material(huge.replace(seq_len=1000)), "quiz", 1).questions  # the others still come


def test_generation_leaves_torch_random_state_alone(full):
    torch.manual_seed(123)
    before = torch.rand(3)
    torch.manual_seed(123)
    build_questions(full, "test", 4)
    assert torch.equal(torch.rand(3), before)


def test_material_without_parts_names_what_to_do(corpus):
    mat = material(corpus, configs(0, 1)[0])
    assert set(mat.unavailable) == {"training", "behaviour"}
    given = Material(SMALL, unavailable={"behaviour": "run 4's model cannot be used: damaged"})
    assert given.unavailable["behaviour"].endswith("damaged")
