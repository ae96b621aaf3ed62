"""Next-word suggestions for text as it is typed, incrementally.

Only the current sentence matters (training starts every sentence from `<bos>` and a zero state). The
predictor remembers the tokens it has fed for that sentence and the GRU state after each, so:
- typing letters of a word costs no GRU step at all (the next-word distribution is cached; completions
  only filter it by the prefix, found in O(log V) in the sorted vocabulary);
- finishing a word costs one GRU step and one dense layer;
- an edit earlier in the sentence rewinds to the last unchanged token and feeds only what follows.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import overload

import numpy as np
import torch

from .blend import CACHE_WINDOW, SOURCES, STATE_WINDOW, Blend
from .blend_stream import sentence_states, state_shares
from .config import TrainConfig
from .model import GRULanguageModel
from .personal_view import NewWords, PersonalPart
from .step_numpy import NumpyStep
from .topk import top_distinct
from .vocab import BOS, PAD, Vocab, partial_word, split_last_sentence, split_sentences, tokenize_sentence

CONTEXT_CHARS = 4000  # look at most this far back for the current sentence (a pasted page stays fast)
HISTORY_CHARS = 20_000  # the recency cache reads at most this much text before the sentence


@dataclass(frozen=True)
class Suggestion:
    word: str
    probability: float


@dataclass
class Context:
    """What the predictor reads from the text: the current sentence's complete tokens and a half-typed word,
    and the text before the sentence (the recency cache counts its words)."""

    tokens: list[str]
    ids: list[int]
    prefix: str
    before: str = ""


class Predictor:
    """Suggestions from a run's GRU, or its blend with counts and a recency cache (design §11).

    `source`: "blend" (needs `blend`), "gru" or "counts" (needs `blend`)."""

    def __init__(self, model: GRULanguageModel, vocab: Vocab, config: TrainConfig, blend: Blend | None = None,
                 source: str | None = None, personal: PersonalPart | None = None):
        self.model, self.vocab, self.config = model.eval(), vocab, config
        self.blend = blend
        # the fifth part (design §17): what the user typed, mixed into what suggests ("blend", or the GRU when
        # the run has no counts) with its online-fitted weight; None: not learning
        self.personal = personal
        self.source = source or ("blend" if blend is not None else "gru")
        if self.source not in SOURCES:
            raise ValueError(f"source must be one of {', '.join(SOURCES)}, not {self.source!r}")
        if self.source != "gru" and blend is None:
            raise ValueError(f"source {self.source!r} needs the run's counts")
        self._history: tuple[str, list[int]] = ("", [])  # text before the sentence → its ids (cache input)
        self._history_arr = np.zeros(0, dtype=np.int64)  # the same ids as an array (a keystroke's bincount)
        # and, for the state cache, the GRU outputs of its last STATE_WINDOW positions and the words after them
        self._history_states: tuple[torch.Tensor, torch.Tensor] | None = None
        self._history_arrays: tuple[np.ndarray, np.ndarray] = (np.zeros((0, 0), np.float32), np.zeros(0, np.int64))
        self._needs_states = blend is not None and blend.weights.state > 0
        # the last few mixed distributions: (source, ids, text before, personal key) → (probabilities, new
        # words); a few, not one, so the trace's sources and the learner's look at the word just finished do
        # not push out the chips' own, which the next letter typed needs again
        self._mixed: list[tuple] = []
        self._bases: list[tuple] = []  # the same without the personal part (float64), for the learner's check
        self._not_suggestable = torch.from_numpy(~vocab.suggestable)
        self._n_suggestable = int(vocab.suggestable.sum())
        self._ids: list[int] = []  # tokens fed after <bos>
        self._tokenized: tuple[str, list[str], list[int]] = ("", [], [])  # the last sentence read, its tokens, ids
        self._states: list[torch.Tensor] = []  # state after <bos> and after each fed token
        self._outs = torch.empty(0)
        self._probs: list[torch.Tensor | None] = []  # next-word probabilities at each of those points
        self.steps = 0  # GRU steps run, for tests and the latency probe
        # a step in numpy where the model allows (step_numpy.py: a third of torch's cost at a keystroke)
        self._numpy = NumpyStep(self.model) if NumpyStep.usable(self.model) else None

    # --- reading the text -------------------------------------------------------------------
    def context(self, text: str) -> Context:
        full = text
        text = text[-CONTEXT_CHARS:]
        tk, lower = self.config.tokenizer, self.config.lowercase
        _, sentence = split_last_sentence(text, tk)
        # The text before this sentence (the cache counts its words). An abbreviation in this sentence ("Dr.")
        # shortens it by its dot, so this may keep a letter of the sentence: it is only counted, never fed.
        before = full[: len(full) - len(sentence)] if self.blend is not None else ""
        prefix = ""
        if sentence and not sentence[-1].isspace():
            m = partial_word(sentence)
            if m:
                prefix = m.group(0)
                sentence = sentence[: m.start()]
        if lower:
            prefix = prefix.lower()
        tokens, ids = self._tokenize(sentence)
        return Context(tokens, ids, prefix, before)

    def _tokenize(self, sentence: str) -> tuple[list[str], list[int]]:
        """The sentence's tokens and ids: the last ones again while letters of a word are typed, and only the
        new words when it grew after white space (no token spans white space, so the old ones stay)."""
        tk, lower = self.config.tokenizer, self.config.lowercase
        old, tokens, ids = self._tokenized
        if sentence != old:
            if old and old[-1].isspace() and sentence.startswith(old):
                more = tokenize_sentence(sentence[len(old):], tk, lower)
                tokens, ids = tokens + more, ids + self.vocab.encode(more)
            else:
                tokens = tokenize_sentence(sentence, tk, lower)
                ids = self.vocab.encode(tokens)
            self._tokenized = (sentence, tokens, ids)
        return list(tokens), list(ids)  # copies: callers may change theirs

    # --- the model, incrementally -----------------------------------------------------------
    @overload
    def _advance(self, ids: list[int], limit: None = None) -> torch.Tensor: ...
    @overload
    def _advance(self, ids: list[int], limit: int | None) -> torch.Tensor | None: ...

    def _advance(self, ids: list[int], limit: int | None = None) -> torch.Tensor | None:
        """Make the cache hold `ids` (and perhaps tokens fed after them); return the next-word probabilities (V,).

        With `limit`, run at most that many GRU steps and return None if more are needed (a GUI can
        catch up with a pasted page a slice at a time, calling again until it gets probabilities).
        """
        if not self._states:
            probs, state = self._step(BOS, None)
            self._states, self._probs = [state], [probs]
            self._outs = torch.empty(64, state.shape[-1])  # top layer's output at each point: the state cache's
            self._outs[0] = state[-1, 0]                 # keys, kept in one tensor (no per-keystroke stacking)
        same = _common(self._ids, ids)
        if same == len(ids):  # what is fed so far, or a part of it (the learner's look back at a word just
            return self._probs[same]  # finished): kept, so going forward again costs no step
        del self._ids[same:], self._states[same + 1 :], self._probs[same + 1 :]
        todo = ids[same:]
        if limit is not None and len(todo) > limit:
            todo, unfinished = todo[:limit], True
        else:
            unfinished = False
        for token in todo:
            probs, state = self._step(token, self._states[-1])
            self._ids.append(token)
            self._states.append(state)
            if len(self._states) > self._outs.shape[0]:
                self._outs = torch.cat([self._outs, torch.empty_like(self._outs)])
            self._outs.numpy()[len(self._states) - 1] = state.numpy()[-1, 0]  # (numpy's setitem: a few µs less)
            self._probs.append(probs)
        return None if unfinished else self._probs[-1]

    def _step(self, token: int, state: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """One GRU step: the next-word probabilities (V,) and the state (layers, 1, H) after `token`."""
        self.steps += 1
        if self._numpy is not None and not self.model.training:  # (its parameters were checked when made)
            probs, new = self._numpy.step(token, state.numpy()[:, 0] if state is not None else None)
            return torch.from_numpy(probs), torch.from_numpy(new[:, None])
        logits, state = self.model.step(token, state)
        return torch.softmax(logits, 0), state

    def pending(self, ids: list[int]) -> int:
        """GRU steps still needed before the cache holds `ids` (0: suggestions are instant)."""
        return len(ids) - _common(self._ids, ids) + (0 if self._states else 1)

    def advance(self, ids: list[int], limit: int | None = None) -> torch.Tensor | None:
        return self._advance(ids, limit)

    def probabilities(self, text: str) -> tuple[torch.Tensor, Context]:
        """What suggests for the text, as next-word probabilities (V,), and how the text was read."""
        ctx = self.context(text)
        return self.mixed(self._advance(ctx.ids), ctx), ctx

    def mixed(self, gru: torch.Tensor, ctx: Context, source: str | None = None, personal: bool = True) -> torch.Tensor:
        """The `source`'s distribution (the predictor's own by default) given the GRU's for this context; with
        the personal part mixed in where it applies (`personal` False: without it, as the held-out check needs)."""
        source = source or self.source
        blend = self.blend
        part = self.personal if personal and (source == "blend" or blend is None) else None
        if part is not None and part.d <= 0:
            part = None
        if (source == "gru" or blend is None) and part is None:
            return gru
        ids = tuple(ctx.ids)
        key = (source, ids, ctx.before, part.key() if part is not None else None)
        hit = _recall(self._mixed, key, gru)
        if hit is not None:  # a letter typed into a word: the same words before it, the same distribution
            return hit[0]
        base_key = (source, ids, ctx.before)
        base = _recall(self._bases, base_key, gru)  # the same context without the personal part, or before
        if base is None:  # a word was learned: only the personal part is mixed again
            if source == "gru" or blend is None:
                base = gru.numpy().astype(np.float64)
            else:
                base = self._mix(gru, ctx, source, blend)
            _remember(self._bases, base_key, gru, base)
        new = None
        if part is not None:
            mixed, new = part.mix(base, ctx.tokens)
            out = torch.from_numpy(mixed).float()
        else:
            out = torch.from_numpy(base).float()
        _remember(self._mixed, key, gru, (out, new))
        return out

    def _mix(self, gru: torch.Tensor, ctx: Context, source: str, blend: Blend) -> np.ndarray:
        """`blend.mix` of the parts for one context, (V,) float64, with the cache and state cache added
        sparsely: they are non-zero only at the few hundred words of their windows, so each costs a scatter
        of those words instead of four V-sized arrays (bincount, scale, weight, sum); the counts row is a
        fresh array, weighted in place. The same sums as `mix` (a + b = b + a) to float64 rounding."""
        weights = blend.weights.for_source(source)
        cache = self._cache_words(ctx) if weights.cache else None
        state = self._state_words(ctx) if weights.state else None
        # nothing seen yet: the cache's or state cache's share goes to the counts
        weights = weights.without_missing(cache is not None, state is not None)
        out = self.counts_row(ctx.ids)  # (V,) float64, its own array
        if weights.counts != 1.0:
            out *= weights.counts
        if weights.gru:
            out += np.multiply(gru.numpy(), weights.gru, dtype=np.float64)
        for part, w in ((cache, weights.cache), (state, weights.state)):
            if part is not None and w:
                words, shares = part
                np.add.at(out, words, shares * w)
        return out

    def distributions(self, text: str) -> tuple[dict[str, torch.Tensor], Context]:
        """Every source's distribution for the text (only "gru" without counts): for the prediction trace."""
        ctx = self.context(text)
        gru = self._advance(ctx.ids)
        sources = SOURCES if self.blend is not None else ("gru",)
        return {s: self.mixed(gru, ctx, s) for s in sources}, ctx

    def counts_row(self, ids: list[int]) -> np.ndarray:
        """The counts' P(· | last two words of the sentence) (V,)."""
        u = ids[-2] if len(ids) >= 2 else (BOS if ids else PAD)
        v = ids[-1] if ids else BOS
        return self._counted().counts.row(u, v)

    def cache_row(self, ctx: Context) -> np.ndarray | None:
        """The recency cache: shares of the words seen so far in the text (earlier sentences, then this one)."""
        return self._dense(self._cache_words(ctx))

    def _cache_words(self, ctx: Context) -> tuple[np.ndarray, np.ndarray] | None:
        """The recency cache sparsely: (the words in its window, (n,) ids with repeats, each one's share 1/n)."""
        suggestable = self.vocab.suggestable
        self._history_ids(ctx.before)
        now = [i for i in ctx.ids if suggestable[i]][-CACHE_WINDOW:]  # this sentence's: a few words
        room = CACHE_WINDOW - len(now)  # the rest of the window from the text before (already filtered)
        older = self._history_arr[-room:] if room > 0 else self._history_arr[:0]
        n = len(now) + older.size
        if not n:
            return None
        words = np.concatenate([older, np.asarray(now, dtype=np.int64)]) if now else older
        return words, np.full(n, 1.0 / n)

    def state_row(self, ctx: Context) -> np.ndarray | None:
        """The state cache: earlier positions of the text (earlier sentences, then this one) whose GRU output
        is like the present one vote for the word that followed them. Needs the GRU fed up to `ctx.ids`."""
        return self._dense(self._state_words(ctx))

    def _dense(self, part: tuple[np.ndarray, np.ndarray] | None) -> np.ndarray | None:
        """A sparse part (word ids with repeats, their shares) as a (V,) row: each id's shares summed."""
        if part is None:
            return None
        row = np.zeros(len(self.vocab))
        np.add.at(row, *part)
        return row

    def _state_words(self, ctx: Context) -> tuple[np.ndarray, np.ndarray] | None:
        """The state cache sparsely: (the words that followed the earlier positions, their shares)."""
        self._history_ids(ctx.before)
        theta, history = self._counted().theta, self._history_states
        n = len(ctx.ids)
        if len(self._states) < n + 1 or self._ids[:n] != list(ctx.ids):
            return None
        first = max(0, n - STATE_WINDOW)
        outs = self._outs.numpy()
        now_keys, query = outs[first:n], outs[n]  # outputs after <bos> and each token: views
        now_words = np.asarray(ctx.ids[first:], dtype=np.int64)
        room = STATE_WINDOW - now_keys.shape[0]
        V = len(self.vocab)
        if history is not None and room > 0:  # the text before fills the rest of the window
            keys, words = self._history_arrays
            return state_shares(query, now_keys, now_words, theta, V, keys[-room:], words[-room:], ids_valid=True)
        return state_shares(query, now_keys, now_words, theta, V, ids_valid=True)

    def _counted(self) -> Blend:
        """The blend, for the parts that need its counts (only asked for when the predictor has them)."""
        if self.blend is None:
            raise ValueError("this predictor suggests with the GRU alone: it has no counts")
        return self.blend

    def _history_ids(self, before: str) -> list[int]:
        """The last CACHE_WINDOW suggestable ids of the text before the current sentence: read again only when
        it changed, and then only the new part when the text grew (a finished sentence), so a keystroke never
        re-reads a long text."""
        old_text, old_ids = self._history
        if before == old_text:
            return old_ids
        tk, lower = self.config.tokenizer, self.config.lowercase
        grown = bool(old_text) and before.startswith(old_text)
        new = before[len(old_text):] if grown else before[-HISTORY_CHARS:]
        suggestable = self.vocab.suggestable  # only the words the cache counts are kept: the last CACHE_WINDOW
        sentences = [self.vocab.encode(tokenize_sentence(s, tk, lower)) for s in split_sentences(new, tk)]
        ids = [i for sent in sentences for i in sent if suggestable[i]]
        ids = ((old_ids if grown else []) + ids)[-CACHE_WINDOW:]
        self._history = (before, ids)
        self._history_arr = np.asarray(ids, dtype=np.int64)
        if self._needs_states:  # the GRU reads only the new sentences (at most the last STATE_WINDOW tokens)
            sentences = _last_tokens(sentences, STATE_WINDOW)
            keys, words = self._sentence_states(sentences)
            if grown and self._history_states is not None:
                keys, words = torch.cat([self._history_states[0], keys]), torch.cat([self._history_states[1], words])
            self._history_states = (keys[-STATE_WINDOW:], words[-STATE_WINDOW:])
            self._history_arrays = (self._history_states[0].detach().numpy(), self._history_states[1].numpy())
        return ids

    def _sentence_states(self, sentences: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        """`sentence_states` of these sentences; for the last one, the GRU outputs this predictor already has
        where it fed that sentence's tokens (the one just finished, typed here), so a sentence's end costs the
        steps it has not seen (usually none or one) instead of running the GRU over the whole sentence again."""
        last = max((k for k, sent in enumerate(sentences) if sent), default=-1)
        if last < 0 or not self._states:
            return sentence_states(self.model, sentences)
        sent = sentences[last]
        fed = _common(self._ids, sent[:-1])  # tokens of the sentence (but its last: the GRU's inputs) fed here
        if (fed == 0 and len(sent) > 1) or PAD in sent[:-1]:  # nothing to reuse (or a token training replaces)
            return sentence_states(self.model, sentences)
        keys, words = sentence_states(self.model, sentences[:last])
        own = self._outs[: fed + 1]  # outputs after <bos> and each fed token
        if fed < len(sent) - 1:
            more, _, _ = self.model.run(sent[fed:-1], self._states[fed])
            own = torch.cat([own, more])
        return torch.cat([keys, own]), torch.cat([words, torch.tensor(sent, dtype=torch.int64)])

    def suggest(self, text: str, k: int = 3) -> list[Suggestion]:
        """The k most likely next words, or completions of the half-typed word; never a reserved token."""
        probs, ctx = self.probabilities(text)
        return self.top_k(probs, ctx.prefix, k)

    def top_k(self, probs: torch.Tensor, prefix: str, k: int) -> list[Suggestion]:
        new = self.new_words(probs)
        if new is not None:  # learned words outside the vocabulary compete too
            found = self._top_k(probs, prefix, k) + [Suggestion(w, p) for w, p in new.top(prefix, k)]
            found.sort(key=lambda s: -s.probability)
            return found[:k]
        return self._top_k(probs, prefix, k)

    def new_words(self, probs: torch.Tensor) -> NewWords | None:
        """The learned new words that go with `probs` (one of the last mixed distributions), if any."""
        for _, _, (out, new) in self._mixed:  # the learned new words, for `top_k`
            if out is probs:
                return new
        return None

    def _top_k(self, probs: torch.Tensor, prefix: str, k: int) -> list[Suggestion]:
        if prefix:
            candidates = torch.from_numpy(self.vocab.ids_with_prefix(prefix))
            if candidates.numel() == 0:
                return []
            p = probs[candidates]
            values, order = p.topk(min(k, p.numel()))
            ids = candidates[order]
        else:
            arr = probs.numpy()
            found = top_distinct(np.where(self.vocab.suggestable, arr, arr.dtype.type(-1.0)), k, -1.0)
            if found is not None:  # no tie: the same words in the same order as topk's (core/topk.py)
                return [Suggestion(self.vocab.itos[i], float(arr[i])) for i in found
                        if arr[i] >= 0 and self.vocab.suggestable[i]]
            masked = probs.masked_fill(self._not_suggestable, -1.0)
            values, ids = masked.topk(min(k, self._n_suggestable))
        return [Suggestion(self.vocab.itos[i], float(v)) for i, v in zip(ids.tolist(), values.tolist(), strict=True) if v >= 0]

    def sample(self, text: str, n_words: int, temperature: float = 1.0, top_k: int = 0, seed: int | None = None) -> list[str]:
        """Continue the text by sampling n words (temperature-scaled, optionally from the top k only)."""
        gen = torch.Generator().manual_seed(seed if seed is not None else secrets.randbelow(2**31))
        probs, ctx = self.probabilities(text)
        ids = list(ctx.ids)
        words: list[str] = []
        for n in range(n_words):
            if n:
                probs = self.mixed(probs, Context([], ids, "", ctx.before))
            p = probs.masked_fill(self._not_suggestable, 0.0).clamp_min(0.0)
            if temperature != 1.0:
                p = p.pow(1.0 / max(temperature, 1e-3))
            if top_k > 0:
                kth = p.topk(min(top_k, p.numel())).values[-1]
                p = torch.where(p >= kth, p, torch.zeros_like(p))
            token = int(torch.multinomial(p / p.sum(), 1, generator=gen))
            words.append(self.vocab.itos[token])
            ids.append(token)
            probs = self._advance(ids)  # the GRU's; mixed with the other parts at the top of the loop
        return words


def _last_tokens(sentences: list[list[int]], n: int) -> list[list[int]]:
    """The last sentences holding at least n tokens between them (all, when they hold fewer)."""
    total = 0
    for k in range(len(sentences) - 1, -1, -1):
        total += len(sentences[k])
        if total >= n:
            return sentences[k:]
    return sentences


MEMO = 6  # mixed distributions remembered (see Predictor._mixed)


def _recall(memo: list[tuple], key: tuple, gru: torch.Tensor):
    """The value remembered for `key` computed from this very GRU distribution, or None (most recent last)."""
    for k in range(len(memo) - 1, -1, -1):
        entry = memo[k]
        if entry[1] is gru and entry[0] == key:
            if k != len(memo) - 1:
                memo.append(memo.pop(k))
            return entry[2]
    return None


def _remember(memo: list[tuple], key: tuple, gru: torch.Tensor, value) -> None:
    memo.append((key, gru, value))
    del memo[:-MEMO]


def _common(a: list[int], b: list[int]) -> int:
    """How many tokens a and b share from the start (a typed word: all of the shorter, found by one list
    comparison instead of a Python loop over a long sentence)."""
    n = min(len(a), len(b))
    if a[:n] == b[:n]:
        return n
    same = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        same += 1
    return same
