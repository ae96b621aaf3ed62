"""The run's end counts in bounded memory (design §12): positions filled block by block and keys counted by
sorting in place give exactly the counts of the whole-array code, on a small text repeated many times (the
shape of the 1 GB bench corpus: many repeats of the same n-grams)."""
from __future__ import annotations

import numpy as np

from gru_desktop.core import ngram
from gru_desktop.core.ngram import KneserNeyTrigram, positions, targets
from gru_desktop.core.vocab import BOS


def _reference_positions(ids, starts, sentences):
    """The positions computed over all the sentences at once (ngram's per-block step on one block)."""
    return ngram._block_positions(ids, starts, np.asarray(sentences, dtype=np.int64))


def _reference_counts(ids, starts, sentences, V):
    u, v, w = _reference_positions(ids, starts, sentences)
    tri_keys, tri_counts = np.unique((u * V + v) * V + w, return_counts=True)
    bi_keys, bi_cont = np.unique(tri_keys % (V * V), return_counts=True)
    _, raw_counts = np.unique(v * V + w, return_counts=True)
    return tri_keys, tri_counts, bi_keys, np.where(bi_keys // V == BOS, raw_counts, bi_cont)


def _repeated(copies=40, V=60, seed=0):
    """A text of 50 sentences (ids 0..V-1, a few literal <pad>/<bos>) written `copies` times."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 12, 50)
    text = rng.integers(0, V, int(lengths.sum())).astype(np.uint16)
    ids = np.tile(text, copies)
    starts = np.concatenate([[0], np.cumsum(np.tile(lengths, copies))]).astype(np.int64)
    return ids, starts, V


def test_positions_in_blocks_equal_the_whole_arrays(monkeypatch):
    ids, starts, _ = _repeated()
    monkeypatch.setattr(ngram, "_BLOCK", 7)
    for chosen in (np.arange(len(starts) - 1), np.array([3, 1, 1999, 0, 5]), np.zeros(0, dtype=np.int64)):
        got, ref = positions(ids, starts, chosen), _reference_positions(ids, starts, chosen)
        assert all(np.array_equal(a, b) and a.dtype == np.int64 for a, b in zip(got, ref, strict=True))
        assert np.array_equal(targets(ids, starts, chosen), ref[2])


def test_counts_are_exactly_the_whole_array_counts(monkeypatch):
    ids, starts, V = _repeated()
    monkeypatch.setattr(ngram, "_BLOCK", 64)
    train = np.flatnonzero(np.random.default_rng(1).random(len(starts) - 1) < 0.9).astype(np.int32)
    got = KneserNeyTrigram().fit(ids, starts, train, V).arrays()
    tri_keys, tri_counts, bi_keys, bi_counts = _reference_counts(ids, starts, train, V)
    assert np.array_equal(got["tri_keys"], tri_keys) and np.array_equal(got["tri_counts"], tri_counts)
    assert np.array_equal(got["bi_keys"], bi_keys) and np.array_equal(got["bi_counts"], bi_counts)
    assert got["tri_counts"].max() >= 40  # the repeats are counted, not merged away
