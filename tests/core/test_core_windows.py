"""Windows built batch by batch (design §12) equal the (N, L) arrays the pipeline used to materialise:
same rows, same batches, same order; and a process's share of a batch is exactly its lanes."""
from __future__ import annotations

import numpy as np
import torch

from gru_desktop.core.data import MAX_SEGMENT_WINDOWS, batches, make_windows, rank_lanes
from gru_desktop.core.vocab import BOS, PAD


def _reference_windows(ids, starts, sentences, L):
    """The materialising implementation this release replaced (kept here as the reference)."""
    sentences = np.asarray(sentences, dtype=np.int64)
    s0, s1 = starts[sentences], starts[sentences + 1]
    n = (s1 - s0).astype(np.int64)
    total = int(n.sum())
    first = np.repeat(np.cumsum(n) - n, n)
    offset = np.arange(total, dtype=np.int64) - first
    src = np.repeat(s0, n) + offset
    targets_flat = ids[src].astype(np.int64)
    inputs_flat = np.empty_like(targets_flat)
    inputs_flat[1:] = targets_flat[:-1]
    inputs_flat[offset == 0] = BOS
    n_win = (n + L - 1) // L
    win_first = np.cumsum(n_win) - n_win
    row = np.repeat(win_first, n) + offset // L
    col = offset % L
    N = int(n_win.sum())
    inputs = np.full((N, L), PAD, dtype=np.int64)
    targets = np.full((N, L), PAD, dtype=np.int64)
    inputs[row, col] = inputs_flat
    targets[row, col] = targets_flat
    lengths = np.bincount(row, minlength=N).astype(np.int64)
    seg_counts = (n_win + MAX_SEGMENT_WINDOWS - 1) // MAX_SEGMENT_WINDOWS
    seg_first = np.repeat(win_first, seg_counts)
    seg_index = np.arange(int(seg_counts.sum())) - np.repeat(np.cumsum(seg_counts) - seg_counts, seg_counts)
    seg_starts = np.append(seg_first + seg_index * MAX_SEGMENT_WINDOWS, N).astype(np.int64)
    return inputs, targets, lengths, seg_starts


def _corpus(seed=0, n_sentences=300):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 40, n_sentences)
    lengths[5] = 700  # one sentence longer than MAX_SEGMENT_WINDOWS windows
    ids = rng.integers(3, 50_000, int(lengths.sum())).astype(np.uint16)
    starts = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    return ids, starts


def test_windows_equal_the_materialised_arrays():
    ids, starts = _corpus()
    chosen = np.sort(np.random.default_rng(1).choice(len(starts) - 1, 200, replace=False))
    for L in (1, 4, 10, 37):
        w = make_windows(ids, starts, chosen, L)
        inputs, targets, lengths, seg = _reference_windows(ids, starts, chosen, L)
        assert w.n_windows == len(lengths) and w.n_tokens == int(lengths.sum())
        assert np.array_equal(w.segment_starts, seg)
        assert torch.equal(w.inputs, torch.from_numpy(inputs))
        assert torch.equal(w.targets, torch.from_numpy(targets))
        assert torch.equal(w.lengths, torch.from_numpy(lengths))


def test_batches_equal_the_materialised_batches_in_order():
    ids, starts = _corpus(2)
    L, B = 10, 16
    w = make_windows(ids, starts, np.arange(len(starts) - 1), L)
    inputs, targets, lengths, _ = _reference_windows(ids, starts, np.arange(len(starts) - 1), L)
    got = list(batches(w, B, np.random.default_rng(7)))
    sched = batches(w, B, np.random.default_rng(7)).sched
    assert len(got) == len(sched) > 0
    for b, row in zip(got, sched, strict=True):
        idx = row[row >= 0]
        assert torch.equal(b.inputs, torch.from_numpy(inputs[idx]))
        assert torch.equal(b.targets, torch.from_numpy(targets[idx]))
        assert torch.equal(b.lengths, torch.from_numpy(lengths[idx]))
        assert b.n_tokens == int(lengths[idx].sum())
        if b.lanes is None:
            assert (row >= 0).all()
        else:
            assert b.lanes.tolist() == np.flatnonzero(row >= 0).tolist()


def test_process_shares_partition_each_step():
    ids, starts = _corpus(3, n_sentences=50)
    w = make_windows(ids, starts, np.arange(50), 10)
    B, world = 8, 3
    whole = list(batches(w, B, np.random.default_rng(0)))
    parts = [list(batches(w, B, np.random.default_rng(0), part=(r, world))) for r in range(world)]
    assert all(len(p) == len(whole) for p in parts)  # every process takes the same number of steps
    lanes = [rank_lanes(B, r, world) for r in range(world)]
    assert sorted(np.concatenate(lanes).tolist()) == list(range(B))
    placeholders = 0
    for t, full in enumerate(whole):
        shares = [p[t] for p in parts]
        assert sum(s.n_tokens for s in shares) == full.n_tokens
        assert all(s.step_tokens == full.n_tokens for s in shares)
        placeholders += sum(s.n_tokens == 0 for s in shares)
        # each process's rows are the whole batch's rows of its lanes
        full_lanes = np.arange(B) if full.lanes is None else full.lanes.numpy()
        for r, s in enumerate(shares):
            if s.n_tokens == 0:
                continue
            mine = np.isin(full_lanes, lanes[r])
            assert torch.equal(s.inputs, full.inputs[torch.from_numpy(mine)])
            local = np.arange(len(lanes[r])) if s.lanes is None else s.lanes.numpy()
            assert lanes[r][local].tolist() == full_lanes[mine].tolist()
    assert placeholders > 0  # the long sentence keeps one lane busy at the end: others wait with a placeholder
