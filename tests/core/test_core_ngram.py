"""The count-based baselines: Kneser–Ney trigram distributions, top-k by candidates, and the issue's test
(Kneser–Ney beats a unigram on held-out text). Small synthetic corpora only, so these run in well under a second."""
from __future__ import annotations

import math
import random

import numpy as np
import pytest

from gru_desktop.core.config import TrainConfig
from gru_desktop.core.corpus import read_corpus
from gru_desktop.core.data import build_dataset
from gru_desktop.core.ngram import KneserNeyTrigram, UnigramModel, positions
from gru_desktop.core.vocab import BOS, PAD, UNK

CFG = TrainConfig(vocab_size=40, val_fraction=0.2, seed=0)
NOUNS = ["cat", "dog", "bird", "fox", "horse", "cow", "goat", "owl", "mouse", "frog"]
VERBS = ["sat", "ran", "slept", "ate", "stood"]
PLACES = ["mat", "rug", "hill", "road", "bed", "roof", "lawn", "barn", "pond", "wall", "shed", "porch"]
RARE = [f"zog{i}" for i in range(60)]  # each seen once or twice: outside a 40-word vocabulary, so <unk>


def _dataset(tmp_path, lines, config=CFG):
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    return build_dataset(read_corpus([path], config.tokenizer, config.lowercase), config)


def _grammar_lines(n=400, seed=3):
    """Sentences with local structure (a trigram helps) and some rare words (which become <unk>)."""
    rng = random.Random(seed)
    lines = []
    for _ in range(n):
        noun = rng.choice(NOUNS)
        place = PLACES[NOUNS.index(noun)] if rng.random() < 0.8 else rng.choice(PLACES)  # a noun's usual place
        extra = f" with {rng.choice(RARE)}" if rng.random() < 0.2 else ""
        lines.append(f"the {noun} {rng.choice(VERBS)} on the {place}{extra}.")
    return lines


@pytest.fixture
def grammar(tmp_path):
    ds = _dataset(tmp_path, _grammar_lines())
    kn = KneserNeyTrigram().fit(ds.ids, ds.corpus.starts, ds.train_sentences, len(ds.vocab))
    return ds, kn


def _full(kn, u, v):
    """P(w | u, v) for every id w (0 .. V-1)."""
    w = np.arange(kn.V)
    return kn.prob(np.full(kn.V, u), np.full(kn.V, v), w)


def test_positions_match_the_gru_targets(grammar):
    ds, _ = grammar
    u, v, w = positions(ds.ids, ds.corpus.starts, ds.val_sentences)
    assert w.size == ds.val.n_tokens  # every word of a validation sentence is a target once
    first = v == BOS
    assert first.sum() == len(ds.val_sentences)
    assert (u[first] == PAD).all()
    assert not np.isin(w, [PAD, BOS]).any()


def test_distributions_sum_to_one_over_candidates(grammar):
    ds, kn = grammar
    vocab = ds.vocab
    the, cat, on, zzz = vocab.id("the"), vocab.id("cat"), vocab.id("on"), vocab.id("sat")
    contexts = [
        (PAD, BOS),  # a sentence's first word
        (on, the),  # a seen trigram context
        (cat, the),  # "cat the" never occurs, "the" does: back off to the bigram
        (zzz, zzz),  # "sat sat": unseen context with a seen last word
        (UNK, UNK),
    ]
    for u, v in contexts:
        p = _full(kn, u, v)
        assert p[PAD] == 0.0 and p[BOS] == 0.0  # never predicted
        candidates = np.delete(p, [PAD, BOS])
        assert (candidates > 0).all()  # the uniform floor: every target has some probability
        assert math.isclose(candidates.sum(), 1.0, rel_tol=0, abs_tol=1e-12)


def test_topk_by_candidates_equals_full_distribution(grammar):
    ds, kn = grammar
    u, v, w = positions(ds.ids, ds.corpus.starts, ds.val_sentences)
    inv, top = kn.topk(u, v, 3)
    for i in range(0, w.size, 7):
        p = _full(kn, u[i], v[i])
        p[[PAD, BOS]] = -1.0
        ids = np.arange(kn.V)
        expected = ids[np.lexsort((ids, -p))[:3]]  # ties: lower id first, as in topk
        assert top[inv[i]].tolist() == expected.tolist()


def test_kneser_ney_beats_unigram_on_validation(grammar):
    ds, kn = grammar
    starts = ds.corpus.starts
    uni = UnigramModel().fit(ds.ids, starts, ds.train_sentences, len(ds.vocab))
    r_kn = kn.score(ds.ids, starts, ds.val_sentences)
    r_uni = uni.score(ds.ids, starts, ds.val_sentences)
    assert r_kn.tokens == r_uni.tokens == ds.val.n_tokens
    assert r_kn.train_tokens == ds.train.n_tokens
    assert r_kn.perplexity < r_uni.perplexity
    assert r_kn.top1 > r_uni.top1 and r_kn.top3 > r_uni.top3
    assert 0 <= r_kn.top1 <= r_kn.top3 <= 1


def test_unk_targets_are_counted(grammar):
    ds, kn = grammar
    _, _, w = positions(ds.ids, ds.corpus.starts, ds.val_sentences)
    assert (w == UNK).sum() > 0  # the rare words fell outside the vocabulary
    report = kn.score(ds.ids, ds.corpus.starts, ds.val_sentences)
    assert report.tokens == w.size and math.isfinite(report.perplexity)
    # Scoring only the non-<unk> sentences gives fewer targets: <unk> positions were part of the count.
    starts = ds.corpus.starts
    clean = np.array([s for s in ds.val_sentences if (ds.ids[starts[s]:starts[s + 1]] != UNK).all()])
    assert kn.score(ds.ids, starts, clean).tokens < report.tokens


def test_deterministic_pattern_is_learned(tmp_path):
    lines = ["the cat sat on the mat."] * 50 + ["a dog ran to the park."] * 20
    ds = _dataset(tmp_path, lines, TrainConfig(val_fraction=0.2, seed=1))
    kn = KneserNeyTrigram().fit(ds.ids, ds.corpus.starts, ds.train_sentences, len(ds.vocab))
    on, the, mat = ds.vocab.id("on"), ds.vocab.id("the"), ds.vocab.id("mat")
    _, top = kn.topk(np.array([on]), np.array([the]), 3)
    assert top[0, 0] == mat
    assert kn.prob(np.array([on]), np.array([the]), np.array([mat]))[0] > 0.9
    report = kn.score(ds.ids, ds.corpus.starts, ds.val_sentences)
    # Only a sentence's first word is uncertain ("the" 5:2 against "a"): 1 miss in 6 or 7 at most.
    assert report.top1 > 0.8 and report.top3 == 1.0
    assert report.perplexity < 2.0


def test_fit_and_score_are_deterministic(grammar):
    ds, kn = grammar
    again = KneserNeyTrigram().fit(ds.ids, ds.corpus.starts, ds.train_sentences, len(ds.vocab))
    a = kn.score(ds.ids, ds.corpus.starts, ds.val_sentences)
    b = again.score(ds.ids, ds.corpus.starts, ds.val_sentences)
    assert (a.perplexity, a.top1, a.top3, a.tokens) == (b.perplexity, b.top1, b.top3, b.tokens)
