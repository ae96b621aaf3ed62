"""Learning as you type (design §17): the personal counts, their view, the online weight and its held-out check."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from core_helpers import tiny_blend_run
from gru_desktop.core.adapt_weight import Observation, OnlineWeight
from gru_desktop.core.config import TrainConfig
from gru_desktop.core.learner import Learner, word_cost
from gru_desktop.core.personal import PersonalCounts
from gru_desktop.core.personal_view import PersonalPart
from gru_desktop.core.predict import Predictor

torch.set_num_threads(1)
CFG = TrainConfig(seq_len=6, embed_dim=16, hidden_size=32, batch_size=16, lr=0.02, epochs=2, patience=0, seed=1)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return tiny_blend_run(tmp_path_factory.mktemp("personal"), CFG)


def _predictor(run, counts=None):
    model, vocab, blend = run
    part = PersonalPart(counts if counts is not None else PersonalCounts(), vocab, CFG.lowercase)
    return Predictor(model, vocab, CFG, blend, "blend", personal=part), part


def _type(pred, part, text: str, learn: bool = True) -> None:
    """Finish every word of `text` in a box, one after another."""
    learner = Learner(part)
    typed = ""
    for word in text.split():
        learner.finished(pred, typed, word, learn=learn)
        typed += word + " "


def test_phrase_typed_three_times_is_suggested_not_after_once(run):
    pred, part = _predictor(run)
    part.weight.fitted = 0.3
    text = "the cat sat on the "
    before = {s.word for s in pred.suggest(text + "zorb")}
    assert "zorblax" not in before
    _type(pred, part, "the cat sat on the zorblax quintessa")
    after_once = pred.suggest(text + "zorb")
    assert "zorblax" not in {s.word for s in after_once}  # a new word typed once: never offered (a typo?)
    _type(pred, part, "the cat sat on the zorblax quintessa")
    _type(pred, part, "the cat sat on the zorblax quintessa")
    after_three = {s.word: s.probability for s in pred.suggest(text + "zorb")}
    assert "zorblax" in after_three and after_three["zorblax"] > 0.01
    nxt = {s.word for s in pred.suggest(text + "zorblax ")}
    assert "quintessa" in nxt


def test_known_phrase_probability_rises_with_learning(run):
    model, vocab, _ = run
    pred, part = _predictor(run)
    part.weight.fitted = 0.3
    ctx = "my dog ran to the "
    probs, _ = pred.probabilities(ctx)
    p0 = float(probs[vocab.id("cake")])
    for _ in range(3):
        _type(pred, part, ctx + "cake")
    probs, _ = pred.probabilities(ctx)
    assert float(probs[vocab.id("cake")]) > p0 + 0.05


def test_noise_weighs_the_personal_part_down_to_zero():
    w = OnlineWeight(window=200, min_evidence=30)
    rng = np.random.default_rng(0)
    for _ in range(200):  # the personal part gives the typed words almost nothing, and costs keys
        w.observe(Observation(float(rng.uniform(0.05, 0.5)), 1e-6, keys_with=6, keys_without=3, keys_plain=7))
    assert w.fitted < 0.01
    assert not w.helping and w.weight == 0.0
    assert "not helping" in w.verdict()
    good = OnlineWeight(window=200, min_evidence=30)
    for _ in range(200):
        good.observe(Observation(0.05, 0.6, keys_with=2, keys_without=4, keys_plain=7))
    assert good.helping and good.weight > 0.5


def test_the_window_savings_follow_words_in_and_out_and_survive_saving():
    """The window's key totals are kept as words come and go (a keystroke reads them, never sums 500 words):
    after it wraps, and after a save and load, they equal the sums over the window as it is."""
    rng = np.random.default_rng(2)
    w = OnlineWeight(window=50, min_evidence=10)
    for _ in range(173):
        plain = int(rng.integers(2, 12))
        w.observe(Observation(float(rng.uniform(0, 1)), float(rng.uniform(0, 1)), int(rng.integers(1, plain + 1)),
                              int(rng.integers(1, plain + 1)), plain))
    plain = sum(o.keys_plain for o in w.window)
    expected = (1 - sum(o.keys_with for o in w.window) / plain, 1 - sum(o.keys_without for o in w.window) / plain, 50)
    assert w.savings() == pytest.approx(expected, abs=1e-12)
    assert OnlineWeight.from_dict(w.to_dict()).savings() == pytest.approx(expected, abs=1e-12)


def test_learned_noise_is_weighed_down_end_to_end(run):
    """End to end: it was fed random words, then the user types real text (checked, not learned, so what it
    knows stays noise) → the rolling held-out check finds it costs keys and weighs it 0."""
    from core_helpers import A, B

    pred, part = _predictor(run)
    part.weight = OnlineWeight(window=150)
    rng = np.random.default_rng(1)
    vocab_words = [w for w in pred.vocab.itos[3:] if w.isalpha()]
    _type(pred, part, " ".join(rng.choice(vocab_words, size=300)))
    _type(pred, part, " ".join([A, B, A, A, B, A] * 6), learn=False)
    assert part.weight.decided
    with_, without, _ = part.weight.savings()
    assert with_ <= without and not part.weight.helping and part.d == 0.0
    assert part.weight.fitted < 0.2


def test_forget_removes_a_words_rows_and_forget_all_everything():
    c = PersonalCounts()
    for _ in range(3):
        c.learn([], "hello")
        c.learn(["hello"], "there")
        c.learn(["hello", "there"], "friend")
    assert ("hello", "there") in c.rows and ("hello", "there", "friend") in c.rows
    gone = c.forget(("there",))
    assert all("there" not in k for k in c.rows)
    assert ("hello", "there") in gone and ("hello", "there", "friend") in gone and ("there",) in gone
    assert ("hello",) in c.rows and ("friend",) in c.rows
    c.forget_all()
    assert not c.rows and not c.follow


def test_nothing_learned_while_paused(run):
    pred, part = _predictor(run)
    part.counts.paused = True
    _type(pred, part, "the cat sat on the zorblax")
    assert not part.counts.rows and part.counts.tick == 0 and not part.weight.window


def test_decay_and_cap():
    c = PersonalCounts(half_life=10, max_rows=100)
    c.learn([], "old")
    for i in range(200):
        c.learn([], f"w{i}")
    assert len(c.rows) <= 100
    assert ("old",) not in c.rows  # the oldest, least seen rows went first
    c2 = PersonalCounts(half_life=10)
    c2.learn([], "a")
    for _ in range(10):
        c2.learn([], "b")
    scale = c2.decay_scale()
    assert c2.rows[("a",)].inflated * scale == pytest.approx(0.5, rel=1e-6)  # 10 words later: half


def test_word_cost_with_new_words(run):
    _, vocab, _ = run
    probs = np.full(len(vocab), 1.0 / len(vocab))
    assert word_cost(probs, "zorblax", vocab) == len("zorblax") + 1
    from gru_desktop.core.personal_view import NewWords

    assert word_cost(probs, "zorblax", vocab, NewWords(["zorblax"], np.array([0.5]))) == 1
    assert word_cost(probs, ",", vocab) is None


def test_state_round_trip():
    c = PersonalCounts(half_life=50)
    for w in "a b c a b c a".split():
        c.learn([], w)
    rows = [c.to_row(k) for k in c.rows]
    d = PersonalCounts(half_life=50)
    d.load(rows, c.tick)
    for k in c.rows:
        assert d.rows[k].inflated * d.decay_scale() == pytest.approx(c.rows[k].inflated * c.decay_scale())
    w = OnlineWeight()
    w.observe(Observation(0.1, 0.2, 3, 4, 6))
    assert OnlineWeight.from_dict(w.to_dict()).to_dict() == w.to_dict()


def test_threshold_hides_low_probability_suggestions(run):
    from gru_desktop.core.learner import typing_keys

    _, vocab, _ = run
    probs = np.zeros(len(vocab))
    probs[vocab.id("cake")] = 0.04
    probs[vocab.id("cat")] = 0.5
    (k0, w0), (k1, w1) = typing_keys(probs, "cake", vocab, thresholds=(0.0, 0.05))
    assert k0 < len("cake") + 1  # shown without a threshold, accepted early
    assert k1 == len("cake") + 1  # below p = 0.05: never shown, typed in full
    assert w1 <= w0 + 2  # and "cat" (p 0.5) is the only wrong suggestion it still shows


def test_time_saved_model():
    from gru_desktop.core.time_saved import median_key_time, time_saved

    assert median_key_time([0.2] * 5) is None
    assert median_key_time([0.1] * 20 + [10.0]) == pytest.approx(0.1)
    slow = time_saved(words=100, plain=600, keys=400, accepted=50, key_s=1.0)
    fast = time_saved(words=100, plain=600, keys=400, accepted=50, key_s=0.1)
    assert slow["seconds_per_100_words"] == pytest.approx(200 - 67.5)
    assert fast["seconds_per_100_words"] < 0  # a fast typist loses time to reading suggestions
    assert slow["break_even_key_s"] == pytest.approx(1.35 * 50 / 200)


def test_a_forgotten_word_is_no_longer_suggested(run):
    pred, part = _predictor(run)
    part.weight.fitted = 0.3
    for _ in range(3):
        _type(pred, part, "the cat sat on the zorblax")
    assert "zorblax" in {s.word for s in pred.suggest("the cat sat on the zo")}
    part.counts.forget(("zorblax",))
    assert "zorblax" not in {s.word for s in pred.suggest("the cat sat on the zo")}
    assert all("zorblax" not in k for k in part.counts.rows)
