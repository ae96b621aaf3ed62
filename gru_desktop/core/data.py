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
import os
import tempfile
from dataclasses import dataclass, field

import numpy as np
import torch

from .config import TrainConfig
from .corpus import Corpus, slices
from .errors import CorpusError
from .vocab import BOS, PAD, UNK, Vocab

MAX_SEGMENT_WINDOWS = 32


class Windows:
    """N windows of L positions over chosen sentences, built batch by batch from the flat ids.

    Nothing of size N × L is kept: a window is found from its index (which sentence, which slice of it)
    when a batch needs it, so memory is the flat ids (shared with the dataset) plus a few numbers per
    sentence. `rows(idx)` gives exactly what the materialised (N, L) arrays held at those rows.
    """

    def __init__(self, ids: np.ndarray, starts: np.ndarray, sentences: np.ndarray, seq_len: int):
        L = self.seq_len = seq_len
        self.ids = ids  # (tokens,) every sentence's word ids, flat (not copied)
        # A big corpus's ids live in a file (`_vocab_ids`): rows are read from it with pread, not through the
        # mapping, whose pages the kernel maps in folios of up to 2 MB a touch (measured: random windows of a
        # 467 MB file made it all resident within a few hundred steps).
        self._file = getattr(ids, "source_file", None)
        sentences = np.asarray(sentences, dtype=np.int64)
        self.sent_start = np.ascontiguousarray(starts[sentences], dtype=np.int64)  # (S,) where each sentence starts in ids
        self.sent_len = (starts[sentences + 1] - self.sent_start).astype(np.int64)  # (S,) words = targets
        n_win = (self.sent_len + L - 1) // L  # sentence k owns ceil(n_k / L) consecutive windows
        self.win_first = np.cumsum(n_win) - n_win  # (S,) index of each sentence's first window
        self._n_windows = int(n_win.sum())
        self._n_tokens = int(self.sent_len.sum())
        # Segments: a sentence's windows in groups of at most MAX_SEGMENT_WINDOWS.
        seg_counts = (n_win + MAX_SEGMENT_WINDOWS - 1) // MAX_SEGMENT_WINDOWS
        seg_index = np.arange(int(seg_counts.sum())) - np.repeat(np.cumsum(seg_counts) - seg_counts, seg_counts)
        self.segment_starts = np.append(np.repeat(self.win_first, seg_counts) + seg_index * MAX_SEGMENT_WINDOWS,
                                        self._n_windows).astype(np.int64)  # (segments + 1,); the last is N

    @property
    def n_windows(self) -> int:
        return self._n_windows

    @property
    def n_tokens(self) -> int:
        return self._n_tokens

    def _locate(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For window indices: their sentence, and the offset of their first target within it."""
        k = np.searchsorted(self.win_first, idx, side="right") - 1
        return k, (idx - self.win_first[k]) * self.seq_len

    def window_lengths(self, idx: np.ndarray) -> np.ndarray:
        """(b,) int64 real positions of windows `idx` (1..L)."""
        k, off = self._locate(np.asarray(idx, dtype=np.int64))
        return np.minimum(self.sent_len[k] - off, self.seq_len)

    def rows(self, idx: np.ndarray) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Windows `idx` as (inputs (b, L), targets (b, L), lengths (b,)) int64 tensors, PAD after the words.

        Targets are the sentence's words; inputs the same shifted right by one, `<bos>` first."""
        idx = np.asarray(idx, dtype=np.int64)
        k, off = self._locate(idx)
        lengths = np.minimum(self.sent_len[k] - off, self.seq_len)  # (b,)
        col = np.arange(self.seq_len)  # (L,)
        real = col < lengths[:, None]  # (b, L)
        first = real & ((off[:, None] + col) == 0)  # a sentence's first word follows <bos>
        a = self.sent_start[k] + off  # (b,) flat index of each window's first target
        if self._file is None:
            pos = a[:, None] + col  # (b, L) flat index of each target
            targets = np.where(real, self.ids[np.where(real, pos, 0)], PAD).astype(np.int64)
            inputs = np.where(real, self.ids[np.where(real & ~first, pos - 1, 0)], PAD).astype(np.int64)
        else:
            span = self._read_spans(a, lengths)  # (b, L + 1): the word before each window, then its words
            targets = np.where(real, span[:, 1:], PAD).astype(np.int64)
            inputs = np.where(real, span[:, :-1], PAD).astype(np.int64)
        inputs[first] = BOS
        return torch.from_numpy(inputs), torch.from_numpy(targets), torch.from_numpy(lengths.astype(np.int64))

    def _read_spans(self, a: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """ids[a - 1 : a + length] of each window from the ids' file, as rows of L + 1 (PAD after the words)."""
        size = self.ids.itemsize
        span = np.zeros((len(a), self.seq_len + 1), dtype=self.ids.dtype)
        if self._file is None:
            raise RuntimeError("Windows._read_spans: the ids have no file to read from")
        fd = self._file.fileno()
        for r, (start, n) in enumerate(zip(a.tolist(), lengths.tolist(), strict=True)):
            lo = max(start - 1, 0)  # the word before the window (none before the very first word)
            raw = os.pread(fd, (start + n - lo) * size, lo * size)
            span[r, 1 - (start - lo) : 1 + n] = np.frombuffer(raw, dtype=self.ids.dtype)
        return span

    # The whole (N, L) arrays, for tests, the pipeline trace and small corpora; training never asks for them.
    @property
    def inputs(self) -> torch.Tensor:
        return self.rows(np.arange(self._n_windows))[0]

    @property
    def targets(self) -> torch.Tensor:
        return self.rows(np.arange(self._n_windows))[1]

    @property
    def lengths(self) -> torch.Tensor:
        return self.rows(np.arange(self._n_windows))[2]


@dataclass
class Batch:
    inputs: torch.Tensor  # (b, L)
    targets: torch.Tensor  # (b, L)
    lengths: torch.Tensor  # (b,)
    lanes: torch.Tensor | None  # (b,) lane of each row, None when all B lanes are in use in lane order
    reset: torch.Tensor  # (b,) bool: row starts a new segment, its state starts at zero
    n_tokens: int
    step_tokens: int = -1  # tokens of this step over all processes' lanes (-1: this batch is the whole step)

    def to(self, device) -> "Batch":
        """The same batch with its tensors on `device` (lengths stay on the CPU, as packing wants them)."""
        if device is None or device.type == "cpu":
            return self
        def move(t: torch.Tensor) -> torch.Tensor:
            return t.to(device, non_blocking=True)

        return Batch(move(self.inputs), move(self.targets), self.lengths, None if self.lanes is None else move(self.lanes),
                     move(self.reset), self.n_tokens, self.step_tokens)


def split_sentences(n_sentences: int, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A seeded random split of sentence indices into (train, validation), each sorted."""
    n_val = int(round(n_sentences * val_fraction))
    n_val = min(max(n_val, 1), n_sentences - 1)
    perm = np.random.default_rng(seed).permutation(n_sentences)
    return np.sort(perm[n_val:]), np.sort(perm[:n_val])


def make_windows(ids: np.ndarray, starts: np.ndarray, sentences: np.ndarray, seq_len: int) -> Windows:
    """Windows for the chosen sentences (indices into `starts`), in that order; built lazily per batch."""
    return Windows(ids, starts, sentences, seq_len)


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
    # int32 where the window ids fit: for a 1 GB corpus the schedule is the largest array after the ids.
    sched = np.full((T, batch_size), -1, dtype=np.int32 if windows.n_windows < 2**31 - 1 else np.int64)
    first = seg[:-1][order]
    for a in range(0, n_seg, 1 << 18):  # a slice of segments at a time: no temporaries of one per window
        z = sizes[a : a + (1 << 18)]
        within = np.arange(int(z.sum())) - np.repeat(np.cumsum(z) - z, z)
        rows = np.repeat(start_t[a : a + (1 << 18)], z) + within
        sched[rows, np.repeat(lane_of[a : a + (1 << 18)], z)] = np.repeat(first[a : a + (1 << 18)], z) + within
    return sched


def rank_lanes(batch_size: int, rank: int, world: int) -> np.ndarray:
    """The lanes (columns of the schedule) process `rank` of `world` trains: every world-th lane from its rank,
    so that each process has work as long as there are at least `world` segments."""
    return np.arange(rank, batch_size, world)


class batches:
    """One pass over `windows` as Batch after Batch (segments shuffled when `rng` is given); len() = steps.

    `part=(rank, world)`: only this process's lanes of the same seeded schedule (see `rank_lanes`), so every
    process takes the same number of steps (DistributedDataParallel needs that) and together they train
    exactly the batches one process would. A step where all of a process's lanes are idle (only at the very
    end of an epoch) yields one empty placeholder row with n_tokens 0, so the process still takes part.
    """

    def __init__(self, windows: Windows, batch_size: int, rng: np.random.Generator | None = None,
                 part: tuple[int, int] | None = None):
        self.windows = windows
        self.sched = schedule(windows, batch_size, rng)  # (T, B)
        self.is_start = np.zeros(windows.n_windows + 1, dtype=bool)
        self.is_start[windows.segment_starts[:-1]] = True
        self.part = part
        self.lanes = rank_lanes(batch_size, *part) if part else np.arange(batch_size)

    def __len__(self) -> int:
        return int(self.sched.shape[0])

    def __iter__(self):
        w = self.windows
        for full in self.sched:
            row = full[self.lanes] if self.part else full
            active = row >= 0
            if active.all():
                ids, lanes = row, None
            else:
                lanes_np = np.flatnonzero(active)
                ids, lanes = row[lanes_np], torch.from_numpy(lanes_np)
            step_tokens = -1
            if self.part:
                step_tokens = int(w.window_lengths(full[full >= 0]).sum())
                if ids.size == 0:  # nothing left for this process in this step: a placeholder row, weight 0
                    yield _placeholder(w.seq_len, step_tokens)
                    continue
            inputs, targets, lengths = w.rows(ids)
            yield Batch(
                inputs=inputs,
                targets=targets,
                lengths=lengths,
                lanes=lanes,
                reset=torch.from_numpy(self.is_start[ids]),
                n_tokens=int(lengths.sum()),
                step_tokens=step_tokens,
            )


def _placeholder(seq_len: int, step_tokens: int) -> Batch:
    """One row of `<bos>` → `<pad>` on lane 0 (idle for the rest of the epoch), counting no tokens."""
    inputs = torch.full((1, seq_len), PAD, dtype=torch.int64)
    inputs[0, 0] = BOS
    return Batch(inputs, torch.full((1, seq_len), PAD, dtype=torch.int64), torch.ones(1, dtype=torch.int64),
                 torch.zeros(1, dtype=torch.int64), torch.ones(1, dtype=torch.bool), 0, step_tokens)


@dataclass
class Dataset:
    """A corpus ready for training: its vocabulary, final ids, the split, and the windows of each part."""

    corpus: Corpus
    vocab: Vocab
    ids: np.ndarray  # (tokens,) vocabulary ids (uint16 up to 65,536 words, else int32), UNK outside the vocabulary
    train_sentences: np.ndarray
    val_sentences: np.ndarray
    train: Windows
    val: Windows
    canaries: list = field(default_factory=list)  # core.canaries.Canary in `train` only, not in train_sentences

    @property
    def oov_share(self) -> float:
        """Share of running words that fall outside the vocabulary (become <unk>)."""
        unknown = sum(int(np.count_nonzero(piece == UNK)) for piece in slices(self.ids))  # no (tokens,) temporary
        return unknown / self.ids.size if self.ids.size else 0.0


def _vocab_ids(ids: np.ndarray, table: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """`table[ids]` in `dtype`, slice by slice. For a memory-mapped corpus (a big one: its ids were spilled to a
    file or come from the token cache) the result goes to a temporary file, memory-mapped for passes over it
    (`slices` lets go of each slice's pages) and read row by row for batches (`Windows`), so a corpus bigger
    than memory trains without its ids being resident (design §12). A small corpus stays in memory."""
    if not isinstance(ids, np.memmap):
        out = np.empty(ids.size, dtype=dtype)
        done = 0
        for piece in slices(ids):
            out[done : done + piece.size] = table[piece]
            done += piece.size
        return out
    fh = tempfile.TemporaryFile(prefix="gru-desktop-vocab-ids-")  # unlinked: gone once closed and unmapped
    for piece in slices(ids):
        fh.write(table[piece].astype(dtype).tobytes())
    fh.flush()
    out = np.memmap(fh, dtype=dtype, mode="r", shape=(ids.size,))
    out.source_file = fh  # type: ignore[attr-defined]  # `Windows` reads batches from the file itself (closed with the array)
    return out


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
    table = vocab.remap_table(corpus.words)
    # The smallest dtype the vocabulary allows (design §12: 2 bytes a token up to 65,536 words), in slices so
    # that a memory-mapped corpus is never copied whole at a wider type.
    ids = _vocab_ids(corpus.ids, table, np.dtype(np.uint16 if len(vocab) <= 65536 else np.int32))
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
