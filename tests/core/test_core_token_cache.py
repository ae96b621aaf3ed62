"""The token cache (design §12): round trip, hit on the second read, damaged or foreign entries rebuilt
(never trusted), least recently used entries removed past the limit, clear."""
from __future__ import annotations

import json
import os
import time

import numpy as np
import pytest

from gru_desktop.core.config import TrainConfig
from gru_desktop.core.corpus import read_corpus
from gru_desktop.core.data import build_dataset
from gru_desktop.core.token_cache import TokenCache


@pytest.fixture
def text(tmp_path):
    p = tmp_path / "t.txt"
    p.write_text("The cat sat on the mat. The dog sat on the log!\n\nA bird sang, then flew away. " * 40, encoding="utf-8")
    return p


def _same(a, b):
    assert a.words == b.words
    assert np.array_equal(a.counts, b.counts)
    assert np.array_equal(np.asarray(a.ids), np.asarray(b.ids))
    assert np.array_equal(a.starts, b.starts)
    assert a.sha256 == b.sha256 and a.warnings == b.warnings
    assert [f.path for f in a.files] == [f.path for f in b.files] and a.description == b.description


def test_round_trip_and_hit(tmp_path, text):
    cache = TokenCache(tmp_path / "cache")
    direct = read_corpus([text])
    first = cache.read_corpus([text])
    assert cache.last_hit is False
    second = cache.read_corpus([text])
    assert cache.last_hit is True and cache.last_problem is None
    _same(direct, first)
    _same(direct, second)
    assert isinstance(second.ids, np.memmap) and second.ids.dtype == np.uint16
    cfg = TrainConfig(seq_len=4)
    a, b = build_dataset(direct, cfg), build_dataset(second, cfg)
    assert np.array_equal(a.ids, b.ids) and torch_equal(a.train.inputs, b.train.inputs)
    # other tokenizer settings are another entry
    cache.read_corpus([text], "words", lowercase=False)
    assert cache.last_hit is False and len(cache.entries()) == 2


def torch_equal(x, y):
    return bool((x == y).all()) and x.shape == y.shape


def test_changed_text_misses(tmp_path, text):
    cache = TokenCache(tmp_path / "cache")
    cache.read_corpus([text])
    text.write_text(text.read_text() + " One more sentence.")
    c = cache.read_corpus([text])
    assert cache.last_hit is False and "more" in c.words


@pytest.mark.parametrize("damage", ["flip_ids", "truncate_starts", "foreign_meta", "words", "missing"])
def test_damaged_entry_is_rebuilt_not_trusted(tmp_path, text, damage):
    cache = TokenCache(tmp_path / "cache")
    good = cache.read_corpus([text])
    entry = cache.entries()[0][0]
    if damage == "flip_ids":
        raw = bytearray((entry / "ids.npy").read_bytes())
        raw[-3] ^= 0xFF
        (entry / "ids.npy").write_bytes(bytes(raw))
    elif damage == "truncate_starts":
        raw = (entry / "starts.npy").read_bytes()
        (entry / "starts.npy").write_bytes(raw[: len(raw) // 2])
    elif damage == "foreign_meta":
        (entry / "meta.json").write_text(json.dumps({"format": 99}))
    elif damage == "words":
        (entry / "words.json").write_text('["<pad>"]')
    else:
        (entry / "ids.npy").unlink()
    again = cache.read_corpus([text])
    assert cache.last_hit is False and "rebuilt" in cache.last_problem
    _same(good, again)
    cache.read_corpus([text])
    assert cache.last_hit is True  # the rebuilt entry is good


def test_limit_removes_least_recently_used_and_clear(tmp_path):
    files = []
    for i in range(3):
        p = tmp_path / f"f{i}.txt"
        p.write_text(f"text number {i} has words. " * 300)
        files.append(p)
    cache = TokenCache(tmp_path / "cache")
    cache.read_corpus([files[0]])
    one = cache.size()
    cache.limit_bytes = int(one * 2.5)
    time.sleep(0.02)
    cache.read_corpus([files[1]])
    old = cache.entries()[0][0]
    os.utime(old, (time.time() - 100, time.time() - 100))  # files[0] was used long ago
    cache.read_corpus([files[2]])
    keys = {p.name for p, _, _ in cache.entries()}
    assert len(keys) == 2 and old.name not in keys
    assert cache.size() <= cache.limit_bytes
    n, size = cache.clear()
    assert n == 2 and size > 0 and cache.entries() == []


def test_limit_zero_is_off(tmp_path, text):
    cache = TokenCache(tmp_path / "cache", limit_bytes=0)
    cache.read_corpus([text])
    assert not (tmp_path / "cache").exists()


def test_ids_spilled_to_disk_while_reading_are_the_same(tmp_path, monkeypatch, text):
    """A big corpus's ids go to a temporary file while it is read (design §12); a skipped file is rewound."""
    from gru_desktop.core import corpus as corpus_mod

    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "a.txt").write_text(text.read_text())
    (folder / "b.txt").write_bytes(b"\x89PNG not text" + bytes(100))  # skipped with a warning
    (folder / "c.txt").write_text("Another file with its own words. " * 50)
    whole = corpus_mod.read_corpus([folder])
    monkeypatch.setattr(corpus_mod, "SPILL_IDS", 7)
    spilled = corpus_mod.read_corpus([folder])
    assert isinstance(spilled.ids, np.memmap)
    _same(whole, spilled)
    cache = TokenCache(tmp_path / "cache")
    cache.read_corpus([folder])
    _same(whole, cache.read_corpus([folder]))
