"""Each part of the blend (design §11, `blend.py`) over a text, position by position in text order: the GRU's
softmax, the Kneser–Ney counts, the recency cache and the state cache (`stream`, for fitting and scoring);
and the state cache's entries and distribution while typing (`sentence_states`, `state_row`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch.nn.utils.rnn import pack_sequence, pad_packed_sequence

from .blend import CACHE_WINDOW, STATE_WINDOW
from .model import GRULanguageModel
from .ngram import KneserNeyTrigram, positions, targets
from .vocab import BOS, PAD

SLICE = 2048  # positions scored at once: (SLICE, V) float32 per part


@dataclass
class Slice:
    """Consecutive target positions of a text part, with every part's next-word distribution."""

    src: np.ndarray  # (n,) flat index of each target into the corpus arrays
    w: np.ndarray  # (n,) target ids
    gru: np.ndarray  # (n, V) float32 softmax of the network
    counts: np.ndarray | None  # (n, V) float64 Kneser–Ney, None without counts
    cache: np.ndarray | None  # (n, V) float32 recency cache (rows of the counts where no word was seen yet)
    state: np.ndarray | None = None  # (n, V) state cache (rows of the counts before any earlier position)


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
    if with_cache:  # a slice at a time: no whole-text temporaries beside the two arrays kept
        keep = np.empty(ids.size, dtype=bool)
        for a in range(0, ids.size, 1 << 20):
            keep[a:a + (1 << 20)] = suggestable[np.clip(ids[a:a + (1 << 20)], 0, V - 1)]
        kept_before = np.zeros(ids.size + 1, dtype=np.int64)
        np.cumsum(keep, out=kept_before[1:])
        kept_ids = ids[keep].astype(np.int64)
        del keep
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
    r_w = targets(ids, starts, reading)  # (reading positions,) int64: the words the state cache points at
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
    with torch.inference_mode():  # no autograd graph: this runs at a keystroke
        return _run_group(model, seqs), torch.tensor(words, dtype=torch.int64)


def state_row(query: torch.Tensor, keys: torch.Tensor, words: torch.Tensor | np.ndarray, theta: float, V: int,
              older_keys: torch.Tensor | None = None, older_words: torch.Tensor | None = None) -> np.ndarray | None:
    """The state cache's distribution (V,) for the GRU output `query` (H,) given earlier outputs `keys` (n, H)
    and the words that followed them (n,), and optionally still earlier ones (the text before, kept apart so
    that a keystroke never copies them); None when there is no earlier position."""
    part = state_shares(query, keys, words, theta, V, older_keys, older_words)
    return None if part is None else np.bincount(part[0], weights=part[1], minlength=V)


def state_shares(query: torch.Tensor | np.ndarray, keys: torch.Tensor | np.ndarray, words: torch.Tensor | np.ndarray,
                 theta: float, V: int, older_keys: torch.Tensor | np.ndarray | None = None,
                 older_words: torch.Tensor | np.ndarray | None = None,
                 ids_valid: bool = False) -> tuple[np.ndarray, np.ndarray] | None:
    """`state_row` sparsely: (the word after each earlier position (n,), its share softmax(θ·h·h_i) (n,)),
    which a keystroke's mixture adds word by word instead of through a V-sized row. Tensors or arrays (a
    typist's predictor keeps numpy views: each `.numpy()` is a call more per keystroke); `ids_valid`: the
    words are ids of a V-word vocabulary, not checked. In numpy: a keystroke pays a few microseconds per
    operation here, torch several times that."""
    q = _array(query)
    sims, both = [_array(keys) @ q], [_array(words)]
    if older_keys is not None and older_words is not None and older_keys.shape[0]:
        sims, both = [_array(older_keys) @ q, sims[0]], [_array(older_words), both[0]]
    sim = np.concatenate(sims) if len(sims) > 1 else sims[0]
    if sim.shape[0] == 0:
        return None
    sim -= sim.max()  # (sim is this call's own array)
    e = sim.astype(np.float64)
    e *= theta
    np.exp(e, out=e)
    which = np.concatenate(both) if len(both) > 1 else both[0]
    if not ids_valid and (which.min() < 0 or which.max() >= V):  # (ids of a vocabulary never are)
        which = np.clip(which, 0, V - 1)
    e /= e.sum()
    return which, e


def _array(x: torch.Tensor | np.ndarray) -> np.ndarray:
    return x if isinstance(x, np.ndarray) else np.asarray(x)


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
