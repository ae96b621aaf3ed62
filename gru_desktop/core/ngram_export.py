"""A Kneser–Ney trigram (`ngram.KneserNeyTrigram`) in formats other programs load (design §16):

- ARPA (KenLM, SRILM, most speech and keyboard toolkits): the interpolated model written exactly as a back-off
  model. For every listed n-gram its interpolated probability; for every context its γ as the back-off
  weight. Then ARPA's rule — P(w|u v) = listed, else bo(u v)·P(w|v) — gives back P3 everywhere:
  for w never seen after (u,v), P3 = γ3(uv)·P2(w|v), and likewise P2 = γ2(v)·P1(w). The sentence start is
  `<s>`: our first-word distribution P3(·|<pad>,<bos>) becomes the bigrams `<s> w`, with bo(<s>) =
  γ3(<pad><bos>)·γ2(<bos>); trigrams `<s> v w` are ours after (<bos>, v). `</s>` is listed (KenLM wants
  it) at log10 −99: our model never predicts a sentence end, so score with eos off.
- Presage's SQLite n-gram tables `_1_gram(word, count)`, `_2_gram(word_1, word, count)`,
  `_3_gram(word_2, word_1, word, count)` with raw counts (Presage smooths them itself): trigram counts are
  the model's own, bigram and unigram counts their sums. N-grams with a reserved token (<pad>, <bos>,
  <unk>) are left out: Presage has no sentence marker and would offer "<unk>" as a word.

Both are written to a temporary file beside the target and renamed: a failed export leaves nothing.
"""
from __future__ import annotations

import math
import os
import sqlite3
from pathlib import Path

import numpy as np

from .atomic import atomic_write, create_beside
from .ngram import KneserNeyTrigram
from .vocab import BOS, PAD, UNK

RESERVED_IDS = (PAD, UNK, BOS)


def arpa_names(itos: list[str]) -> list[str]:
    names = list(itos)
    names[BOS], names[UNK] = "<s>", "<unk>"
    return names


def _log10(p: np.ndarray) -> np.ndarray:
    return np.log10(np.maximum(p, 1e-99))


def write_arpa(path: str | os.PathLike, kn: KneserNeyTrigram, itos: list[str]) -> dict:
    """Write the model as an ARPA file; return the n-gram counts per order."""
    V, names = kn.V, arpa_names(itos)
    p1 = kn.p1
    # unigrams: every word the model can predict, then <s> and </s>
    uni = np.flatnonzero(kn.targets)  # (n1,) every id but <pad> and <bos>
    bi_ctx_gamma = kn.bi.gamma_of(uni)
    bi_ctx_seen = np.isin(uni, kn.bi.contexts)
    start_ctx = np.array([PAD * V + BOS])
    bo_start = float(kn.tri.gamma_of(start_ctx)[0] * kn.bi.gamma_of(np.array([BOS]))[0])
    # bigrams: (v, w) with v a word: P2(w|v); (<bos>, w): the first-word distribution P3(w|<pad>,<bos>)
    bv, bw = kn.bi.keys // V, kn.bi.keys % V
    p2 = kn.bi.prob(bv, bw, p1[bw])
    first = bv == BOS
    p2 = np.where(first, kn.tri.prob(np.full(bv.shape, PAD * V + BOS), bw, p2), p2)
    b_ctx = bv * V + bw
    b_seen = np.isin(b_ctx, kn.tri.contexts)
    b_gamma = kn.tri.gamma_of(b_ctx)
    # trigrams: all but those after (<pad>, <bos>) (they are the `<s> w` bigrams)
    tctx, tw = kn.tri.keys // V, kn.tri.keys % V
    keep = tctx // V != PAD
    tctx, tw = tctx[keep], tw[keep]
    p3 = kn.tri.prob(tctx, tw, kn.bi.prob(tctx % V, tw, p1[tw]))
    counts = {1: len(uni) + 2, 2: len(bv), 3: len(tw)}
    with atomic_write(path, "w", newline="\n") as fh:
        fh.write("\\data\\\n" + "".join(f"ngram {n}={c}\n" for n, c in counts.items()) + "\n\\1-grams:\n")
        fh.write(f"-99.000000\t<s>\t{math.log10(max(bo_start, 1e-99)):.6f}\n-99.000000\t</s>\n")
        lp, lg = _log10(p1[uni]), _log10(bi_ctx_gamma)
        fh.writelines(f"{a:.6f}\t{names[w]}\t{g:.6f}\n" if seen else f"{a:.6f}\t{names[w]}\n"
                      for a, w, g, seen in zip(lp.tolist(), uni.tolist(), lg.tolist(), bi_ctx_seen.tolist(), strict=True))
        fh.write("\n\\2-grams:\n")
        lp, lg = _log10(p2), _log10(b_gamma)
        fh.writelines(f"{a:.6f}\t{names[v]} {names[w]}\t{g:.6f}\n" if seen else f"{a:.6f}\t{names[v]} {names[w]}\n"
                      for a, v, w, g, seen in zip(lp.tolist(), bv.tolist(), bw.tolist(), lg.tolist(), b_seen.tolist(),
                                                  strict=True))
        fh.write("\n\\3-grams:\n")
        lp = _log10(p3)
        fh.writelines(f"{a:.6f}\t{names[c // V]} {names[c % V]} {names[w]}\n"
                      for a, c, w in zip(lp.tolist(), tctx.tolist(), tw.tolist(), strict=True))
        fh.write("\n\\end\\\n")
    return counts


def raw_counts(kn: KneserNeyTrigram) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """The raw counts behind the model: (unigram counts (V,), (bigram keys, counts), (trigram keys, counts)).
    Every position is one trigram (u, v, w), so the bigram (v, w) count is the sum over u, and w's count the
    sum over v."""
    V = kn.V
    tri_keys, tri_counts = kn.tri.keys, kn.tri.counts
    bi_keys, inv = np.unique(tri_keys % (V * V), return_inverse=True)
    bi_counts = np.bincount(inv.reshape(-1), weights=tri_counts, minlength=len(bi_keys)).astype(np.int64)
    uni = np.bincount(bi_keys % V, weights=bi_counts, minlength=V).astype(np.int64)
    return uni, (bi_keys, bi_counts), (tri_keys, tri_counts)


def write_presage(path: str | os.PathLike, kn: KneserNeyTrigram, itos: list[str]) -> dict:
    """Write Presage's n-gram database (raw counts, reserved tokens left out); return the rows per table."""
    V = kn.V
    uni, (bk, bc), (tk, tc) = raw_counts(kn)
    real = np.ones(V, dtype=bool)
    real[list(RESERVED_IDS)] = False
    w1 = np.flatnonzero(real & (uni > 0))
    bv, bw = bk // V, bk % V
    bkeep = real[bv] & real[bw]
    tu, tv, tw = tk // (V * V), (tk // V) % V, tk % V
    tkeep = real[tu] & real[tv] & real[tw]
    rows = {"_1_gram": int(w1.size), "_2_gram": int(bkeep.sum()), "_3_gram": int(tkeep.sum())}
    path = Path(path)
    fd, tmp_path = create_beside(path)  # the umask's permissions, like every other export (core.atomic)
    os.close(fd)
    tmp = str(tmp_path)
    try:
        con = sqlite3.connect(tmp)
        try:
            with con:
                # Presage's own schema (DatabaseConnector::createNgramTable): word_N … word_1, word, count
                con.execute("CREATE TABLE _1_gram (word TEXT, count INTEGER, UNIQUE(word))")
                con.execute("CREATE TABLE _2_gram (word_1 TEXT, word TEXT, count INTEGER, UNIQUE(word_1, word))")
                con.execute("CREATE TABLE _3_gram (word_2 TEXT, word_1 TEXT, word TEXT, count INTEGER, "
                            "UNIQUE(word_2, word_1, word))")
                con.executemany("INSERT INTO _1_gram VALUES (?, ?)", ((itos[w], c) for w, c in
                                                                     zip(w1.tolist(), uni[w1].tolist(), strict=True)))
                con.executemany("INSERT INTO _2_gram VALUES (?, ?, ?)", (
                    (itos[v], itos[w], c) for v, w, c in
                    zip(bv[bkeep].tolist(), bw[bkeep].tolist(), bc[bkeep].tolist(), strict=True)))
                con.executemany("INSERT INTO _3_gram VALUES (?, ?, ?, ?)", (
                    (itos[u], itos[v], itos[w], c) for u, v, w, c in
                    zip(tu[tkeep].tolist(), tv[tkeep].tolist(), tw[tkeep].tolist(), tc[tkeep].tolist(), strict=True)))
        finally:
            con.close()
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        Path(tmp + "-journal").unlink(missing_ok=True)
        raise
    return rows
