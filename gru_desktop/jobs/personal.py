"""Learning as you type, kept in the data folder (design §17): the core's PersonalCounts and OnlineWeight
read from and written to `storage.personal`.

The GUI calls `snapshot` on its own thread (cheap: plain tuples of the rows that changed) and hands the result
to a worker that calls `write`; the counts themselves are only ever touched on the GUI thread.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from storage.personal import (
    forget_all_personal,
    get_personal_meta,
    load_personal,
    personal_deletions,
    save_personal,
    set_personal_meta,
)

from ..core.adapt_weight import OnlineWeight
from ..core.personal import PersonalCounts


@dataclass
class Changes:
    """Rows to write, keys to delete and the word clock: plain data for a worker."""

    rows: list
    deleted: list
    tick: int

    def __bool__(self) -> bool:
        return bool(self.rows or self.deleted)


def load(db) -> tuple[PersonalCounts, str | None]:
    """The data folder's personal counts and a warning (a damaged table was rebuilt empty), or None."""
    rows, tick, paused, warning = load_personal(db)
    counts = PersonalCounts()
    counts.load(rows, tick, paused)
    return counts, warning


def deletions(db) -> int:
    """The data folder's count of writes that deleted learned rows (forgets, prunes): see `storage.personal`."""
    return personal_deletions(db)


def reload(db, counts: PersonalCounts, unwritten: list[Changes]) -> str | None:
    """Replace `counts` with what the data folder holds now, with `unwritten` (batches this process has not
    written yet, oldest first) laid over it — a process that learns (`lsp --learn`) after another one forgot.
    The warning of `load`, or None."""
    rows, tick, _, warning = load_personal(db)
    merged = {row[0]: row for row in rows}
    for changes in unwritten:
        merged.update((row[0], row) for row in changes.rows)
        for key in changes.deleted:
            merged.pop(key, None)
        tick = max(tick, changes.tick)
    counts.load(list(merged.values()), tick, counts.paused)
    return warning


def snapshot(counts: PersonalCounts, keys) -> Changes:
    """What to store after these keys changed (learned, forgotten or pruned)."""
    rows, deleted = [], []
    for key in dict.fromkeys(keys):
        row = counts.to_row(key)
        if row is None:
            deleted.append(key)
        else:
            rows.append(row)
    return Changes(rows, deleted, counts.tick)


def write(db, changes: Changes) -> None:
    save_personal(db, changes.rows, changes.deleted, changes.tick)


def forget_all(db) -> None:
    forget_all_personal(db)


def set_paused(db, paused: bool) -> None:
    set_personal_meta(db, "paused", "1" if paused else "0")


def is_paused(db) -> bool:
    """The data folder's learning switch as stored now (another process, the window, may have flipped it)."""
    return get_personal_meta(db, "paused") == "1"


def load_weight(db, run_id: int) -> OnlineWeight:
    """The personal part's weight state for this run (fitted d and its held-out window), else a fresh one."""
    raw = get_personal_meta(db, f"weight:{run_id}")
    try:
        return OnlineWeight.from_dict(json.loads(raw)) if raw else OnlineWeight()
    except (ValueError, TypeError, KeyError):
        return OnlineWeight()


def save_weight(db, run_id: int, state: dict) -> None:
    set_personal_meta(db, f"weight:{run_id}", json.dumps(state))
