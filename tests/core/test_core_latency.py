"""What keeps a keystroke fast with learning on (issue 20's latency budget) gives the same answers as the slow
way: typing_keys' thresholds from each prefix's top three, the predictor's look back at a word just finished,
its remembered mixtures (never stale after a learn), and the word-end order of the page (chips, then learn)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from core_helpers import tiny_blend_run
from gru_desktop.core.config import TrainConfig
from gru_desktop.core.learner import Learner, typing_keys
from gru_desktop.core.personal import PersonalCounts
from gru_desktop.core.personal_view import NewWords, PersonalPart
from gru_desktop.core.predict import Predictor
from gru_desktop.core.time_saved import THRESHOLDS
from gru_desktop.core.vocab import RESERVED, UNK, is_word

torch.set_num_threads(1)
CFG = TrainConfig(seq_len=6, embed_dim=16, hidden_size=32, batch_size=16, lr=0.02, epochs=1, patience=0, seed=1)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return tiny_blend_run(tmp_path_factory.mktemp("latency"), CFG)


def _by_hand(probs, word, vocab, new, thr):
    """typing_keys' rule for one threshold, counted over the whole vocabulary at every prefix."""
    target = vocab.id(word)
    p_t = float(probs[target]) if target != UNK and vocab.suggestable[target] else -1.0
    if p_t < 0 and new is not None:
        found = new.probability(word)
        p_t = found if found is not None and found > 0 else -1.0
    wrong = 0
    for k in range(len(word)):
        ids = [i for i, w in enumerate(vocab.itos) if w.startswith(word[:k]) and vocab.suggestable[i]]
        shown_ids = [i for i in ids if probs[i] >= thr]
        nr, ns = new.count(word[:k], p_t, thr) if new is not None else (0, 0)
        rivals = sum(1 for i in shown_ids if probs[i] > p_t) + nr
        shown = min(3, len(shown_ids) + ns)
        if p_t >= thr and p_t >= 0 and rivals < 3:
            return k + 1, wrong + shown - 1
        wrong += shown
    return len(word) + 1, wrong


def test_typing_keys_equals_counting_every_threshold_by_hand(run):
    _, vocab, _ = run
    rng = np.random.default_rng(3)
    words = [w for w in vocab.itos if is_word(w) and w not in RESERVED][:25] + ["zorblax", "ca"]
    new = NewWords(["zorblax", "zorro"], np.array([0.03, 0.2]))
    for trial in range(12):
        probs = rng.dirichlet(np.full(len(vocab), 0.05 if trial % 2 else 1.0))
        probs = probs.astype(np.float32) if trial % 3 == 0 else probs
        for word in words:
            for extra in (None, new):
                got = typing_keys(probs, word, vocab, extra, THRESHOLDS)
                assert got == [_by_hand(probs, word, vocab, extra, thr) for thr in THRESHOLDS], (trial, word)


TYPED = ["the cat sat on the mat . the dog ran to the cat sat on the mat zorblax the cat sat ",
         # a new word seen twice after "the" gets its third sighting after "a": "the"'s followers, remembered
         # in between (personal_view._Followers.eligible), must now count it
         "the zorblax sat . the zorblax sat . the cat sat . a zorblax ran to the cat . the zorblax sat on the "]


@pytest.mark.parametrize("text", TYPED)
def test_remembered_mixtures_equal_fresh_ones_while_learning(run, text):
    """A predictor typing and learning (its memos, its look back) suggests what a fresh predictor on the same
    counts suggests at every keystroke, with the same distribution; the look back at the finished word runs
    no GRU step."""
    model, vocab, blend = run
    counts = PersonalCounts()
    part = PersonalPart(counts, vocab, CFG.lowercase)
    part.weight.fitted = 0.3
    pred = Predictor(model, vocab, CFG, blend, "blend", personal=part)
    learner = Learner(part)
    typed = ""
    for ch in text:
        finished = ch == " " and typed and typed[-1] != " "
        before, _, word = typed.rpartition(" ")
        typed += ch
        got = pred.suggest(typed)
        steps = pred.steps
        if finished:
            learner.finished(pred, before + " " if before else "", word)
            assert pred.steps == steps  # looking back at the finished word: no GRU step
            got = pred.suggest(typed)
            assert pred.steps == steps  # and forward again: none either
        fresh = Predictor(model, vocab, CFG, blend, "blend", personal=PersonalPart(counts, vocab, CFG.lowercase,
                                                                                  part.weight))
        want = fresh.suggest(typed)
        assert [s.word for s in got] == [s.word for s in want], typed
        assert [s.probability for s in got] == pytest.approx([s.probability for s in want], abs=1e-6)
        assert np.allclose(pred.probabilities(typed)[0].numpy(), fresh.probabilities(typed)[0].numpy(), atol=1e-7)
    assert counts.tick == len(text.split())


def test_trace_sources_do_not_change_the_chips(run):
    model, vocab, blend = run
    pred = Predictor(model, vocab, CFG, blend, "blend")
    probs, ctx = pred.probabilities("the cat sat on ")
    dists, _ = pred.distributions("the cat sat on ")
    again, _ = pred.probabilities("the cat sat on t")
    assert again is probs  # remembered through the trace's three sources
    assert torch.equal(dists["blend"], probs)
