"""What suggests (design §11): the GRU, the Kneser–Ney counts and a recency cache, mixed with fitted weights.

    p(w | text) = a·p_GRU(w | sentence so far) + b·p_KN(w | last two words) + c·p_cache(w | recent words)
                  + d·p_state(w | earlier moments like this one)

- p_GRU is the network's softmax; p_KN the interpolated modified Kneser–Ney trigram of `ngram.py`, fitted on
  the run's training sentences; p_cache the share of w among the last `CACHE_WINDOW` suggestable words of the
  text (Presage's recency predictor, Kuhn & De Mori's cache): a name or topic word used earlier in a text
  tends to come back. Before any word was seen, the cache part falls back to the counts.
- p_state the continuous cache of Grave et al. (2017): the GRU outputs h_i of the last `STATE_WINDOW`
  positions of the text are kept with the word w_i that came next; now, with output h, each earlier word gets
  the share softmax(θ·h·h_i) — words that followed moments the network saw as like this one. It copies a
  rare name or phrase from earlier in the text where the GRU's softmax and the counts spread thin. θ (how
  sharply "alike" is judged) is fitted with the weights. Before any earlier position it falls back to the counts.
- a + b + c = 1 and each is ≥ 0, so the blend is a distribution whenever its parts are. The weights are fitted
  on the run's validation sentences (read in corpus order, as one text) by EM, which lowers the mixture's
  cross-entropy at every step: the fitted blend is never worse than any single part on that text.
- λ, the number the picker shows, is the GRU's share of the two model parts: a / (a + b).

The counts are stored as plain arrays in an `.npz` beside the model file (`save_counts`/`load_counts`), read
with `allow_pickle=False`: a file that holds anything but the arrays we wrote is refused, nothing executed.
"""
from __future__ import annotations

import hashlib
import math
import os
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn.utils.rnn import pack_sequence, pad_packed_sequence

from .atomic import atomic_write
from .errors import ModelFileError
from .model import GRULanguageModel
from .ngram import KneserNeyTrigram, positions
from .vocab import BOS, PAD, Vocab

CACHE_WINDOW = 500  # recent words the cache counts (measured: see README "The blend")
STATE_WINDOW = 2000  # earlier positions the state cache compares with (measured: see README "The blend")
THETAS = (0.5, 1.0, 2.0, 4.0)  # the state cache's sharpness θ, tried when fitting (the best on validation kept)
SOURCES = ("blend", "gru", "counts")
COUNTS_FORMAT = 1
SLICE = 2048  # positions scored at once: (SLICE, V) float32 per part


@dataclass(frozen=True)
class Weights:
    gru: float
    counts: float
    cache: float = 0.0
    state: float = 0.0

    @property
    def lam(self) -> float:
        """The GRU's share of the two model parts, a / (a + b)."""
        total = self.gru + self.counts
        return self.gru / total if total > 0 else 1.0

    def for_source(self, source: str) -> "Weights":
        """The weights that `source` means: the fitted blend, or one part alone."""
        if source == "gru":
            return Weights(1.0, 0.0)
        if source == "counts":
            return Weights(0.0, 1.0)
        return self

    def without_missing(self, cache: bool, state: bool) -> "Weights":
        """These weights where the cache or state part has nothing to go on yet: its share goes to the counts."""
        moved = (0.0 if cache else self.cache) + (0.0 if state else self.state)
        return Weights(self.gru, self.counts + moved, self.cache if cache else 0.0, self.state if state else 0.0)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Slice:
    """Consecutive target positions of a text part, with every part's next-word distribution."""

    src: np.ndarray  # (n,) flat index of each target into the corpus arrays
    w: np.ndarray  # (n,) target ids
    gru: np.ndarray  # (n, V) float32 softmax of the network
    counts: np.ndarray | None  # (n, V) float64 Kneser–Ney, None without counts
    cache: np.ndarray | None  # (n, V) float32 recency cache (rows of the counts where no word was seen yet)
    state: np.ndarray | None = None  # (n, V) state cache (rows of the counts before any earlier position)


# --- the mixture --------------------------------------------------------------------------------------
def mix(weights: Weights, gru: np.ndarray, counts: np.ndarray | None, cache: np.ndarray | None,
        state: np.ndarray | None = None) -> np.ndarray:
    """a·gru + b·counts + c·cache + d·state for (n, V) or (V,) arrays; parts with weight 0 may be None."""
    out = gru * weights.gru if weights.gru else 0.0
    if weights.counts:
        out = out + _given(counts, "counts") * weights.counts
    if weights.cache:
        out = out + _given(cache if cache is not None else counts, "cache") * weights.cache
    if weights.state:
        out = out + _given(state if state is not None else counts, "state") * weights.state
    return np.asarray(out, dtype=np.float64)


def _given(part: np.ndarray | None, name: str) -> np.ndarray:
    if part is None:
        raise ValueError(f"mix: the {name} part has a weight but no distribution")
    return part


def fit_weights(p_gru: np.ndarray, p_counts: np.ndarray, p_cache: np.ndarray | None = None,
                iterations: int = 200, tol: float = 1e-7) -> Weights:
    """EM for the mixture weights from each part's probability of the true next word (n,) per position.

    Every EM step lowers (or keeps) the mean −log p of the mixture; with one part far better, its weight goes
    to ~1, so the blend cannot be worse than the best part on these positions."""
    fitted, _ = _em([p for p in (p_gru, p_counts, p_cache) if p is not None], iterations, tol)
    return _weights(fitted, p_cache is not None)


def _weights(fitted: np.ndarray, with_cache: bool, with_state: bool = False) -> Weights:
    """EM's weights (gru, counts[, cache][, state]) as Weights."""
    w = [float(x) for x in fitted]
    return Weights(w[0], w[1], w[2] if with_cache else 0.0, w[-1] if with_state else 0.0)


def _em(parts: list[np.ndarray], iterations: int = 200, tol: float = 1e-7) -> tuple[np.ndarray, float]:
    """Mixture weights (k,) and the mixture's mean −log p on these positions."""
    P = np.maximum(np.stack([np.asarray(p, dtype=np.float64) for p in parts], axis=1), 1e-300)  # (n, k)
    if P.shape[0] == 0:
        w = np.zeros(P.shape[1])
        w[:2] = 0.5
        return w, math.inf
    w = np.full(P.shape[1], 1.0 / P.shape[1])
    prev = math.inf
    for _ in range(iterations):
        mixed = P @ w  # (n,)
        nll = float(-np.log(mixed).mean())
        w = (P * w / mixed[:, None]).mean(axis=0)
        w /= w.sum()
        if prev - nll < tol:
            break
        prev = nll
    return w, float(-np.log(P @ w).mean())


def fit_with_state(p_gru: np.ndarray, p_counts: np.ndarray, p_cache: np.ndarray | None,
                   p_state: np.ndarray | None, thetas=THETAS) -> tuple[Weights, float]:
    """The weights and the state cache's θ that fit best: EM once per θ (`p_state` is (n, len(thetas)), the
    state cache's probability of the true word at each θ); the θ whose mixture has the lowest −log p wins,
    and the state cache is left out (weight 0) unless it lowers it."""
    base = [p for p in (p_gru, p_counts, p_cache) if p is not None]
    fitted, best = _em(base)
    weights, theta = _weights(fitted, p_cache is not None), thetas[0] if len(thetas) else 1.0
    if p_state is None:
        return weights, theta
    for k, th in enumerate(thetas):
        w, nll = _em(base + [p_state[:, k]])
        if nll < best - 1e-6:
            best, theta = nll, float(th)
            weights = _weights(w, p_cache is not None, with_state=True)
    return weights, theta


def cache_row(words: list[int], suggestable: np.ndarray, V: int) -> np.ndarray | None:
    """The cache distribution after these ids (the text so far): shares of the last CACHE_WINDOW suggestable
    ones, or None when there is none yet."""
    recent = [i for i in words if 0 <= i < V and suggestable[i]][-CACHE_WINDOW:]
    if not recent:
        return None
    row = np.bincount(np.asarray(recent, dtype=np.int64), minlength=V).astype(np.float64)
    return row / row.sum()


# --- scoring a text part, position by position, in text order ------------------------------------------
@torch.inference_mode()
def stream(model: GRULanguageModel, ids: np.ndarray, starts: np.ndarray, sentences: np.ndarray,
           counts: KneserNeyTrigram | None, suggestable: np.ndarray, with_cache: bool = True,
           slice_size: int = SLICE, targets_only: bool = False, theta: float | tuple[float, ...] | None = None):
    """Yield `Slice`s covering every target of `sentences` (in the given order, as one text).

    With `targets_only`, each part holds only its probability of the true next word, (n,) instead of (n, V):
    all that fitting the weights needs, at a fraction of the cost.

    The GRU reads each sentence from `<bos>` and a zero state, as when typing (design §1); the counts see
    the last two words of the sentence; the cache the last CACHE_WINDOW suggestable words of the text before
    each position in `ids` (all of it, not only the chosen sentences: what was written before is known).
    With `theta` the state cache is scored too, from the GRU outputs of the STATE_WINDOW positions of the
    text before each target — so, like the cache, it reads every sentence before the last chosen one (for a
    scattered validation split that means the GRU runs over the text between them as well). A tuple of θ
    (with `targets_only`) gives each θ's probability of the true word, (n, len(theta)), for fitting.
    """
    model.eval()
    sentences = np.asarray(sentences, dtype=np.int64)
    V = int(suggestable.shape[0])
    u_all, v_all, w_all = positions(ids, starts, sentences)  # (T,) each, text order
    lengths = (starts[sentences + 1] - starts[sentences]).astype(np.int64)
    src_all = np.repeat(starts[sentences], lengths) + (
        np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths))
    # The cache reads the whole text before each position (earlier sentences included, as the words typed
    # before in the box): kept words are the suggestable ones, in text order.
    if with_cache:
        keep = suggestable[np.clip(ids, 0, V - 1)]
        kept_before, kept_ids = np.concatenate([[0], np.cumsum(keep)]), ids[keep].astype(np.int64)
    else:  # not read
        kept_before = kept_ids = np.zeros(0, dtype=np.int64)
    budget = min(slice_size, max(64, 10_000_000 // max(V, 1)))  # positions run through the GRU at once
    # Positions scored at once: each part's (slice, V) floats stay ~20 MB. Scoring holds several such arrays
    # per part and source at a time; at 4× this it was ~600 MB at V = 5,000 (measured, bench --only scale).
    slice_size = min(budget, max(64, 2_500_000 // max(V, 1)))
    thetas = None if theta is None else np.atleast_1d(np.asarray(theta, dtype=np.float64))
    done = 0  # targets yielded so far
    for outputs, state_scores in _read(model, ids, starts, sentences, lengths, budget, thetas):
        for a in range(0, outputs.shape[0], slice_size):
            h = outputs[a:a + slice_size]  # (n, H)
            n = h.shape[0]
            sl = np.s_[done:done + n]
            w = w_all[sl]
            st = state_scores(a, a + n, w if targets_only else None, V) if thetas is not None else None
            if targets_only:
                logp = torch.log_softmax(model.logits(h), dim=1)
                gru = logp.gather(1, torch.from_numpy(w).view(-1, 1)).exp().view(-1).numpy().astype(np.float64)
                kn = counts.prob(u_all[sl], v_all[sl], w) if counts is not None else None
                cache = _cache_targets(kept_before, kept_ids, src_all[sl], w) if with_cache else None
                if kn is not None:
                    cache = np.where(np.isnan(cache), kn, cache) if cache is not None else None
                    st = np.where(np.isnan(st), kn[:, None], st) if st is not None else None
                if st is not None and isinstance(theta, (int, float)):
                    st = st[:, 0]
            else:
                gru = torch.softmax(model.logits(h), dim=1).numpy()  # (n, V)
                kn = counts.dense(u_all[sl], v_all[sl]) if counts is not None else None
                cache = None
                if with_cache:
                    cache = _cache_rows(kept_before, kept_ids, src_all[sl], V)
                    if kn is not None:
                        empty = cache.sum(axis=1) == 0
                        cache[empty] = kn[empty]
                if st is not None and kn is not None:
                    empty = st.sum(axis=1) == 0
                    st[empty] = kn[empty]
            yield Slice(src_all[sl], w, gru, kn, cache, st)
            done += n


def _read(model: GRULanguageModel, ids: np.ndarray, starts: np.ndarray, sentences: np.ndarray,
          lengths: np.ndarray, budget: int, thetas: np.ndarray | None):
    """(outputs of the chosen sentences' positions (n, H), state_scores) for runs of about `budget` tokens.

    `state_scores(a, b, w, V)` gives the state cache for outputs[a:b]: each θ's probability of the true words
    `w` (n, len(thetas)), NaN where no earlier position exists — or, with `w` None, the rows (n, V) for the
    first θ, zero where none exists. Without `thetas` only the chosen sentences are read."""
    if thetas is None:
        for out in _gru_outputs(model, ids, starts, sentences, lengths, budget):
            yield out, None
        return
    # Read every sentence up to the last chosen one, in text order; keep the chosen positions' outputs.
    last = int(sentences.max()) if sentences.size else -1
    reading = np.arange(last + 1)
    chosen = np.zeros(last + 1, dtype=bool)
    chosen[sentences] = True
    if np.any(np.diff(sentences) <= 0):  # not in text order: read them as given (each a text of its own)
        reading, chosen = sentences, np.ones(sentences.size, dtype=bool)
    r_len = (starts[reading + 1] - starts[reading]).astype(np.int64)
    _, _, r_w = positions(ids, starts, reading)
    tok_chosen = np.repeat(chosen, r_len)
    keys = torch.zeros(0, model.gru.hidden_size)
    vals = torch.zeros(0, dtype=torch.int64)
    base = 0  # reading positions before this group
    for out in _gru_outputs(model, ids, starts, reading, r_len, budget):
        G = out.shape[0]
        mask = torch.from_numpy(tok_chosen[base:base + G])
        all_keys = torch.cat([keys, out])
        all_vals = torch.cat([vals, torch.from_numpy(r_w[base:base + G])])
        offset = keys.shape[0]  # all_keys[k] is reading position base - offset + k
        local = torch.nonzero(mask).view(-1)  # group-local positions of the chosen targets

        def scores(a, b, w, V, local=local, all_keys=all_keys, all_vals=all_vals, offset=offset):
            j = local[a:b] + offset  # indices into all_keys of the targets' own positions (increasing)
            parts = []
            p0 = 0
            while p0 < len(j):  # targets within STATE_CHUNK positions of each other share their keys
                p1 = int(torch.searchsorted(j, j[p0] + STATE_CHUNK))
                jj = j[p0:p1]
                lo, hi = max(0, int(jj[0]) - STATE_WINDOW), int(jj[-1])
                parts.append(_state_part(all_keys[jj], all_keys[lo:hi], all_vals[lo:hi], jj - lo, thetas,
                                         None if w is None else w[p0:p1], V))
                p0 = p1
            return np.concatenate(parts) if parts else np.zeros((0, len(thetas) if w is not None else V))

        yield out[mask], scores
        keys, vals = all_keys[-STATE_WINDOW:], all_vals[-STATE_WINDOW:]
        base += G


STATE_CHUNK = 256  # targets scored against one stretch of keys (K = window + chunk, not window + group)


def _state_part(queries: torch.Tensor, keys: torch.Tensor, vals: torch.Tensor, at: torch.Tensor, thetas: np.ndarray,
                w: np.ndarray | None, V: int) -> np.ndarray:
    """The state cache for targets at positions `at` (n,) of a stretch of keys (K, H) with the words after them:
    with `w`, each θ's probability of the true words (n, len(thetas)), NaN without an earlier position; without
    it, the rows (n, V) for the first θ, zero without an earlier position."""
    k = torch.arange(keys.shape[0])
    ok = (k[None, :] < at[:, None]) & (k[None, :] >= at[:, None] - STATE_WINDOW)  # (n, K)
    sim = (queries @ keys.T).masked_fill_(~ok, float("-inf"))
    top = sim.max(dim=1, keepdim=True).values.clamp_min(-1e30)  # exp(θ·(sim − top)) ≤ 1: never overflows
    sim = (sim - top).masked_fill_(~ok, float("-inf"))
    none = ~ok.any(1)
    if w is not None:
        hit = (vals[None, :] == torch.from_numpy(w)[:, None]) & ok
        res = np.empty((len(at), len(thetas)))
        for t, th in enumerate(thetas.tolist()):
            e = torch.exp(sim * th)
            res[:, t] = (e.mul(hit).sum(1).double() / e.sum(1).double()).numpy()
        res[none.numpy()] = np.nan
        return res
    e = torch.exp(sim * float(thetas[0]))
    p = (e / e.sum(1, keepdim=True)).nan_to_num_(0.0).double()  # rows without an earlier position: all zero
    rows = torch.zeros(len(at), V, dtype=torch.float64)
    rows.scatter_add_(1, vals.clamp(0, V - 1).expand(len(at), -1), p)
    return rows.numpy()


def _gru_outputs(model: GRULanguageModel, ids: np.ndarray, starts: np.ndarray, sentences: np.ndarray,
                 lengths: np.ndarray, budget: int):
    """GRU outputs (tokens, H) for runs of whole sentences of about `budget` tokens, in text order."""
    group: list[torch.Tensor] = []
    size = 0
    for s, n in zip(sentences.tolist(), lengths.tolist(), strict=True):
        if n == 0:
            continue
        a = int(starts[s])
        seq = np.empty(n, dtype=np.int64)
        seq[0] = BOS
        seq[1:] = ids[a:a + n - 1]
        seq[(seq == PAD)] = 1  # a literal <pad> in the text reads as <unk>, as in training
        group.append(torch.from_numpy(seq))
        size += n
        if size >= budget:
            yield _run_group(model, group)
            group, size = [], 0
    if group:
        yield _run_group(model, group)


@torch.inference_mode()
def sentence_states(model: GRULanguageModel, sentences: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """The state cache's entries for whole sentences of ids: the GRU output at each position (from `<bos>`, as
    the text is read) and the word that came next there, (n, H) and (n,), sentence after sentence."""
    seqs, words = [], []
    for sent in sentences:
        if not sent:
            continue
        seq = torch.tensor([BOS] + sent[:-1], dtype=torch.int64)
        seq[seq == PAD] = 1  # as in training and `stream`
        seqs.append(seq)
        words.extend(sent)
    if not seqs:
        return torch.zeros(0, model.gru.hidden_size), torch.zeros(0, dtype=torch.int64)
    return _run_group(model, seqs), torch.tensor(words, dtype=torch.int64)


def state_row(query: torch.Tensor, keys: torch.Tensor, words: torch.Tensor, theta: float, V: int,
              older_keys: torch.Tensor | None = None, older_words: torch.Tensor | None = None) -> np.ndarray | None:
    """The state cache's distribution (V,) for the GRU output `query` (H,) given earlier outputs `keys` (n, H)
    and the words that followed them (n,), and optionally still earlier ones (the text before, kept apart so
    that a keystroke never copies them); None when there is no earlier position. In numpy: a keystroke pays
    a few microseconds per operation here, torch several times that."""
    q = query.numpy()
    sims, both = [keys.numpy() @ q], [words.numpy()]
    if older_keys is not None and older_words is not None and older_keys.shape[0]:
        sims, both = [older_keys.numpy() @ q, sims[0]], [older_words.numpy(), both[0]]
    sim = np.concatenate(sims) if len(sims) > 1 else sims[0]
    if sim.shape[0] == 0:
        return None
    e = np.exp((sim - sim.max()).astype(np.float64) * theta)
    which = np.concatenate(both) if len(both) > 1 else both[0]
    return np.bincount(np.clip(which, 0, V - 1), weights=e / e.sum(), minlength=V)


def _run_group(model: GRULanguageModel, group: list[torch.Tensor]) -> torch.Tensor:
    packed = pack_sequence([model.embedding(g) for g in group], enforce_sorted=False)
    out, _ = model.gru(packed)
    padded, lens = pad_packed_sequence(out, batch_first=True)  # (b, T, H)
    mask = torch.arange(padded.shape[1])[None, :] < lens[:, None]  # (b, T)
    return padded[mask]  # (tokens, H): sentence after sentence, in order


def _cache_rows(kept_before: np.ndarray, kept_ids: np.ndarray, src: np.ndarray, V: int) -> np.ndarray:
    """Cache distributions (n, V) at the text positions `src`: shares of the last CACHE_WINDOW kept words
    before each position; rows of zeros where none was kept yet. `kept_before[i]`: kept words before flat
    position i; `kept_ids`: the kept words in text order."""
    n = len(src)
    c = kept_before[src]  # (n,)
    idx = c[:, None] - CACHE_WINDOW + np.arange(CACHE_WINDOW)[None, :]  # (n, W) numbers of the kept words
    valid = idx >= 0
    rows = np.repeat(np.arange(n), CACHE_WINDOW)[valid.ravel()]
    words = kept_ids[idx[valid]]
    counts = np.bincount(rows * V + words, minlength=n * V).reshape(n, V).astype(np.float64)
    return counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)


def _cache_targets(kept_before: np.ndarray, kept_ids: np.ndarray, src: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The cache's probability of each true next word (n,): its share of the last CACHE_WINDOW kept words,
    NaN where none was kept yet."""
    c = kept_before[src]
    idx = c[:, None] - CACHE_WINDOW + np.arange(CACHE_WINDOW)[None, :]  # (n, W)
    valid = idx >= 0
    hits = (kept_ids[np.maximum(idx, 0)] == w[:, None]) & valid
    size = valid.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(size > 0, hits.sum(axis=1) / size, np.nan)


# --- the counts file ------------------------------------------------------------------------------------
def vocab_digest(vocab: Vocab) -> str:
    return hashlib.sha256("\n".join(vocab.itos).encode("utf-8", "surrogatepass")).hexdigest()


def counts_path(model_path: str | os.PathLike) -> Path:
    """Where a model's counts live: beside it, `<run id>.counts.npz`."""
    p = Path(model_path)
    return p.with_name(p.stem + ".counts.npz")


def save_counts(path: str | os.PathLike, counts: KneserNeyTrigram, weights: Weights, vocab: Vocab,
                report: dict | None = None, theta: float = 1.0) -> None:
    """Write the counts and the fitted weights atomically (temporary file, fsync, rename)."""
    import json

    path = Path(path)
    # Any: unpacked into savez's keywords, whose stub would also match the values against `allow_pickle`
    arrays: dict[str, Any] = {k: np.ascontiguousarray(v, dtype=np.int64) for k, v in counts.arrays().items()}
    meta = {"format": COUNTS_FORMAT, "vocab_size": counts.V, "vocab_sha256": vocab_digest(vocab),
            "weights": weights.to_dict(), "train_tokens": counts.train_tokens, "report": report or {},
            "cache_window": CACHE_WINDOW, "state_window": STATE_WINDOW, "theta": theta}
    with atomic_write(path, "wb") as fh:
        np.savez_compressed(fh, meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8), **arrays)


@dataclass
class Blend:
    """The counts and the fitted weights: with a run's GRU, everything the blend needs."""

    counts: KneserNeyTrigram
    weights: Weights
    report: dict = field(default_factory=dict)  # the sources' validation numbers when it was fitted
    theta: float = 1.0  # the state cache's sharpness (fitted with the weights)


MAX_COUNT_ENTRIES = 200_000_000  # n-grams; a real corpus of 1 GB has far fewer distinct trigrams
MAX_UNPACK_RATIO = 64  # sorted counts compress about 3–6×; far more is a crafted file


def load_counts(path: str | os.PathLike, vocab: Vocab) -> Blend:
    """Read a counts file for a model with this vocabulary; ModelFileError for anything we did not write."""
    import json

    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: counts file not found")
    want = {"meta", "tri_keys", "tri_counts", "bi_keys", "bi_counts"}
    try:
        with zipfile.ZipFile(path) as zf:  # before anything is unpacked: a small file may not claim gigabytes
            unpacked = sum(info.file_size for info in zf.infolist())
        if unpacked > MAX_UNPACK_RATIO * path.stat().st_size + (1 << 20):
            raise ValueError(f"it would unpack to {unpacked:,} bytes from {path.stat().st_size:,}")
        with np.load(path, allow_pickle=False) as z:
            if set(z.files) != want:
                raise ValueError(f"unexpected contents {sorted(z.files)}")
            meta = json.loads(bytes(z["meta"]).decode())
            arr = {k: z[k] for k in want - {"meta"}}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError, KeyError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"{path}: not a counts file we wrote ({str(exc)[:120]})") from None
    try:
        V = int(meta["vocab_size"])
        if meta.get("format") != COUNTS_FORMAT or V != len(vocab) or meta.get("vocab_sha256") != vocab_digest(vocab):
            raise ValueError("it belongs to another vocabulary or format")
        for k, a in arr.items():
            if a.dtype != np.int64 or a.ndim != 1 or a.size > MAX_COUNT_ENTRIES:
                raise ValueError(f"{k} is not a list of counts")
        for order, top in (("tri", V ** 3), ("bi", V ** 2)):
            keys, cnt = arr[f"{order}_keys"], arr[f"{order}_counts"]
            if keys.size == 0 or keys.size != cnt.size or keys[0] < 0 or keys[-1] >= top or np.any(np.diff(keys) <= 0) \
                    or cnt.min() < 1:
                raise ValueError(f"the {order}gram table is damaged")
        w = meta["weights"]
        weights = Weights(float(w["gru"]), float(w["counts"]), float(w.get("cache", 0.0)), float(w.get("state", 0.0)))
        parts = (weights.gru, weights.counts, weights.cache, weights.state)
        if not all(math.isfinite(x) and 0 <= x <= 1 for x in parts) or abs(sum(parts) - 1) > 1e-6:
            raise ValueError("its weights are not a mixture")
        theta = float(meta.get("theta", 1.0))
        if not (math.isfinite(theta) and 0 < theta <= 100):
            raise ValueError("its state-cache sharpness is not a number we use")
        counts = KneserNeyTrigram.from_arrays(V, arr["tri_keys"], arr["tri_counts"], arr["bi_keys"], arr["bi_counts"],
                                              int(meta.get("train_tokens", 0)))
    except (ValueError, KeyError, TypeError) as exc:
        raise ModelFileError(f"{path}: refused: {exc}") from None
    return Blend(counts, weights, dict(meta.get("report") or {}), theta)
