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
_BLOCK = 1 << 18  # sentences (or segments) handled at once when building per-sentence arrays: bounded temporaries


def index_dtype(n: int) -> np.dtype:
    """The smallest of int32/int64 that holds indices below `n` (design §12: per-sentence arrays of a big
    corpus at 4 bytes an entry, not 8)."""
    return np.dtype(np.int32 if n < 2**31 - 1 else np.int64)


def permutation(rng: np.random.Generator, n: int) -> np.ndarray:
    """`rng.permutation(n)` (the same order, the same draws from `rng`) in `index_dtype(n)`: shuffling an
    arange draws the same numbers whatever its dtype, without a temporary of 8 bytes an entry."""
    out = np.arange(n, dtype=index_dtype(n))
    rng.shuffle(out)
    return out


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
        # Per sentence only what finding a window needs, in the smallest index dtype: real text has short
        # sentences (WikiText-2: 22 words), so these arrays, not the ids, are what grows with a big corpus.
        # Where a sentence starts and how long it is are read from `starts` when a batch needs them.
        self.starts = starts  # (sentences of the corpus + 1,) offsets into ids (shared with the corpus)
        self.sentences = np.asarray(sentences)  # (S,) chosen sentence indices, in order (not copied)
        S = len(self.sentences)
        n_win_total = n_seg_total = tokens = 0
        for a in range(0, S, _BLOCK):  # first pass: totals, so the arrays are allocated once at their dtype
            n = self._lengths(a, a + _BLOCK)
            n_win = (n + L - 1) // L
            tokens += int(n.sum())
            n_win_total += int(n_win.sum())
            n_seg_total += int(((n_win + MAX_SEGMENT_WINDOWS - 1) // MAX_SEGMENT_WINDOWS).sum())
        self._n_windows, self._n_tokens = n_win_total, tokens
        dtype = index_dtype(n_win_total + 1)
        self.win_first = np.empty(S, dtype=dtype)  # (S,) index of each sentence's first window
        # Segments: a sentence's windows in groups of at most MAX_SEGMENT_WINDOWS.
        self.segment_starts = np.empty(n_seg_total + 1, dtype=dtype)  # (segments + 1,); the last is N
        done_w = done_s = 0
        for a in range(0, S, _BLOCK):  # second pass: fill them block by block (no temporary per window)
            n_win = (self._lengths(a, a + _BLOCK) + L - 1) // L  # sentence k owns ceil(n_k / L) windows
            first = done_w + np.cumsum(n_win) - n_win
            self.win_first[a : a + len(n_win)] = first
            seg_counts = (n_win + MAX_SEGMENT_WINDOWS - 1) // MAX_SEGMENT_WINDOWS
            m = int(seg_counts.sum())
            seg_index = np.arange(m) - np.repeat(np.cumsum(seg_counts) - seg_counts, seg_counts)
            self.segment_starts[done_s : done_s + m] = np.repeat(first, seg_counts) + seg_index * MAX_SEGMENT_WINDOWS
            done_w += int(n_win.sum())
            done_s += m
        self.segment_starts[-1] = n_win_total

    def _lengths(self, a: int, b: int) -> np.ndarray:
        """(b - a,) int64 words of chosen sentences a..b-1."""
        s = self.sentences[a:b]
        return (self.starts[s + 1] - self.starts[s]).astype(np.int64)

    @property
    def sent_start(self) -> np.ndarray:
        """(S,) int64 where each chosen sentence starts in ids (built when asked for; batches do not need it)."""
        return np.asarray(self.starts[self.sentences], dtype=np.int64)

    @property
    def sent_len(self) -> np.ndarray:
        """(S,) int64 words (= targets) of each chosen sentence (built when asked for)."""
        return self._lengths(0, len(self.sentences))

    def sentence_lengths(self, k: np.ndarray) -> np.ndarray:
        """(len(k),) int64 words of chosen sentences `k` (indices into the chosen ones), without `sent_len`."""
        s = self.sentences[np.asarray(k, dtype=np.int64)]
        return (self.starts[s + 1] - self.starts[s]).astype(np.int64)

    def is_segment_start(self, idx: np.ndarray) -> np.ndarray:
        """(b,) bool: window `idx` starts a segment (its lane's state starts at zero)."""
        seg = self.segment_starts
        return seg[np.minimum(np.searchsorted(seg, idx), len(seg) - 1)] == idx

    @property
    def n_windows(self) -> int:
        return self._n_windows

    @property
    def n_tokens(self) -> int:
        return self._n_tokens

    def _locate(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For window indices: where their sentence starts in ids, its length, and the offset of their first
        target within it (each (b,) int64)."""
        k = np.searchsorted(self.win_first, idx, side="right") - 1
        s = self.sentences[k]
        start = self.starts[s].astype(np.int64)
        return start, self.starts[s + 1] - start, (idx - self.win_first[k]) * self.seq_len

    def window_lengths(self, idx: np.ndarray) -> np.ndarray:
        """(b,) int64 real positions of windows `idx` (1..L)."""
        _, n, off = self._locate(np.asarray(idx, dtype=np.int64))
        return np.minimum(n - off, self.seq_len)

    def rows(self, idx: np.ndarray) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Windows `idx` as (inputs (b, L), targets (b, L), lengths (b,)) int64 tensors, PAD after the words.

        Targets are the sentence's words; inputs the same shifted right by one, `<bos>` first."""
        idx = np.asarray(idx, dtype=np.int64)
        start, n, off = self._locate(idx)
        lengths = np.minimum(n - off, self.seq_len)  # (b,)
        col = np.arange(self.seq_len)  # (L,)
        real = col < lengths[:, None]  # (b, L)
        first = real & ((off[:, None] + col) == 0)  # a sentence's first word follows <bos>
        a = start + off  # (b,) flat index of each window's first target
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
    """A seeded random split of sentence indices into (train, validation), each sorted (`index_dtype`)."""
    n_val = int(round(n_sentences * val_fraction))
    n_val = min(max(n_val, 1), n_sentences - 1)
    perm = permutation(np.random.default_rng(seed), n_sentences)
    val = np.sort(perm[:n_val])
    perm = perm[n_val:]
    perm.sort()  # in place: no second copy of the training part
    return perm, val


def make_windows(ids: np.ndarray, starts: np.ndarray, sentences: np.ndarray, seq_len: int) -> Windows:
    """Windows for the chosen sentences (indices into `starts`), in that order; built lazily per batch."""
    return Windows(ids, starts, sentences, seq_len)


def schedule(windows: Windows, batch_size: int, rng: np.random.Generator | None) -> np.ndarray:
    """(T, B) window ids per step and lane, -1 where a lane is idle (only at the very end).

    Segments (shuffled by `rng`, or in order) go to whichever lane frees first, so lanes stay busy. Built a
    block of segments at a time: besides the schedule itself only the order (4 bytes a segment) is whole.
    """
    seg = windows.segment_starts
    n_seg = len(seg) - 1
    if n_seg == 0:
        return np.full((0, batch_size), -1, dtype=np.int64)
    order = permutation(rng, n_seg) if rng is not None else None
    B = min(batch_size, n_seg)
    # A lane frees at most MAX_SEGMENT_WINDOWS steps after the one that frees first, so no lane ends later
    # than N / B + MAX_SEGMENT_WINDOWS: the rows are allocated once and the schedule is a view of the used ones.
    n_rows = windows.n_windows // B + MAX_SEGMENT_WINDOWS + 1
    # int32 where the window ids fit: for a 1 GB corpus the schedule is the largest array after the ids.
    sched = np.full((n_rows, batch_size), -1, dtype=np.int32 if windows.n_windows < 2**31 - 1 else np.int64)
    lanes = [(0, lane) for lane in range(B)]  # (time the lane is free, lane); heap order = lane order at ties
    for a in range(0, n_seg, _BLOCK):
        picked = order[a : a + _BLOCK] if order is not None else np.arange(a, min(a + _BLOCK, n_seg))
        first = seg[picked].astype(np.int64)  # (k,) each segment's first window
        sizes = seg[picked + 1] - first  # (k,) its windows
        start_t = np.empty(len(picked), dtype=np.int64)
        lane_of = np.empty(len(picked), dtype=np.int64)
        for k, size in enumerate(sizes.tolist()):
            t, lane = heapq.heappop(lanes)
            start_t[k], lane_of[k] = t, lane
            heapq.heappush(lanes, (t + size, lane))
        within = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        sched[np.repeat(start_t, sizes) + within, np.repeat(lane_of, sizes)] = np.repeat(first, sizes) + within
    T = max(t for t, _ in lanes)
    return sched[:T]


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
                reset=torch.from_numpy(w.is_segment_start(ids)),
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
