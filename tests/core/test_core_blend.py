"""The blend of GRU, Kneser–Ney counts and recency cache (design §11): distributions, fitting, the counts file."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from gru_desktop.core.blend import CACHE_WINDOW, STATE_WINDOW, Blend, Weights, cache_row, fit_weights, fit_with_state, mix
from gru_desktop.core.blend_stream import _cache_rows, stream
from gru_desktop.core.config import TrainConfig
from gru_desktop.core.corpus import read_corpus
from gru_desktop.core.counts_file import counts_path, load_counts, save_counts
from gru_desktop.core.data import build_dataset
from gru_desktop.core.errors import ModelFileError
from gru_desktop.core.evaluate import evaluate_parts, fit_blend
from gru_desktop.core.model import GRULanguageModel
from gru_desktop.core.predict import Predictor
from gru_desktop.core.train import TrainingDone, train
from gru_desktop.core.vocab import Vocab

torch.set_num_threads(1)

CFG = TrainConfig(seq_len=6, embed_dim=16, hidden_size=32, batch_size=16, lr=0.02, epochs=5, patience=0, seed=1)


def _disagreeing_text(n: int = 400, seed: int = 3) -> str:
    """Two kinds of sentence: the last word depends on the first, five words back (the GRU can learn it, a
    trigram cannot), and rare fixed phrases that counting memorises at once (the small GRU learns them slowly)."""
    rng = np.random.default_rng(seed)
    fillers = ["red", "green", "blue", "small", "large", "old", "new", "quiet"]
    lines = []
    for _ in range(n):
        if rng.random() < 0.7:
            first, last = (["north", "cold"], ["south", "warm"])[int(rng.integers(2))]
            middle = " ".join(rng.choice(fillers, size=4))
            lines.append(f"{first} {middle} {last}.")
        else:
            k = int(rng.integers(150))
            lines.append(f"see phrase{k} partner{k} and friend{k}.")
    return " ".join(lines)


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    p = tmp_path_factory.mktemp("blend") / "text.txt"
    p.write_text(_disagreeing_text(), encoding="utf-8")
    corpus = read_corpus(p)
    ds = build_dataset(corpus, CFG)
    torch.manual_seed(CFG.seed)
    model = GRULanguageModel.from_config(CFG, len(ds.vocab))
    for ev in train(model, ds.train, ds.val, CFG):
        assert not isinstance(ev, TrainingDone) or ev.reason == "completed"
    blend = fit_blend(model, ds.vocab, corpus, ds.ids, ds.train_sentences, ds.val_sentences)
    return corpus, ds, model, blend


def test_dense_counts_match_pointwise_probabilities_and_sum_to_one(fitted):
    corpus, ds, _, blend = fitted
    kn = blend.counts
    rng = np.random.default_rng(0)
    V = len(ds.vocab)
    u, v = rng.integers(0, V, 40), rng.integers(0, V, 40)
    u[:5], v[:5] = 0, 2  # sentence starts
    dense = kn.dense(u, v)
    assert np.allclose(dense.sum(axis=1), 1.0, atol=1e-12)
    w = np.arange(V)
    pointwise = np.stack([kn.prob(np.full(V, a), np.full(V, b), w) for a, b in zip(u, v, strict=True)])
    assert np.allclose(dense, pointwise, atol=1e-15)


def test_blend_is_a_distribution_and_its_extremes_are_its_parts(fitted):
    corpus, ds, model, blend = fitted
    sl = next(stream(model, ds.ids, corpus.starts, ds.val_sentences, blend.counts, ds.vocab.suggestable))
    mixed = mix(blend.weights, sl.gru, sl.counts, sl.cache)
    assert np.allclose(mixed.sum(axis=1), 1.0, atol=1e-5)
    assert np.array_equal(mix(Weights(1.0, 0.0, 0.0), sl.gru, sl.counts, sl.cache), sl.gru.astype(np.float64))
    assert np.array_equal(mix(Weights(0.0, 1.0, 0.0), sl.gru, sl.counts, sl.cache), sl.counts)
    # The predictor's sources are the same three distributions.
    pred = Predictor(model, ds.vocab, CFG, blend)
    dists, _ = pred.distributions("north red blue ")
    assert set(dists) == {"blend", "gru", "counts"}
    for probs in dists.values():
        assert float(probs.sum()) == pytest.approx(1.0, abs=1e-4)
    gru_only = Predictor(model, ds.vocab, CFG)
    assert torch.equal(dists["gru"], gru_only.probabilities("north red blue ")[0])
    counts = pred.counts_row(ds.vocab.encode(["red", "blue"]))
    assert np.allclose(dists["counts"].numpy(), counts, atol=1e-6)


def test_fitted_weights_beat_both_parts_on_validation(fitted):
    corpus, ds, model, blend = fitted
    parts = evaluate_parts(model, ds.vocab, CFG, corpus, ds.val_sentences, blend=blend)
    assert 0.05 < blend.weights.lam < 0.95, blend.weights  # they disagree: both parts get weight
    assert parts["blend"].loss < parts["gru"].loss - 0.01
    assert parts["blend"].loss < parts["counts"].loss - 0.01
    assert parts["gru"].tokens == parts["counts"].tokens == parts["blend"].tokens == ds.val.n_tokens


def test_em_weights_never_worse_than_the_best_part():
    rng = np.random.default_rng(0)
    a, b, c = rng.random(500) ** 3, rng.random(500) * 0.1, rng.random(500) ** 2
    w = fit_weights(a, b, c)
    assert w.gru + w.counts + w.cache == pytest.approx(1.0)
    nll = -np.log(w.gru * a + w.counts * b + w.cache * c).mean()
    for single in (a, b, c):
        assert nll <= -np.log(single).mean() + 1e-9


def test_prefix_completion_ranks_by_the_blend(fitted):
    corpus, ds, model, blend = fitted
    pred = Predictor(model, ds.vocab, CFG, blend)
    k = max(range(150), key=lambda i: int(corpus.counts[corpus.words.index(f"partner{i}")])
            if f"partner{i}" in corpus.words else 0)  # the most frequent fixed phrase
    text = f"see phrase{k} partner{k} and f"
    probs, ctx = pred.probabilities(text)
    got = pred.suggest(text, 3)
    cands = ds.vocab.ids_with_prefix("f")
    order = cands[np.argsort(-probs.numpy()[cands], kind="stable")][:3]
    assert [s.word for s in got] == [ds.vocab.itos[i] for i in order]
    assert all(s.word.startswith("f") for s in got)
    # The counts know this fixed phrase: the blend gives its word more than the GRU alone does.
    gru = Predictor(model, ds.vocab, CFG, blend, "gru").probabilities(text)[0]
    target = ds.vocab.id(f"friend{k}")
    assert float(probs[target]) > float(gru[target])


def test_cache_rows_equal_counting_by_hand():
    rng = np.random.default_rng(1)
    V = 30
    ids = rng.integers(1, V, size=1500)
    suggestable = np.ones(V, dtype=bool)
    suggestable[:3] = False
    suggestable[7] = False  # say, a comma
    keep = suggestable[ids]
    kept_before = np.concatenate([[0], np.cumsum(keep)])
    src = np.array([0, 1, 5, 499, 500, 501, 777, 1200, 1499])
    rows = _cache_rows(kept_before, ids[keep], src, V)
    for j, row in zip(src, rows, strict=True):
        expect = cache_row(ids[:j].tolist(), suggestable, V)
        if expect is None:
            assert row.sum() == 0
        else:
            assert np.allclose(row, expect, atol=1e-12), j
    assert CACHE_WINDOW == 500


def test_counts_file_round_trip_and_refusals(fitted, tmp_path):
    _, ds, _, blend = fitted
    path = counts_path(tmp_path / "7.pt")
    assert path.name == "7.counts.npz"
    save_counts(path, blend.counts, blend.weights, ds.vocab, {"blend": {"perplexity": 3.0}})
    back = load_counts(path, ds.vocab)
    assert back.weights == blend.weights and back.report["blend"]["perplexity"] == 3.0
    u, v = np.array([0, 5]), np.array([2, 6])
    assert np.array_equal(back.counts.dense(u, v), blend.counts.dense(u, v))
    # Another vocabulary: refused.
    other = Vocab(list(ds.vocab.itos[:-1]) + ["zzz"])
    with pytest.raises(ModelFileError, match="another vocabulary"):
        load_counts(path, other)
    # Not a zip, extra or pickled arrays, damaged tables: refused, nothing executed.
    bad = tmp_path / "bad.counts.npz"
    bad.write_bytes(b"garbage" * 100)
    with pytest.raises(ModelFileError):
        load_counts(bad, ds.vocab)
    arrays = dict(np.load(path))
    np.savez(bad, **arrays, evil=np.array([object()], dtype=object))
    with pytest.raises(ModelFileError):
        load_counts(bad, ds.vocab)
    shuffled = dict(arrays, tri_keys=arrays["tri_keys"][::-1].copy())
    np.savez(bad, **shuffled)
    with pytest.raises(ModelFileError, match="damaged"):
        load_counts(bad, ds.vocab)
    np.savez_compressed(bad, **dict(arrays, tri_counts=np.ones(4_000_000, dtype=np.int64)))  # 32 MB of ones
    with pytest.raises(ModelFileError, match="unpack"):
        load_counts(bad, ds.vocab)
    meta = json.loads(bytes(arrays["meta"]).decode())
    meta["weights"] = {"gru": 0.9, "counts": 0.9, "cache": 0.0}
    np.savez(bad, **dict(arrays, meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)))
    with pytest.raises(ModelFileError, match="mixture"):
        load_counts(bad, ds.vocab)


def test_predictor_source_needs_counts(fitted):
    _, ds, model, blend = fitted
    with pytest.raises(ValueError):
        Predictor(model, ds.vocab, CFG, None, "counts")
    assert Predictor(model, ds.vocab, CFG, blend, "gru").source == "gru"
    assert Predictor(model, ds.vocab, CFG, blend).source == "blend"
    assert isinstance(Blend(blend.counts, blend.weights).report, dict)


def test_cache_follows_the_text_typed(fitted):
    _, ds, model, blend = fitted
    pred = Predictor(model, ds.vocab, CFG, Blend(blend.counts, Weights(0.0, 0.0, 1.0)))
    probs, ctx = pred.probabilities("north quiet quiet quiet red warm. south ")
    # Only the cache speaks: the shares of the words seen (punctuation and reserved ids never).
    top = [ds.vocab.itos[i] for i in probs.topk(2).indices.tolist()]
    assert top == ["quiet", "north"] or top[0] == "quiet"
    assert math.isclose(float(probs[ds.vocab.id("quiet")]), 3 / 7, rel_tol=1e-5)
    empty, _ = pred.probabilities("")
    assert float(empty.sum()) == pytest.approx(1.0, abs=1e-5)  # nothing seen: the counts stand in


def test_cache_history_read_incrementally_equals_reading_it_whole(fitted):
    _, ds, model, blend = fitted
    text = ("north red blue quiet cold. see phrase3 partner3 and friend3. south old new warm. " * 4)[:300]
    typing = Predictor(model, ds.vocab, CFG, blend)
    for end in range(1, len(text), 7):
        typed = typing.probabilities(text[:end])[0]
        fresh = Predictor(model, ds.vocab, CFG, blend).probabilities(text[:end])[0]
        assert torch.allclose(typed, fresh, atol=1e-7), end


def test_targets_only_stream_equals_the_dense_one(fitted):
    corpus, ds, model, blend = fitted
    dense = list(stream(model, ds.ids, corpus.starts, ds.val_sentences, blend.counts, ds.vocab.suggestable))
    thin = list(stream(model, ds.ids, corpus.starts, ds.val_sentences, blend.counts, ds.vocab.suggestable,
                       targets_only=True))
    for a, b in zip(dense, thin, strict=True):
        rows = np.arange(len(a.w))
        assert np.array_equal(a.w, b.w)
        assert np.allclose(a.gru[rows, a.w], b.gru, rtol=1e-5)
        assert np.allclose(a.counts[rows, a.w], b.counts, rtol=1e-12)
        assert np.allclose(a.cache[rows, a.w], b.cache, rtol=1e-6)


def _read_text(tmp_path, text: str):
    p = tmp_path / "t.txt"
    p.write_text(text, encoding="utf-8")
    return read_corpus(p)


def test_state_cache_rows_are_distributions_and_agree_with_targets_only(fitted, tmp_path):
    _, ds, model, blend = fitted
    corpus = _read_text(tmp_path, _disagreeing_text(60, seed=9))
    ids = ds.vocab.remap_table(corpus.words)[corpus.ids]
    every = np.arange(corpus.n_sentences)
    dense = list(stream(model, ids, corpus.starts, every, blend.counts, ds.vocab.suggestable, theta=2.0))
    thin = list(stream(model, ids, corpus.starts, every, blend.counts, ds.vocab.suggestable, targets_only=True,
                       theta=(0.5, 2.0)))
    for a, b in zip(dense, thin, strict=True):
        rows = np.arange(len(a.w))
        assert np.allclose(a.state.sum(axis=1), 1.0, atol=1e-9)
        assert np.allclose(a.state[rows, a.w], b.state[:, 1], atol=1e-9)
        assert not np.allclose(b.state[:, 0], b.state[:, 1])  # θ matters
    # The first position of the text has nothing before it: the counts stand in.
    assert np.array_equal(dense[0].state[0], dense[0].counts[0])


@pytest.mark.parametrize("window", [None, 7])
def test_state_cache_is_the_same_when_typing_as_when_evaluating(fitted, tmp_path, monkeypatch, window):
    """The predictor (GRU states of the text before, then of this sentence) and `stream` (the GRU over the
    whole text) give the same state-cache distribution at every position; also when the window is shorter
    than the text before (7 positions: it reaches back into earlier sentences, then only into this one)."""
    import gru_desktop.core.blend_stream as stream_module
    import gru_desktop.core.predict as predict_module
    if window:
        monkeypatch.setattr(stream_module, "STATE_WINDOW", window)  # where `stream` reads it
        monkeypatch.setattr(predict_module, "STATE_WINDOW", window)
    _, ds, model, blend = fitted
    text = _disagreeing_text(12, seed=5)
    corpus = _read_text(tmp_path, text)
    ids = ds.vocab.remap_table(corpus.words)[corpus.ids]
    only_state = Blend(blend.counts, Weights(0.0, 0.0, 0.0, 1.0), theta=1.5)
    rows = np.concatenate([sl.state for sl in stream(model, ids, corpus.starts, np.arange(corpus.n_sentences),
                                                     blend.counts, ds.vocab.suggestable, theta=1.5)])
    pred = Predictor(model, ds.vocab, CFG, only_state)
    sentences = [[corpus.words[i] for i in corpus.ids[corpus.starts[s]:corpus.starts[s + 1]].tolist()]
                 for s in range(corpus.n_sentences)]
    j = 0
    for k, sent in enumerate(sentences):
        before = " ".join(" ".join(x) + "." for x in sentences[:k])
        for m in range(len(sent)):
            typed = (before + " " if before else "") + " ".join(sent[:m]) + (" " if m else "")
            probs, ctx = pred.probabilities(typed)
            assert ctx.ids == ds.vocab.encode(sent[:m])
            expect = rows[j] if j else blend.counts.dense(np.array([0]), np.array([2]))[0]
            assert np.allclose(probs.numpy(), expect, atol=1e-5), (k, m)
            j += 1
    assert j == rows.shape[0] > 40


def test_state_cache_weight_and_theta_fitted_on_what_pays():
    rng = np.random.default_rng(4)
    n = 2000
    gru, counts, cache = rng.random(n) * 0.2, rng.random(n) * 0.2, rng.random(n) * 0.1
    # A state cache that is sure and right half the time (names copied from earlier) at θ = 2, vaguer at θ = 1.
    hit = rng.random(n) < 0.5
    sharp = np.where(hit, 0.9, 0.001)
    state = np.stack([np.where(hit, 0.3, 0.01), sharp], axis=1)
    w, theta = fit_with_state(gru, counts, cache, state, thetas=(1.0, 2.0))
    assert theta == 2.0 and w.state > 0.3
    assert w.gru + w.counts + w.cache + w.state == pytest.approx(1.0)
    mixed = w.gru * gru + w.counts * counts + w.cache * cache + w.state * sharp
    without = fit_weights(gru, counts, cache)
    assert -np.log(mixed).mean() < -np.log(without.gru * gru + without.counts * counts + without.cache * cache).mean()
    # One that never helps is left out.
    w, _ = fit_with_state(gru, counts, cache, np.full((n, 2), 1e-9), thetas=(1.0, 2.0))
    assert w.state < 1e-3


def test_counts_file_keeps_the_state_cache_and_reads_older_files(fitted, tmp_path):
    _, ds, _, blend = fitted
    path = tmp_path / "3.counts.npz"
    weights = Weights(0.5, 0.3, 0.1, 0.1)
    save_counts(path, blend.counts, weights, ds.vocab, {}, theta=2.0)
    back = load_counts(path, ds.vocab)
    assert back.weights == weights and back.theta == 2.0
    arrays = dict(np.load(path))
    meta = json.loads(bytes(arrays["meta"]).decode())
    older = dict(meta, weights={"gru": 0.6, "counts": 0.3, "cache": 0.1})
    del older["theta"]
    np.savez(path, **dict(arrays, meta=np.frombuffer(json.dumps(older).encode(), dtype=np.uint8)))
    assert load_counts(path, ds.vocab).weights == Weights(0.6, 0.3, 0.1, 0.0)
    for bad in ({"theta": float("nan")}, {"theta": -1}, {"weights": {"gru": 0.5, "counts": 0.3, "state": 0.5}}):
        np.savez(path, **dict(arrays, meta=np.frombuffer(json.dumps(dict(meta, **bad)).encode(), dtype=np.uint8)))
        with pytest.raises(ModelFileError):
            load_counts(path, ds.vocab)
    assert STATE_WINDOW == 2000


def test_first_tokens_takes_a_fixed_slice_of_validation():
    from gru_desktop.core.evaluate import first_tokens
    starts = np.array([0, 10, 25, 30, 60, 61])  # sentence lengths 10, 15, 5, 30, 1
    sents = np.array([0, 2, 3, 4])
    assert first_tokens(sents, starts, 12).tolist() == [0, 2]  # 10 + 5 words: about 12
    assert first_tokens(sents, starts, 10).tolist() == [0]
    assert first_tokens(sents, starts, 10_000).tolist() == [0, 2, 3, 4]


def test_counts_row_for_one_context_equals_dense_also_when_remembered(fitted, monkeypatch):
    _, ds, _, blend = fitted
    kn = blend.counts
    monkeypatch.setattr(type(kn), "ROW_CACHE_BYTES", 8 * kn.V * 8)  # room for 8 remembered contexts
    rng = np.random.default_rng(2)
    contexts = [(0, 2)] + [tuple(int(x) for x in rng.integers(0, kn.V, 2)) for _ in range(30)]
    contexts += contexts[::-1]  # asked again: some remembered, some evicted
    for u, v in contexts:
        assert np.allclose(kn.row(u, v), kn.dense(np.array([u]), np.array([v]))[0], rtol=1e-12, atol=1e-15)
    assert len(kn._rows) == 8
