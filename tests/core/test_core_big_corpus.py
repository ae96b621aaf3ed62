"""A corpus bigger than memory (design §12): memory-mapped ids give the same dataset as ids in memory, their
pages are let go after a pass, and the run's end counts only the first COUNTS_MAX_TOKENS words."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from core_helpers import tiny_trained_model, write_tiny_corpus
from gru_desktop.core.config import TrainConfig
from gru_desktop.core.corpus import Corpus, leading_part, read_corpus, release_pages
from gru_desktop.core.data import batches, build_dataset
from gru_desktop.jobs import blends

torch.set_num_threads(1)

CFG = TrainConfig(seq_len=5, embed_dim=8, hidden_size=16, batch_size=8, epochs=2, seed=3)


def _mapped(corpus, folder):
    """The same corpus with its ids memory-mapped from a file, as a big corpus (spilled or cached) has them."""
    path = folder / "ids.bin"
    np.asarray(corpus.ids, dtype=np.int32).tofile(path)
    return dataclasses.replace(corpus, ids=np.memmap(path, dtype=np.int32, mode="r", shape=(corpus.n_tokens,)))


def _resident_kb(arr) -> int:
    """Rss of the mapping that holds `arr` (from /proc/self/smaps)."""
    addr = arr.ctypes.data
    rss, inside = None, False
    with open("/proc/self/smaps") as fh:
        for line in fh:
            head = line.split()[0]
            if "-" in head and all(c in "0123456789abcdef-" for c in head):
                lo, hi = (int(x, 16) for x in head.split("-"))
                inside = lo <= addr < hi
            elif inside and line.startswith("Rss:"):
                rss = int(line.split()[1])
    assert rss is not None
    return rss


def test_a_memory_mapped_corpus_gives_the_same_dataset_and_batches(tmp_path):
    corpus = read_corpus(write_tiny_corpus(tmp_path))
    mapped = _mapped(corpus, tmp_path)
    a, b = build_dataset(corpus, CFG), build_dataset(mapped, CFG)
    assert not isinstance(a.ids, np.memmap) and isinstance(b.ids, np.memmap)  # the big-corpus path was taken
    assert a.ids.dtype == b.ids.dtype == np.uint16 and np.array_equal(a.ids, b.ids)
    assert a.vocab.itos == b.vocab.itos and a.oov_share == b.oov_share
    for x, y in zip(batches(a.train, 8, np.random.default_rng(0)), batches(b.train, 8, np.random.default_rng(0)), strict=True):
        assert torch.equal(x.inputs, y.inputs) and torch.equal(x.targets, y.targets)
        assert torch.equal(x.reset, y.reset) and x.n_tokens == y.n_tokens


def test_released_pages_leave_the_process_and_the_values_stay(tmp_path):
    n = 1 << 21  # 8 MB of int32
    path = tmp_path / "big.bin"
    np.arange(n, dtype=np.int32).tofile(path)
    ids = np.memmap(path, dtype=np.int32, mode="r", shape=(n,))
    assert int(ids.sum(dtype=np.int64)) == n * (n - 1) // 2  # every page touched
    assert _resident_kb(ids) >= 7000
    release_pages(ids, 0, n // 2)
    assert 3000 <= _resident_kb(ids) <= 5000  # the first half let go, the second still resident
    release_pages(ids)
    assert _resident_kb(ids) < 100
    assert np.array_equal(ids[::4096], np.arange(0, n, 4096))  # read again from the page cache
    release_pages(np.arange(10))  # an array in memory: nothing to do


def test_training_reads_a_mapped_corpus_without_making_it_resident(tmp_path):
    # 16 M words (32 MB as uint16): each touch of the mapping maps a folio of up to 2 MB here, so random windows
    # read through it would make most of it resident within a few hundred steps
    rng = np.random.default_rng(0)
    lengths = rng.integers(5, 60, 600_000)
    n = int(lengths.sum())
    words = ["<unk>"] + [f"w{i}" for i in range(1, 1000)]
    ids = rng.integers(1, 1000, n).astype(np.int32)
    corpus = Corpus(words, np.bincount(ids, minlength=1000), ids, np.concatenate([[0], np.cumsum(lengths)]), [],
                    "0" * 64, "words", True)
    ds = build_dataset(_mapped(corpus, tmp_path), CFG.replace(batch_size=4, val_fraction=0.01))
    whole = ds.ids.nbytes // 1024
    release_pages(ds.ids)
    for i, _batch in enumerate(batches(ds.train, 4, np.random.default_rng(0))):
        if i == 300:
            break
    assert _resident_kb(ds.ids) < whole // 16, whole
    rows = rng.integers(0, ds.train.n_windows, 64)
    mapped = ds.train.rows(rows)  # read from the file
    ds.train._file = None
    for x, y in zip(mapped, ds.train.rows(rows), strict=True):  # read through the mapping
        assert torch.equal(x, y)
    assert _resident_kb(ds.ids) > whole // 16  # the test can fail: through the mapping, pages become resident


def test_leading_part_is_the_first_sentences_and_the_corpus_itself_below_the_bound(tmp_path):
    corpus = read_corpus(write_tiny_corpus(tmp_path))
    assert leading_part(corpus, corpus.n_tokens) is corpus
    part = leading_part(corpus, 100)
    assert part.n_tokens <= 100 and part.n_sentences >= 2
    assert part.n_tokens + corpus.sentence_lengths()[part.n_sentences] > 100  # as many sentences as fit
    assert np.array_equal(part.ids, corpus.ids[: part.n_tokens]) and part.sha256 == corpus.sha256


def test_the_run_end_counts_only_the_first_words(tmp_path, monkeypatch):
    loaded = tiny_trained_model(tmp_path, CFG)
    corpus = read_corpus(write_tiny_corpus(tmp_path))
    whole, _ = blends.fit_run_blend(loaded, corpus)
    assert whole.counts.train_tokens > 500
    monkeypatch.setattr(blends, "COUNTS_MAX_TOKENS", 500)
    part, train_s, val_s = blends.bounded_split(corpus, loaded.config)
    assert part.n_tokens <= 500 and len(val_s) > 0
    bounded, numbers = blends.fit_run_blend(loaded, corpus)
    assert bounded.counts.train_tokens == int(corpus.sentence_lengths()[train_s].sum()) <= 500
    assert numbers["blend"].tokens == int(corpus.sentence_lengths()[val_s].sum())
    # Only the first sentences count: what comes after them does not change the blend.
    rest = np.array(corpus.ids)
    rest[part.n_tokens:] = rest[part.n_tokens:][::-1]
    other, _ = blends.fit_run_blend(loaded, dataclasses.replace(corpus, ids=rest))
    for k, v in bounded.counts.arrays().items():
        assert np.array_equal(v, other.counts.arrays()[k])
    assert bounded.weights == other.weights
    with pytest.raises(AssertionError):  # and the bound changes something on this corpus (the test can fail)
        np.testing.assert_array_equal(bounded.counts.arrays()["tri_keys"], whole.counts.arrays()["tri_keys"])
