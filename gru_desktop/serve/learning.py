"""`gru-desktop lsp --learn`: the Language Server learns from what the user types, as the Autocomplete box
does (design §17) — only when asked.

- On `didChange`, a word the user just finished (a space or punctuation typed after it, or a completion
  accepted: the word and a space at once) is found by `core.learner.finished_word` on the document's text up
  to the end of the change, and handed to a `Learner` over the run's predictor: checked first (held out, for
  the personal part's weight), then learned into the data folder's personal counts. One `PersonalCounts`
  per process; per run a `PersonalPart` (the view over its vocabulary, its fitted weight), given by
  `part` to every predictor the registry makes for that run, so the learned words also suggest here.
- What changed is written in batches, never per keystroke: at most every `FLUSH_S` seconds, by one writer
  thread with its own connection (design §3: one connection per thread), and at `shutdown`, `exit` and EOF
  (`close`). A completion never waits for SQLite; learning a word costs one check (~a millisecond).
- Paused (the data folder's switch: *Pause learning* in the window): read again before each finished word,
  so pausing in the window stops learning here from the next word; nothing typed while paused is learned,
  so nothing of it is stored.
- Without `--learn` none of this exists: the Language Server neither reads nor writes the personal counts and
  suggests exactly `suggest --json`'s and `/v1/suggest`'s words (design §16).

- Forgotten in the window while this runs: every write that deletes learned rows (*Forget*, *Forget all*, a
  prune) counts up `deletions` in the data folder (storage.personal). Before a finished word is learned and
  before a completion, at most once every `REFRESH_S` seconds, the server reads that number; when another
  process changed it, the counts are read again, with what this process learned but has not written yet laid
  over them (so nothing typed here is lost, and a forgotten row is not written back from memory).

Known limits: a word learned here in the seconds before the forget (not written yet) stays learned here;
*Forget all* in the window does not reset the personal part's fitted weight this process holds.
"""
from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable

import storage

from ..core.learner import Learner, finished_word
from ..core.personal_view import PersonalPart
from ..jobs import personal

log = logging.getLogger(__name__)
FLUSH_S = 2.0  # learned rows are written at most this often (and at shutdown, exit, EOF)
CLOSE_WAIT_S = 10.0  # at the end, how long the last batch may take to be written
REFRESH_S = 1.0  # the data folder's deletions count is read at most this often


class TypingLearner:
    """The personal counts of one data folder, learned from documents' edits (all on the server's loop
    thread), and the writer thread that stores them. `notify(text)` reports a failed write to the client."""

    def __init__(self, home, db, notify: Callable[[str], None] | None = None):
        self.home, self.db = home, db  # db: the loop thread's connection (the registry's)
        self.notify = notify or (lambda text: None)
        self.deletions = personal.deletions(db)  # read before the rows: a forget in between is seen later
        self.counts, self.warning = personal.load(db)  # warning: a damaged table was rebuilt empty
        self._refreshed = time.monotonic()
        self.parts: dict[int, PersonalPart] = {}
        self.learners: dict[int, Learner] = {}
        self.texts: dict[str, str] = {}  # document uri → its text before the last change
        self.learned = 0  # words learned by this process
        self._pending: list = []  # keys changed since the last batch
        self._dirty: set[int] = set()  # runs whose weight changed since the last batch
        self._flush_handle: asyncio.TimerHandle | None = None
        self._writer = _Writer(home)
        self.closed = False

    # --- the registry's hook --------------------------------------------------------------------------
    def part(self, run_id: int, loaded) -> PersonalPart:
        """The personal part for a run's predictors (made on first use; again when its model was reloaded)."""
        part = self.parts.get(run_id)
        if part is None or part.view.vocab is not loaded.vocab:
            part = PersonalPart(self.counts, loaded.vocab, loaded.config.lowercase, personal.load_weight(self.db, run_id))
            self.parts[run_id], self.learners[run_id] = part, Learner(part)
        return part

    # --- documents ------------------------------------------------------------------------------------
    def opened(self, uri: str, text: str) -> None:
        self.texts[uri] = text

    def closed_document(self, uri: str) -> None:
        self.texts.pop(uri, None)

    def changed(self, registry, uri: str, text: str, changes, offset_at: Callable, source=None, run=None) -> int:
        """A document changed to `text` by `changes` (the didChange's content changes; `offset_at(position)`:
        the offset of an LSP position in the new text). Learns the word it finished, if any; the words learned."""
        old = self.texts.get(uri)
        self.texts[uri] = text
        if old is None or self.closed:
            return 0
        edit = edited(old, text, changes, offset_at)
        done = finished_word(*edit) if edit is not None else None
        if done is None:
            return 0
        self.counts.paused = personal.is_paused(self.db)  # the window may have paused learning meanwhile
        self.refresh()
        if self.counts.paused:
            return 0
        run_id = registry.resolve(run)
        predictor = registry.predictor(run_id, source, done[0])  # gives the run its part and learner
        keys = self.learners[run_id].finished(predictor, *done)
        if not keys:
            return 0
        self.learned += 1
        self._pending.extend(keys)
        self._dirty.add(run_id)
        if self._flush_handle is None:
            self._flush_handle = asyncio.get_running_loop().call_later(FLUSH_S, self.flush)
        return 1

    # --- what other processes forgot -----------------------------------------------------------------
    def refresh(self) -> bool:
        """Read the counts again when another process deleted learned rows since they were read (at most once
        every REFRESH_S seconds: one small query). True when they were read again."""
        now = time.monotonic()
        if self.closed or now - self._refreshed < REFRESH_S:
            return False
        self._refreshed = now
        seen = personal.deletions(self.db)
        if seen == self.deletions + self._writer.own_deletions:
            return False
        self.flush()  # what this process learned goes to the writer, and is laid over what is stored
        warning = personal.reload(self.db, self.counts, self._writer.unwritten())
        if warning:
            self.notify(warning)
        self.deletions, self._writer.own_deletions = seen, 0  # (a write of ours racing this: one more reload)
        return True

    # --- storing --------------------------------------------------------------------------------------
    def flush(self) -> None:
        """Hand what was learned since the last batch (rows, and the runs' weights) to the writer thread."""
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        if self._writer.failed:
            self.notify(f"what you typed could not be stored: {self._writer.failed}")
            self._writer.failed = None
        changes = personal.snapshot(self.counts, self._pending)
        weights = {run_id: self.parts[run_id].weight.to_dict() for run_id in self._dirty}
        self._pending, self._dirty = [], set()
        if changes or weights:
            self._writer.put((changes, weights))

    def close(self) -> None:
        """Write the last batch and wait for it (shutdown, exit, EOF). Learning stops here."""
        if self.closed:
            return
        self.flush()
        self.closed = True
        self._writer.stop(CLOSE_WAIT_S)
        if self._writer.failed:
            log.warning("what you typed could not be stored: %s", self._writer.failed)


class _Writer:
    """One thread with its own connection that writes the batches it is given, in order (started on the
    first batch: a session that learns nothing starts no thread)."""

    def __init__(self, home):
        self.home = home
        self.queue: queue.Queue = queue.Queue()
        self.thread: threading.Thread | None = None
        self.failed: str | None = None
        self.own_deletions = 0  # our writes that deleted rows (each counts up the stored `deletions` once)
        self._lock = threading.Lock()
        self._unwritten: list = []  # batches put and not written yet, oldest first

    def put(self, batch) -> None:
        if self.thread is None:
            self.thread = threading.Thread(target=self._run, name="gru-desktop-learn-writer", daemon=True)
            self.thread.start()
        with self._lock:
            self._unwritten.append(batch)
        self.queue.put(batch)

    def unwritten(self) -> list:
        """The row changes of the batches put and not written yet, oldest first."""
        with self._lock:
            return [changes for changes, _ in self._unwritten]

    def stop(self, timeout: float) -> None:
        if self.thread is not None:
            self.queue.put(None)
            self.thread.join(timeout)

    def _run(self) -> None:
        db = None
        try:
            while (batch := self.queue.get()) is not None:
                changes, weights = batch
                try:
                    if db is None:
                        _, db = storage.open_store(self.home)
                    if changes:
                        personal.write(db, changes)
                        self.own_deletions += 1 if changes.deleted else 0
                    for run_id, weight in weights.items():
                        personal.save_weight(db, run_id, weight)
                except (sqlite3.Error, storage.StorageError, OSError) as exc:
                    self.failed = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                finally:
                    with self._lock:
                        self._unwritten.remove(batch)
        finally:
            if db is not None:
                db.close()


def edited(old: str, new: str, changes, offset_at: Callable) -> tuple[str, str] | None:
    """(the old text up to where the edit ends, the new text up to where it ends) for `finished_word`; None
    when the text did not grow.

    One incremental change (what editors send as the user types): the text before its range is the same in
    both, so its start's offset in the new text, plus the inserted text, ends it in the new text, and the same
    text after it ends it in the old one. Otherwise (the whole document sent again, or several changes at
    once): the two texts' longest common beginning, then their longest common ending in what is left, both
    found by bisection (C-speed comparisons, no Python loop over a long document); a character typed beside
    the same ones (a space before a space) is put leftmost, right after the word it may finish."""
    if len(new) <= len(old):
        return None
    if len(changes) == 1 and getattr(changes[0], "range", None) is not None:
        change = changes[0]
        end_new = offset_at(change.range.start) + len(change.text)
        tail = len(new) - end_new
        end_old = len(old) - tail
        if tail < 0 or end_old < 0 or old[end_old:] != new[end_new:]:
            return None
        return old[:end_old], new[:end_new]
    p = _common(lambda m: old[:m] == new[:m], len(old))
    s = _common(lambda m: old[len(old) - m:] == new[len(new) - m:], len(old) - p)
    end_old, end_new = len(old) - s, len(new) - s
    typed = new[p:end_new]
    if end_old == p and typed == typed[0] * len(typed):  # one character typed among the same ones: leftmost
        while p > 0 and old[p - 1] == typed[0]:
            p, end_old, end_new = p - 1, end_old - 1, end_new - 1
    return old[:end_old], new[:end_new]


def _common(same: Callable[[int], bool], most: int) -> int:
    """The largest m ≤ most with same(m), for a property that holds up to some m and not beyond."""
    lo, hi = 0, most
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if same(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo
