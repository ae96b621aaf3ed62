"""Stage 3 of the pipeline: sentences of ids → padded windows of L → batches.

Each sentence becomes the input `<bos> w1 … w(n-1)` and the target `w1 … wn` (teacher forcing: every
prefix predicts its next word). Both are cut into consecutive windows of L positions, zeros after the
last word, so a sentence of n words gives ceil(n / L) windows and every word is a target exactly once.

Batches are built from B "lanes" (rows). A lane works through a sentence window by window, so the GRU
state at the end of one window is the start state of the next (truncated backprop through time, state
detached between batches); when a sentence ends, the lane takes the next one and its state is reset to
zero. Context is therefore the whole sentence, not only the current window, at the cost of one window.
Very long sentences are cut into segments of at most MAX_SEGMENT_WINDOWS windows (each starting from a
zero state), so one huge line cannot leave a single lane busy while the others idle.
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np
import torch

from .config import TrainConfig
from .corpus import Corpus
from .errors import CorpusError
from .vocab import BOS, PAD, UNK, Vocab

MAX_SEGMENT_WINDOWS = 32


@dataclass
class Windows:
    """N windows of L positions: padded inputs and targets, lengths, and where segments start."""

    inputs: torch.Tensor  # (N, L) int64, PAD after the words
    targets: torch.Tensor  # (N, L) int64, PAD after the words
    lengths: torch.Tensor  # (N,) int64, real positions per window (1..L)
    segment_starts: np.ndarray  # (S + 1,) window index where each segment starts; the last is N

    @property
    def n_windows(self) -> int:
        return int(self.inputs.shape[0])

    @property
    def n_tokens(self) -> int:
        return int(self.lengths.sum())


@dataclass
class Batch:
    inputs: torch.Tensor  # (b, L)
    targets: torch.Tensor  # (b, L)
    lengths: torch.Tensor  # (b,)
    lanes: torch.Tensor | None  # (b,) lane of each row, None when all B lanes are in use in lane order
    reset: torch.Tensor  # (b,) bool: row starts a new segment, its state starts at zero
    n_tokens: int


def split_sentences(n_sentences: int, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A seeded random split of sentence indices into (train, validation), each sorted."""
    n_val = int(round(n_sentences * val_fraction))
    n_val = min(max(n_val, 1), n_sentences - 1)
    perm = np.random.default_rng(seed).permutation(n_sentences)
    return np.sort(perm[n_val:]), np.sort(perm[:n_val])


def make_windows(ids: np.ndarray, starts: np.ndarray, sentences: np.ndarray, seq_len: int) -> Windows:
    """Windows for the chosen sentences (indices into `starts`), in that order. Fully vectorised."""
    L = seq_len
    sentences = np.asarray(sentences, dtype=np.int64)
    s0, s1 = starts[sentences], starts[sentences + 1]
    n = (s1 - s0).astype(np.int64)  # words per sentence = targets per sentence
    total = int(n.sum())
    # Flat position of every target: sentence k's words are ids[s0[k] : s1[k]].
    first = np.repeat(np.cumsum(n) - n, n)  # where each sentence starts in the flat order
    offset = np.arange(total, dtype=np.int64) - first  # position within its sentence
    src = np.repeat(s0, n) + offset
    targets_flat = ids[src].astype(np.int64)
    inputs_flat = np.empty_like(targets_flat)
    inputs_flat[1:] = targets_flat[:-1]
    inputs_flat[offset == 0] = BOS  # every sentence starts from <bos>
    # Window layout: sentence k owns ceil(n_k / L) consecutive windows.
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
    # Segments: a sentence's windows in groups of at most MAX_SEGMENT_WINDOWS.
    seg_counts = (n_win + MAX_SEGMENT_WINDOWS - 1) // MAX_SEGMENT_WINDOWS
    seg_sentence_first = np.repeat(win_first, seg_counts)
    seg_index = np.arange(int(seg_counts.sum())) - np.repeat(np.cumsum(seg_counts) - seg_counts, seg_counts)
    seg_starts = np.append(seg_sentence_first + seg_index * MAX_SEGMENT_WINDOWS, N).astype(np.int64)
    return Windows(torch.from_numpy(inputs), torch.from_numpy(targets), torch.from_numpy(lengths), seg_starts)


def schedule(windows: Windows, batch_size: int, rng: np.random.Generator | None) -> np.ndarray:
    """(T, B) window ids per step and lane, -1 where a lane is idle (only at the very end).

    Segments (shuffled by `rng`, or in order) go to whichever lane frees first, so lanes stay busy.
    """
    seg = windows.segment_starts
    n_seg = len(seg) - 1
    if n_seg == 0:
        return np.full((0, batch_size), -1, dtype=np.int64)
    order = rng.permutation(n_seg) if rng is not None else np.arange(n_seg)
    sizes = np.diff(seg)[order]
    B = min(batch_size, n_seg)
    lanes = [(0, lane) for lane in range(B)]  # (time the lane is free, lane); heap order = lane order at ties
    start_t = np.empty(n_seg, dtype=np.int64)
    lane_of = np.empty(n_seg, dtype=np.int64)
    for k, size in enumerate(sizes.tolist()):
        t, lane = heapq.heappop(lanes)
        start_t[k], lane_of[k] = t, lane
        heapq.heappush(lanes, (t + size, lane))
    T = max(t for t, _ in lanes)
    sched = np.full((T, batch_size), -1, dtype=np.int64)
    within = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    sched[np.repeat(start_t, sizes) + within, np.repeat(lane_of, sizes)] = np.repeat(seg[:-1][order], sizes) + within
    return sched


class batches:
    """One pass over `windows` as Batch after Batch (segments shuffled when `rng` is given); len() = steps."""

    def __init__(self, windows: Windows, batch_size: int, rng: np.random.Generator | None = None):
        self.windows = windows
        self.sched = schedule(windows, batch_size, rng)  # (T, B)
        self.is_start = np.zeros(windows.n_windows + 1, dtype=bool)
        self.is_start[windows.segment_starts[:-1]] = True

    def __len__(self) -> int:
        return int(self.sched.shape[0])

    def __iter__(self):
        w = self.windows
        for row in self.sched:
            active = row >= 0
            if active.all():
                ids, lanes = row, None
            else:
                lanes_np = np.flatnonzero(active)
                ids, lanes = row[lanes_np], torch.from_numpy(lanes_np)
            idx = torch.from_numpy(ids)
            lengths = w.lengths[idx]
            yield Batch(
                inputs=w.inputs[idx],
                targets=w.targets[idx],
                lengths=lengths,
                lanes=lanes,
                reset=torch.from_numpy(self.is_start[ids]),
                n_tokens=int(lengths.sum()),
            )


@dataclass
class Dataset:
    """A corpus ready for training: its vocabulary, final ids, the split, and the windows of each part."""

    corpus: Corpus
    vocab: Vocab
    ids: np.ndarray  # (tokens,) int32 vocabulary ids, UNK outside the vocabulary
    train_sentences: np.ndarray
    val_sentences: np.ndarray
    train: Windows
    val: Windows

    @property
    def oov_share(self) -> float:
        """Share of running words that fall outside the vocabulary (become <unk>)."""
        return float((self.ids == UNK).mean()) if self.ids.size else 0.0


def build_dataset(corpus: Corpus, config: TrainConfig, vocab: Vocab | None = None) -> Dataset:
    """Vocabulary, split and windows; CorpusError when there is too little text to train and validate.

    `vocab`: use this vocabulary (a model's, to continue training it) instead of building one.
    """
    if corpus.n_sentences < 2:
        raise CorpusError(
            f"too little text: {corpus.description} has {corpus.n_sentences} sentence of {corpus.n_tokens} "
            f"word{'s' if corpus.n_tokens != 1 else ''}; training needs at least 2 sentences (one to learn from, "
            "one to validate on), and a few hundred to learn anything useful"
        )
    if vocab is None:
        vocab = Vocab.build(corpus.words, corpus.counts, config.vocab_size, config.min_count)
    if len(vocab) <= 3:
        raise CorpusError(f"no word occurs at least {config.min_count} times; lower the minimum count")
    ids = vocab.remap_table(corpus.words)[corpus.ids]
    train_s, val_s = split_sentences(corpus.n_sentences, config.val_fraction, config.seed)
    return Dataset(
        corpus=corpus,
        vocab=vocab,
        ids=ids,
        train_sentences=train_s,
        val_sentences=val_s,
        train=make_windows(ids, corpus.starts, train_s, config.seq_len),
        val=make_windows(ids, corpus.starts, val_s, config.seq_len),
    )
