"""What the user typed, as counts: the personal part of the blend (design §17).

Every word the user finishes (typed or accepted) is learned with up to two words of context before it, as in
ibus-typing-booster's user database: the unigram (w), the bigram (v, w) and the trigram (u, v, w), each with
a count, how many times it was seen, the word clock ("tick": words learned so far) and the wall-clock time
when it was last seen.

- Counts decay with age, measured in words typed since (a row's weight halves every `HALF_LIFE_WORDS` words
  the user types), so old habits fade while fresh ones count. To keep a learn O(1) all counts are held
  *inflated*: count·2^(tick/H) for the row's last tick; at any moment they share the factor 2^(−now/H), so
  ratios within a context never need it and the one scalar is applied where magnitudes matter.
- The table is capped at `MAX_ROWS` rows (ibus-typing-booster caps at 50,000): past it, the rows with the
  lowest decayed counts are dropped, down to 90 % of the cap, so pruning is rare.
- A word outside the run's vocabulary is suggested on its own only from its third sighting
  (`NEW_WORD_SEEN`: a typo typed once is never offered back); a phrase (bigram, trigram) counts from its
  `PHRASE_SEEN`-th sighting (the numbers are measured: README "Learning as you type").
- While paused nothing is learned: `learn` returns at once and changes nothing.

Plain data only (strings, numbers): `storage/personal.py` keeps the rows; `personal_view.py` turns them into
a distribution over a run's vocabulary.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

HALF_LIFE_WORDS = 20_000  # a row's weight halves every this many words typed (measured: README)
MAX_ROWS = 50_000  # rows kept at most (ibus-typing-booster's cap; latency at the cap measured: README)
NEW_WORD_SEEN = 3  # a word outside the vocabulary is suggested from its third sighting
PHRASE_SEEN = 1  # a bigram/trigram counts from this sighting on (measured: README)
BOS_TOKEN = "<bos>"  # the context before a sentence's first word
_RESCALE_AT = 600.0  # tick/H past which the inflated counts are brought back to scale (2^600 < float max)

Key = tuple[str, ...]


@dataclass
class Row:
    """One learned n-gram: its inflated count (count·2^(tick/H)), sightings, and when it was last seen."""

    inflated: float
    seen: int
    tick: int
    last_seen: float  # unix time


class PersonalCounts:
    """Learned unigram/bigram/trigram counts with decay, a cap, and the indexes the view reads.

    `follow[context]` maps a context ((), (v,) or (u, v)) to {word: Row}; `rows` maps every n-gram key to its
    Row. `generation` changes when everything changes at once (forget all, rescale, load); `log` lists the
    keys learned, forgotten or pruned since, so a view can follow cheaply."""

    def __init__(self, half_life: float = HALF_LIFE_WORDS, max_rows: int = MAX_ROWS,
                 phrase_seen: int = PHRASE_SEEN, new_word_seen: int = NEW_WORD_SEEN):
        self.half_life, self.max_rows = float(half_life), int(max_rows)
        self.phrase_seen, self.new_word_seen = max(1, int(phrase_seen)), max(1, int(new_word_seen))
        self.rows: dict[Key, Row] = {}
        self.follow: dict[Key, dict[str, Row]] = {}
        self.tick = 0  # words learned so far (the decay clock)
        self.scale_tick = 0  # inflated counts are count·2^((tick − scale_tick)/H)
        self.paused = False
        self.generation = 0
        self.log: list[Key] = []
        self.version = 0  # changes with every learn or forget (caches of mixed distributions key on it)

    # --- learning ---------------------------------------------------------------------------------
    def _inflate(self, tick: int) -> float:
        return 2.0 ** ((tick - self.scale_tick) / self.half_life) if math.isfinite(self.half_life) else 1.0

    def decay_scale(self) -> float:
        """The factor that turns inflated counts into decayed counts now."""
        return 1.0 / self._inflate(self.tick)

    def learn(self, context: list[str], word: str, now: float | None = None) -> list[Key]:
        """Learn `word` after `context` (its sentence so far; `BOS_TOKEN` stands for the start). Returns the keys
        whose rows changed (storage writes them) — nothing while paused."""
        if self.paused or not word:
            return []
        now = time.time() if now is None else now
        self.tick += 1
        if (self.tick - self.scale_tick) / self.half_life > _RESCALE_AT:
            self._rescale()
        add = self._inflate(self.tick)
        ctx = ([BOS_TOKEN] + list(context))[-2:]
        keys: list[Key] = [(word,), (ctx[-1], word)] + ([(ctx[0], ctx[1], word)] if len(ctx) == 2 else [])
        for key in keys:
            row = self.rows.get(key)
            if row is None:
                row = self.rows[key] = Row(0.0, 0, self.tick, now)
                self.follow.setdefault(key[:-1], {})[word] = row
            row.inflated += add
            row.seen += 1
            row.tick, row.last_seen = self.tick, now
        self.log.extend(keys)
        self.version += 1
        if len(self.rows) > self.max_rows:
            keys += self.prune()
        return keys

    def _rescale(self) -> None:
        f = self._inflate(self.tick)
        for row in self.rows.values():
            row.inflated /= f
        self.scale_tick = self.tick
        self._changed_shape()

    def prune(self) -> list[Key]:
        """Drop the rows with the lowest decayed counts, down to 90 % of the cap; the keys dropped."""
        drop = len(self.rows) - int(self.max_rows * 0.9)
        if drop <= 0:
            return []
        # the `drop` smallest, ties in table order (as heapq.nsmallest would), by one stable sort in numpy: at
        # the cap this runs on the GUI thread after a word (~5 ms for 50,000 rows; nsmallest took ~50 ms)
        keys = list(self.rows)
        inflated = np.fromiter((row.inflated for row in self.rows.values()), dtype=np.float64, count=len(keys))
        gone = [keys[i] for i in np.argsort(inflated, kind="stable")[:drop].tolist()]
        for key in gone:
            self._remove(key)
        self._removed(gone)
        return gone

    # --- forgetting -------------------------------------------------------------------------------
    def forget(self, key: Key) -> list[Key]:
        """Forget a word (every row holding it) or a phrase (its row and the longer ones holding it)."""
        if len(key) == 1:
            gone = [k for k in self.rows if key[0] in k]
        else:
            gone = [k for k in self.rows if _contains(k, key)]
        for k in gone:
            self._remove(k)
        self._removed(gone)
        return gone

    def forget_all(self) -> None:
        self.rows.clear()
        self.follow.clear()
        self.tick = self.scale_tick = 0
        self._changed_shape()

    def _remove(self, key: Key) -> None:
        self.rows.pop(key, None)
        followers = self.follow.get(key[:-1])
        if followers is not None:
            followers.pop(key[-1], None)
            if not followers:
                del self.follow[key[:-1]]

    def _removed(self, keys: list[Key]) -> None:
        """Rows went away: logged like learned ones (a view finds them missing and zeroes them)."""
        self.log.extend(keys)
        self.version += 1

    def _changed_shape(self) -> None:
        self.generation += 1
        self.log = []
        self.version += 1

    # --- reading ----------------------------------------------------------------------------------
    def eligible(self, key: Key, row: Row, known: bool) -> bool:
        """Whether a row counts: a word outside the vocabulary (`known` False) from its third sighting; a
        phrase from its `phrase_seen`-th."""
        if not known and self.rows.get((key[-1],), row).seen < self.new_word_seen:
            return False
        return len(key) == 1 or row.seen >= self.phrase_seen

    def learned(self) -> list[tuple[str, int, float, float]]:
        """Every learned word or phrase: (text, times seen, last seen (unix time), decayed count), the most
        recently seen first. Contexts at a sentence start show no `<bos>`."""
        scale = self.decay_scale()
        out = [(" ".join(w for w in k if w != BOS_TOKEN), r.seen, r.last_seen, r.inflated * scale)
               for k, r in self.rows.items() if k[0] != BOS_TOKEN or len(k) > 2]
        out.sort(key=lambda x: -x[2])
        return out

    # --- plain data (storage) ---------------------------------------------------------------------
    def to_row(self, key: Key) -> tuple[Key, float, int, int, float] | None:
        """(key, decayed count at its own tick, seen, tick, last seen) — independent of the inflation."""
        row = self.rows.get(key)
        if row is None:
            return None
        return key, row.inflated / self._inflate(row.tick), row.seen, row.tick, row.last_seen

    def load(self, rows, tick: int, paused: bool = False) -> None:
        """Replace everything with stored rows [(key, count at its tick, seen, tick, last seen)]."""
        self.rows.clear()
        self.follow.clear()
        self.tick, self.scale_tick, self.paused = int(tick), int(tick), bool(paused)
        for key, count, seen, row_tick, last_seen in rows:
            key = tuple(key)
            row = Row(float(count) * self._inflate(int(row_tick)), int(seen), int(row_tick), float(last_seen))
            self.rows[key] = row
            self.follow.setdefault(key[:-1], {})[key[-1]] = row
        self._changed_shape()


def _contains(longer: Key, phrase: Key) -> bool:
    n = len(phrase)
    return any(longer[i:i + n] == phrase for i in range(len(longer) - n + 1))
