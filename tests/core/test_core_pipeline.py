"""Shapes of each pipeline stage, and padding never counting."""
from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from gru_desktop.core.config import TrainConfig
from gru_desktop.core.corpus import read_corpus
from gru_desktop.core.data import batches, build_dataset, make_windows
from gru_desktop.core.model import GRULanguageModel
from gru_desktop.core.trace import pipeline_trace
from gru_desktop.core.train import evaluate_windows
from gru_desktop.core.vocab import BOS, PAD

torch.set_num_threads(1)

CFG = TrainConfig(seq_len=4, embed_dim=16, hidden_size=32, batch_size=16, lr=0.01, epochs=2, patience=0)


def _ids_starts(lengths):
    """A flat id array with sentence k = ids 10*k+3 ... (distinct ids), and sentence starts."""
    ids, starts = [], [0]
    for k, n in enumerate(lengths):
        ids.extend(3 + 10 * k + j for j in range(n))
        starts.append(len(ids))
    return np.array(ids, dtype=np.int32), np.array(starts, dtype=np.int64)


def test_make_windows_shapes_and_layout():
    lengths = [3, 4, 9, 1]
    ids, starts = _ids_starts(lengths)
    L = 4
    sentences = np.array([0, 1, 2, 3])
    w = make_windows(ids, starts, sentences, L)
    n_win = sum((n + L - 1) // L for n in lengths)  # 1 + 1 + 3 + 1
    assert n_win == 6
    assert w.inputs.shape == (n_win, L)
    assert w.targets.shape == (n_win, L)
    assert w.lengths.shape == (n_win,)
    assert w.inputs.dtype == torch.int64 and w.targets.dtype == torch.int64
    assert w.lengths.tolist() == [3, 4, 4, 4, 1, 1]
    assert w.n_tokens == sum(lengths) == int(w.lengths.sum())
    # sentence 0: <bos> w1 w2 | targets w1 w2 w3, zeros after
    assert w.inputs[0].tolist() == [BOS, 3, 4, PAD]
    assert w.targets[0].tolist() == [3, 4, 5, PAD]
    # sentence 2 (9 words) is cut into 3 consecutive windows, only the first starts with <bos>
    s2 = [23 + j for j in range(9)]
    assert w.inputs[2].tolist() == [BOS] + s2[0:3]
    assert w.targets[2].tolist() == s2[0:4]
    assert w.inputs[3].tolist() == s2[3:7]
    assert w.targets[3].tolist() == s2[4:8]
    assert w.inputs[4].tolist() == [s2[7], PAD, PAD, PAD]
    assert w.targets[4].tolist() == [s2[8], PAD, PAD, PAD]
    # one-word sentence
    assert w.inputs[5].tolist() == [BOS, PAD, PAD, PAD]
    assert w.targets[5].tolist() == [33, PAD, PAD, PAD]
    # zeros exactly after the real positions
    for r in range(n_win):
        n = int(w.lengths[r])
        assert (w.inputs[r, n:] == PAD).all() and (w.targets[r, n:] == PAD).all()
        assert (w.targets[r, :n] != PAD).all()


def test_make_windows_every_word_target_once_for_chosen_sentences():
    rng = np.random.default_rng(1)
    lengths = rng.integers(1, 20, size=30).tolist()
    ids, starts = _ids_starts(lengths)
    chosen = np.array([5, 0, 17, 29, 3])
    w = make_windows(ids, starts, chosen, 5)
    assert int(w.lengths.sum()) == sum(lengths[k] for k in chosen)
    real = w.targets[w.targets != PAD].tolist()
    expected = [i for k in chosen for i in ids[starts[k]: starts[k + 1]].tolist()]
    assert real == expected  # each word once, in order
    # number of windows starting with <bos> is the number of sentences
    assert int((w.inputs[:, 0] == BOS).sum()) == len(chosen)
    assert w.segment_starts[-1] == w.n_windows


def test_batches_cover_every_window_once():
    lengths = [3, 7, 12, 1, 5, 9, 2]
    ids, starts = _ids_starts(lengths)
    w = make_windows(ids, starts, np.arange(len(lengths)), 3)
    seen = 0
    for b in batches(w, 3, np.random.default_rng(0)):
        assert b.inputs.shape[1] == 3
        assert b.n_tokens == int(b.lengths.sum())
        seen += b.n_tokens
    assert seen == sum(lengths)


def _model(V, seed=0):
    torch.manual_seed(seed)
    return GRULanguageModel(V, 16, 32).eval()


@pytest.fixture
def five_sentences():
    """Windows of L=4 over five sentences of 3, 4, 9, 1 and 6 words, and a small model for them."""
    ids, starts = _ids_starts([3, 4, 9, 1, 6])
    V = int(ids.max()) + 1
    return ids, make_windows(ids, starts, np.arange(5), 4), V, _model(V)


def test_model_forward_shapes(five_sentences):
    ids, w, V, m = five_sentences
    state = m.init_state(w.n_windows)
    logits, targets, h = m(w.inputs, w.lengths, w.targets, state)
    assert logits.shape == (int(w.lengths.sum()), V)
    assert targets.shape == (int(w.lengths.sum()),)
    assert h.shape == (1, w.n_windows, 32)
    assert sorted(targets.tolist()) == sorted(ids.tolist())
    assert (targets != PAD).all()


def test_extra_padding_columns_change_nothing(five_sentences):
    ids, w, V, m = five_sentences
    logits, targets, h = m(w.inputs, w.lengths, w.targets, None)
    extra = 7
    pad_in = torch.cat([w.inputs, torch.zeros(w.n_windows, extra, dtype=torch.int64)], 1)
    pad_tg = torch.cat([w.targets, torch.zeros(w.n_windows, extra, dtype=torch.int64)], 1)
    logits2, targets2, h2 = m(pad_in, w.lengths, pad_tg, None)
    assert torch.equal(targets, targets2)
    torch.testing.assert_close(logits, logits2, rtol=0, atol=1e-6)
    torch.testing.assert_close(h, h2, rtol=0, atol=1e-6)
    assert F.cross_entropy(logits, targets).item() == pytest.approx(F.cross_entropy(logits2, targets2).item(), abs=1e-6)
    # garbage (non-PAD) values beyond the lengths also change nothing: masking uses lengths, not values
    junk_in, junk_tg = w.inputs.clone(), w.targets.clone()
    for r in range(w.n_windows):
        n = int(w.lengths[r])
        junk_in[r, n:] = 5
        junk_tg[r, n:] = 6
    logits3, targets3, _ = m(junk_in, w.lengths, junk_tg, None)
    assert torch.equal(targets, targets3)
    torch.testing.assert_close(logits, logits3, rtol=0, atol=1e-6)


def test_evaluate_windows_counts_real_tokens_only():
    lengths = [3, 4, 9, 1, 6, 13]
    ids, starts = _ids_starts(lengths)
    V = int(ids.max()) + 1
    m = _model(V)
    r4 = evaluate_windows(m, make_windows(ids, starts, np.arange(6), 4), 4)
    r20 = evaluate_windows(m, make_windows(ids, starts, np.arange(6), 20), 4)
    assert r4.tokens == r20.tokens == sum(lengths)
    # state is carried across windows, so the whole-sentence and windowed evaluations agree
    assert r4.loss == pytest.approx(r20.loss, abs=1e-4)
    assert 0 <= r4.accuracy <= r4.top3 <= 1


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    p = tmp_path_factory.mktemp("c") / "c.txt"
    sents = [f"the cat number {k} sat on the mat, and then it slept for {k % 3} hours." for k in range(20)]
    sents += ["short one.", "a very long sentence " + " ".join(f"w{j}" for j in range(30)) + "."]
    p.write_text("\n".join(sents), encoding="utf-8")
    corpus = read_corpus(p)
    return corpus, build_dataset(corpus, CFG)


def test_dataset_windows_cover_corpus(dataset):
    corpus, ds = dataset
    assert corpus.n_sentences == 22
    assert len(ds.train_sentences) + len(ds.val_sentences) == corpus.n_sentences
    assert set(ds.train_sentences.tolist()).isdisjoint(ds.val_sentences.tolist())
    assert ds.train.n_tokens + ds.val.n_tokens == corpus.n_tokens
    assert ds.train.inputs.shape[1] == CFG.seq_len


def test_pipeline_trace_shapes(dataset):
    corpus, ds = dataset
    tr = pipeline_trace(ds, CFG)
    st = {s.number: s for s in tr.stages}
    assert sorted(st) == [1, 2, 3, 4, 5, 6]
    N = corpus.n_sentences
    W = ds.train.n_windows + ds.val.n_windows
    L, E, H, V = CFG.seq_len, CFG.embed_dim, CFG.hidden_size, len(ds.vocab)
    assert st[1].shape == (N,)
    assert st[2].shape[0] == N
    assert st[3].shape == (W, L)
    assert st[4].shape == (W, L, E)
    assert st[5].shape == (W, L, H)
    assert st[6].shape == (W, V)
    assert tr.sentence and all(isinstance(x, str) for x in tr.sentence)
