"""The run queue's jobs (design §14): sweeps, and working the queue one run after another.

The queue itself is storage/queue.py; this module is where it meets training (like runs.py). The CLI's
`queue run` and the GUI's queue worker both drive `work_queue`, so they work the queue the same way: an
item whose run was paused or interrupted (the app was closed or killed) is resumed from its checkpoint
as the same run; a paused run puts its item back at the head of the queue and stops working it.
"""
from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass

import storage

from ..core.config import SETTINGS, TrainConfig
from ..core.errors import ConfigError, UserError
from .child_run import resume_in_child, trains_in_processes

SWEEP_TAG = "sweep:"


@dataclass
class QueueItemStarted:
    item: dict
    remaining: int  # items still queued after this one


@dataclass
class QueueItemFinished:
    item_id: int
    run_id: int | None
    state: str  # done | failed | queued (its run paused)
    message: str


def field_type(name: str):
    """The Python type of a TrainConfig setting (int, float, str or bool); UserError for unknown names."""
    if name not in SETTINGS:
        raise UserError(f"sweep: there is no setting called {name!r}")
    return SETTINGS[name].kind


def parse_values(name: str, text: str) -> list:
    """'64,128' → [64, 128] for setting `name`; UserError naming the value that is not of its type."""
    kind = field_type(name)
    out = []
    value: object
    for raw in (t.strip() for t in str(text).split(",")):
        if not raw:
            continue
        if raw.lower() == "auto" and SETTINGS[name].has_auto:
            out.append(SETTINGS[name].auto)
            continue
        try:
            if kind is bool:
                if raw.lower() not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError
                value = raw.lower() in ("true", "1", "yes")
            elif kind is int:
                value = int(raw)
            else:
                value = kind(raw)
        except ValueError:
            what = {int: "a whole number", float: "a number", bool: "true or false"}.get(kind, "a value")
            raise UserError(f"sweep: {name} value {raw!r} is not {what}") from None
        out.append(value)
    if not out:
        raise UserError(f"sweep: no values given for {name}")
    return out


def expand_sweep(base: TrainConfig, grid: dict[str, list]) -> list[TrainConfig]:
    """Every combination of the grid's values on top of `base`, each validated; ConfigError naming the
    impossible value before anything is queued."""
    names = list(grid)
    configs = []
    for combo in itertools.product(*(grid[n] for n in names)):
        cfg = base.replace(**dict(zip(names, combo, strict=True)))
        try:
            cfg.validate()
        except ConfigError as exc:
            raise ConfigError(exc.field, f"sweep: {exc}; nothing was queued") from None
        configs.append(cfg)
    return configs


def sweep_label(config: TrainConfig, grid: dict[str, list]) -> str:
    """A run name inside a sweep: the swept settings' values, e.g. 'hidden_size=64 lr=0.01'."""
    return " ".join(f"{n}={getattr(config, n)}" for n in grid)


def queue_configs(db, configs: list[TrainConfig], paths: list[str], *, names: list[str | None] | None = None,
                  sweep: str | None = None) -> list[int]:
    items = [{"config": c.to_dict(), "corpus_paths": [str(p) for p in paths], "name": (names or [None] * len(configs))[k]}
             for k, c in enumerate(configs)]
    return storage.queue.add_items(db, items, sweep=sweep)


def work_queue(home=None, stop: threading.Event | None = None, pause: threading.Event | None = None,
               once: bool = False):
    """Train queued runs one after another until the queue is empty (or after one item with `once`).

    Yields QueueItemStarted, the runs job's events (RunStarted … RunFinished), QueueItemFinished. `stop`
    cancels the current run and ends the work; `pause` pauses the current run (its item goes back to the
    head of the queue) and ends the work. A queued item whose settings or text cannot be used is marked
    failed with the reason and the next one is taken.
    """
    # here, not at the top: the Queue page imports this module (parse_values, queue_configs) on the GUI
    # thread, and `runs` loads torch
    from .runs import RunFinished, RunStarted, open_store, prepare, resume_run, train_run

    home, db = open_store(home)
    while not (stop is not None and stop.is_set()) and not (pause is not None and pause.is_set()):
        item = storage.queue.claim_next(db)
        if item is None:
            return
        remaining = sum(1 for i in storage.queue.list_items(db) if i["state"] == "queued")
        yield QueueItemStarted(item, remaining)
        run_id, state, message = item.get("run_id"), "failed", ""
        try:
            run = storage.get_run(db, run_id) if run_id else None
            if run is not None and run["status"] in storage.RESUMABLE_STATUSES + ("running",):
                if trains_in_processes(home, run["id"]):  # torchrun again, with the run's number of processes
                    events = resume_in_child(run["id"], home, stop, pause)
                else:
                    events = resume_run(run_id, home=home, stop=stop, pause=pause)
            else:
                config = TrainConfig.from_dict(item["config"]).validate()
                tags = [SWEEP_TAG + item["sweep"]] if item.get("sweep") else None
                if config.processes > 1:
                    # As the window's several-processes path does: the CLI under torchrun in a child process,
                    # followed through the database (this process cannot host ranks).
                    from .child_run import train_in_child

                    events = train_in_child(item["corpus_paths"], config, home, stop=stop, pause=pause,
                                            name=item.get("name"))
                else:
                    dataset = prepare(item["corpus_paths"], config, should_stop=stop.is_set if stop else None)
                    events = train_run(dataset, config, home=home, name=item.get("name"), stop=stop, pause=pause,
                                       tags=tags)
            for ev in events:
                if isinstance(ev, RunStarted):
                    run_id = ev.run_id
                    storage.queue.set_item_run(db, item["id"], run_id)
                    if tags and ev.dataset is None:  # trained by a child process: tagged from here
                        storage.update_run(db, run_id, tags=tags)
                elif isinstance(ev, RunFinished):
                    state = {"completed": "done", "paused": "queued"}.get(ev.status, "failed")
                    message = f"run {ev.run_id} {ev.status}: {ev.message}"
                yield ev
        except UserError as exc:
            message = str(exc)
        finally:
            storage.queue.finish_item(db, item["id"], state, message)
        yield QueueItemFinished(item["id"], run_id, state, message)
        if once:
            return
