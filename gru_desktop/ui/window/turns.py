"""GUI-thread work done a part per event-loop turn, so the window answers between the parts (design §18): the
start-up's steps after the imports, a new corpus's statistics and pipeline on the Data page."""
from __future__ import annotations

from collections.abc import Callable, Iterator

from PySide6.QtCore import QObject, QTimer


def in_turns(context: QObject, parts: Iterator, wanted: Callable[[], bool] = lambda: True) -> None:
    """Run the first part of `parts` (a generator: each `yield` ends a part) now and each next one in a later
    turn, while `wanted()` (False: newer work replaced this one, and its remaining parts are dropped). Nothing
    runs once `context` is deleted. 1 ms timers, not 0: a 0 ms single shot is a posted event, run in the same
    pass as the layout and paint requests the last part posted, so the window would not answer between parts
    (bench --only journey)."""
    end = object()

    def next_part() -> None:
        if wanted() and next(parts, end) is not end:
            QTimer.singleShot(1, context, next_part)

    next_part()
