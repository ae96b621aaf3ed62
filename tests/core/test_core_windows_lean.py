"""The memory-lean windows, split and schedule (design §12: per-sentence arrays in 4 bytes, built block by
block) give exactly what the earlier whole-array code gave: the same split, the same schedule, the same
segment starts, for shuffled and ordered schedules, long sentences and more lanes than segments."""
from __future__ import annotations

import heapq

import numpy as np
import torch

from gru_desktop.core import data
from gru_desktop.core.data import batches, make_windows, schedule, split_sentences


def _reference_split(n_sentences, val_fraction, seed):
    n_val = min(max(int(round(n_sentences * val_fraction)), 1), n_sentences - 1)
    perm = np.random.default_rng(seed).permutation(n_sentences)
    return np.sort(perm[n_val:]), np.sort(perm[:n_val])


def _reference_schedule(seg, n_windows, batch_size, rng):
    """The whole-array schedule this release replaced (kept as the reference)."""
    n_seg = len(seg) - 1
    order = rng.permutation(n_seg) if rng is not None else np.arange(n_seg)
    sizes = np.diff(seg)[order]
    B = min(batch_size, n_seg)
    lanes = [(0, lane) for lane in range(B)]
    start_t = np.empty(n_seg, dtype=np.int64)
    lane_of = np.empty(n_seg, dtype=np.int64)
    for k, size in enumerate(sizes.tolist()):
        t, lane = heapq.heappop(lanes)
        start_t[k], lane_of[k] = t, lane
        heapq.heappush(lanes, (t + size, lane))
    T = max(t for t, _ in lanes)
    sched = np.full((T, batch_size), -1, dtype=np.int64)
    first = seg[:-1][order]
    within = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    sched[np.repeat(start_t, sizes) + within, np.repeat(lane_of, sizes)] = np.repeat(first, sizes) + within
    return sched


def _corpus(seed, n_sentences, long_every=97):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 40, n_sentences)
    lengths[::long_every] = rng.integers(300, 900, len(lengths[::long_every]))  # past MAX_SEGMENT_WINDOWS windows
    ids = rng.integers(3, 5_000, int(lengths.sum())).astype(np.uint16)
    return ids, np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)


def test_split_is_the_same_and_compact():
    for n, frac, seed in ((2, 0.1, 0), (10, 0.5, 3), (12_345, 0.01, 7), (100_000, 0.1, 42)):
        train, val = split_sentences(n, frac, seed)
        ref_train, ref_val = _reference_split(n, frac, seed)
        assert np.array_equal(train, ref_train) and np.array_equal(val, ref_val)
        assert train.dtype == np.int32 and val.dtype == np.int32


def test_schedule_is_the_same_in_blocks(monkeypatch):
    monkeypatch.setattr(data, "_BLOCK", 37)  # many blocks on a small corpus: block edges are exercised
    ids, starts = _corpus(0, 2_000)
    for chosen in (np.arange(2_000), np.sort(np.random.default_rng(1).choice(2_000, 700, replace=False))):
        w = make_windows(ids, starts, chosen.astype(np.int32), 10)
        assert w.win_first.dtype == np.int32 and w.segment_starts.dtype == np.int32
        lengths = starts[chosen + 1] - starts[chosen]
        assert np.array_equal(w.sent_len, lengths) and np.array_equal(w.sent_start, starts[chosen])
        assert np.array_equal(w.sentence_lengths(np.array([5, 0, 3])), lengths[[5, 0, 3]])
        for B in (1, 16, 64, 5_000):  # 5,000 lanes: more than segments
            for seed in (None, 0, 5):
                rng, ref_rng = (None, None) if seed is None else (np.random.default_rng(seed), np.random.default_rng(seed))
                got = schedule(w, B, rng)
                assert np.array_equal(got, _reference_schedule(w.segment_starts.astype(np.int64), w.n_windows, B, ref_rng))
                if rng is not None:
                    assert rng.random() == ref_rng.random()  # the generator is left where it was left before


def test_resets_mark_segment_starts():
    ids, starts = _corpus(2, 300, long_every=31)
    w = make_windows(ids, starts, np.arange(300), 10)
    is_start = np.zeros(w.n_windows, dtype=bool)
    is_start[w.segment_starts[:-1]] = True
    plan = batches(w, 8, np.random.default_rng(3))
    for row, b in zip(plan.sched, plan, strict=True):
        assert torch.equal(b.reset, torch.from_numpy(is_start[row[row >= 0]]))
