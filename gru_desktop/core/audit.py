"""The memorisation audit (design §17): how exposed are the secret-like spans of the training text, and how
much of the training text do the model's own suggestions reproduce.

Exposure (Carlini et al., "The Secret Sharer", 2019): log2|R| − log2 rank of the true span among the
candidates R of the same format (core/secrets.py), all scored by the same model in the same context — the
span's real prefix, from the start of its sentence (`<bos>`), as the GRU saw it in training. Here R is the
true span plus N random candidates (N = 1,000 by default): the sampled estimate, at most log2(N + 1) ≈ 10 bits
("max_exposure"). A rank counts the candidates the model scores at least as high as the true span, so a tie
counts against exposure: a model that cannot tell the secret from other strings has not exposed it.

Scores are log-probabilities of the span's tokens under the GRU (the run's tokenizer: a span may be one
token, "4821", or several, "john", "example", "org"). A token outside the vocabulary is read as `<unk>`, as
in training; as a string it gets p(<unk>) shared evenly among the strings of its shape (10 per digit, 26 per
letter), so the model is a distribution over strings and the candidates are compared honestly:
- a span whose tokens are all outside the vocabulary ties with (nearly) every candidate: exposure ≈ 0. The
  network cannot produce it.
- a span inside the vocabulary among candidates outside it is exposed by the vocabulary itself — the model
  file lists its words — and its exposure is high unless the model finds it unlikely at that place.

Candidates are scored in batches: one GRU pass over the shared prefix, then every candidate's tokens as
the rows of one batch from that state (identical token sequences scored once).
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import torch

from .model import GRULanguageModel
from .secrets import LOWER
from .vocab import BOS, PAD, UNK, Vocab, tokenize_sentence

N_CANDIDATES = 1000
LOGIT_FLOATS = 1 << 25  # rows × V of one chunk of candidate logits (128 MB): 1,000 candidates of 6 tokens, V = 5000
EXTRACTION_SENTENCES = 200


@functools.lru_cache(maxsize=65536)
def oov_nats(token: str) -> float:
    """ln of the number of strings of this token's shape: p(<unk>) is shared among them."""
    return sum(math.log(10) if ch.isdigit() else math.log(len(LOWER)) if ch.isalpha() else 0.0 for ch in token)


@dataclass
class Exposure:
    exposure: float  # bits
    max_exposure: float  # log2(N + 1): the most this many candidates can show
    rank: int  # 1 = the model prefers the true span to every candidate
    candidates: int
    unknown_tokens: int  # of the span's tokens, those outside the vocabulary

    def to_dict(self) -> dict:
        return {"exposure": round(self.exposure, 3), "max_exposure": round(self.max_exposure, 3), "rank": self.rank,
                "candidates": self.candidates, "unknown_tokens": self.unknown_tokens}


def exposure_of(true_score: float, cand_scores: np.ndarray, unknown_tokens: int = 0) -> Exposure:
    """Carlini's exposure of a span from its score and its candidates' (log-probabilities)."""
    n = int(cand_scores.size)
    rank = 1 + int(np.count_nonzero(cand_scores >= true_score))
    top = math.log2(n + 1)
    return Exposure(top - math.log2(rank), top, rank, n, unknown_tokens)


class SpanScorer:
    """Log-probabilities (nats) of texts under the GRU after a prefix; see the module's notes on <unk>."""

    def __init__(self, model: GRULanguageModel, vocab: Vocab, tokenizer: str, lowercase: bool):
        self.model, self.vocab, self.tokenizer, self.lowercase = model, vocab, tokenizer, lowercase

    def tokens(self, text: str) -> list[str]:
        return tokenize_sentence(text, self.tokenizer, self.lowercase)

    def unknown(self, text: str) -> int:
        return sum(1 for t in self.tokens(text) if self.vocab.id(t) == UNK)

    @torch.inference_mode()
    def score(self, prefix: str, texts: list[str]) -> np.ndarray:
        """(len(texts),) float64 log p(text | prefix): every text's tokens from the state after `prefix`."""
        model, vocab = self.model, self.vocab
        was_training = model.training
        model.eval()
        try:
            rows: dict[tuple[int, ...], int] = {}
            which = np.empty(len(texts), dtype=np.int64)
            penalty = np.zeros(len(texts))
            for i, text in enumerate(texts):
                toks = self.tokens(text)
                ids = tuple(vocab.encode(toks)) or (UNK,)
                penalty[i] = sum(oov_nats(t) for t, j in zip(toks, ids, strict=False) if j == UNK)
                which[i] = rows.setdefault(ids, len(rows))
            seqs = list(rows)
            T = max(len(s) for s in seqs)
            ids_t = torch.full((len(seqs), T), PAD, dtype=torch.int64)  # (U, T) distinct token sequences
            for r, s in enumerate(seqs):
                ids_t[r, : len(s)] = torch.tensor(s)
            lengths = torch.tensor([len(s) for s in seqs])
            _, last, state = model.run([BOS] + vocab.encode(self.tokens(prefix)), None)  # state (layers, 1, H)
            total = torch.log_softmax(last.float(), 0)[ids_t[:, 0]].double()  # (U,) first token
            if T > 1:
                chunk = max(1, LOGIT_FLOATS // ((T - 1) * len(vocab)))
                for a in range(0, len(seqs), chunk):
                    x = ids_t[a : a + chunk]  # (c, T)
                    out, _ = model.gru(model.embedding(x[:, :-1]), state.expand(-1, x.shape[0], -1).contiguous())
                    logits = model.logits(out).float()  # (c, T-1, V)
                    lp = logits.gather(2, x[:, 1:, None])[..., 0] - torch.logsumexp(logits, 2)  # (c, T-1)
                    real = torch.arange(1, T)[None, :] < lengths[a : a + chunk, None]
                    total[a : a + chunk] += (lp * real).sum(1).double()
            return total.numpy()[which] - penalty
        finally:
            model.train(was_training)

    def exposure(self, prefix: str, text: str, cands: list[str]) -> Exposure:
        scores = self.score(prefix, [text] + cands)
        return exposure_of(float(scores[0]), scores[1:], self.unknown(text))


@torch.inference_mode()
def gru_greedy_hits(model: GRULanguageModel, sents: list[np.ndarray], halves: list[int]) -> np.ndarray:
    """(n,) bool: the GRU's top-1 suggestion (never a reserved token) is right at every position of the
    second half given the first — what greedy completion from the first half reproduces exactly."""
    was_training = model.training
    model.eval()
    try:
        out = np.zeros(len(sents), dtype=bool)
        for a in range(0, len(sents), 64):
            part = sents[a : a + 64]
            T = max(len(s) for s in part)
            x = torch.full((len(part), T), PAD, dtype=torch.int64)
            y = torch.full((len(part), T), PAD, dtype=torch.int64)
            for r, s in enumerate(part):
                y[r, : len(s)] = torch.from_numpy(s.astype(np.int64))
                x[r, 0], x[r, 1 : len(s)] = BOS, y[r, : len(s) - 1]
            h, _ = model.gru(model.embedding(x))  # (b, T, H); padding after the words changes nothing before it
            logits = model.logits(h)  # (b, T, V)
            logits[..., :3] = -math.inf  # <pad>, <unk>, <bos> are never suggested
            best = logits.argmax(2).numpy()
            for r, s in enumerate(part):
                k = halves[a + r]
                out[a + r] = bool(np.all(best[r, k : len(s)] == s[k:]))
        return out
    finally:
        model.train(was_training)


def counts_greedy_hits(counts, sents: list[np.ndarray], halves: list[int]) -> np.ndarray:
    """The same as `gru_greedy_hits` for the Kneser–Ney trigram (core/ngram.py) alone."""
    us, vs, ws, owner = [], [], [], []
    for r, (s, k) in enumerate(zip(sents, halves, strict=True)):
        hist = np.concatenate([[PAD, BOS], s.astype(np.int64)])
        for j in range(k, len(s)):
            us.append(hist[j])
            vs.append(hist[j + 1])
            ws.append(int(s[j]))
            owner.append(r)
    ok = np.ones(len(sents), dtype=bool)
    u, v, w, o = (np.asarray(a, dtype=np.int64) for a in (us, vs, ws, owner))
    for a in range(0, len(u), 256):
        p = counts.dense(u[a : a + 256], v[a : a + 256])  # (c, V)
        p[:, :3] = -1.0
        wrong = p.argmax(1) != w[a : a + 256]
        ok[o[a : a + 256][wrong]] = False
    return ok


def extraction(model: GRULanguageModel, counts, ids: np.ndarray, starts: np.ndarray, sentences: np.ndarray,
               seed: int = 0, n: int = EXTRACTION_SENTENCES) -> dict:
    """For up to `n` training sentences of 4+ words (drawn with `seed`): the share whose second half the
    GRU's greedy top-1 suggestions complete exactly from the first half, and the same for the counts alone.
    {"gru", "counts" (None without counts), "sentences"}."""
    lengths = starts[sentences + 1] - starts[sentences]
    usable = sentences[lengths >= 4]
    rng = np.random.default_rng([seed, 0xE7])
    chosen = np.sort(rng.choice(usable, size=min(n, usable.size), replace=False)) if usable.size else usable
    sents = [np.asarray(ids[starts[i] : starts[i + 1]]) for i in chosen]
    halves = [len(s) // 2 for s in sents]
    if not sents:
        return {"gru": None, "counts": None, "sentences": 0}
    gru = gru_greedy_hits(model, sents, halves)
    share_counts = float(counts_greedy_hits(counts, sents, halves).mean()) if counts is not None else None
    return {"gru": float(gru.mean()), "counts": share_counts, "sentences": len(sents)}


def known_candidates(tokens: list[str], vocab: Vocab, n: int, rng: np.random.Generator) -> list[str]:
    """Candidates made of numbers the model knows: each all-digit token of a span replaced by a random
    vocabulary word of the same length, all digits ("4111" by another 4-digit word with an id). Distinct,
    without the span itself; [] when the vocabulary has too few such words to rank against (< 10 variants).

    Against random strings, a number in the vocabulary is exposed by the vocabulary itself; among the
    numbers the model knows, exposure says whether the model prefers this one at this place."""
    pools = {}
    for t in tokens:
        if t.isdigit() and len(t) not in pools:
            pools[len(t)] = [w for w in vocab.itos[3:] if w.isdigit() and len(w) == len(t)]
    slots = [i for i, t in enumerate(tokens) if t.isdigit()]
    if not slots or math.prod(len(pools[len(tokens[i])]) for i in slots) < 11:
        return []
    seen, out = {tuple(tokens)}, []
    for _ in range(4 * n):
        cand = list(tokens)
        for i in slots:
            pool = pools[len(tokens[i])]
            cand[i] = pool[int(rng.integers(len(pool)))]
        if tuple(cand) not in seen:
            seen.add(tuple(cand))
            out.append(" ".join(cand))
            if len(out) == n:
                break
    return out
