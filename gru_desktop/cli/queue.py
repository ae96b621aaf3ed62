"""`gru-desktop queue`: add, sweep, list, remove, and run the queue (design §14)."""
from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

from .common import EXIT_INTERRUPTED
from .follow import ctrl_c, follow
from .parser import config_from_args, config_options, switches


def cmd_queue(args) -> int:
    import storage
    from storage import open_store

    from ..core.errors import UserError
    from ..jobs import queue as jobs_queue

    if args.action is None:
        raise UserError("queue: give an action: add, sweep, list, run or remove")
    home, db = open_store(args.home, write=args.action != "list")
    if args.action in ("add", "sweep"):
        paths = [str(Path(p).resolve()) for p in args.paths]
        for p in paths:
            if not Path(p).exists():
                raise UserError(f"{p}: no such file or folder")
        if args.action == "add":
            config = config_from_args(args)
            ids = jobs_queue.queue_configs(db, [config], paths, names=[args.name])
            print(f"queued item {ids[0]}" + (f" ({args.name})" if args.name else ""))
            return 0
        grid = {k: jobs_queue.parse_values(k, getattr(args, k)) for k in config_options()
                if getattr(args, k) is not None and len(str(getattr(args, k)).split(",")) > 1}
        fixed = {k: jobs_queue.parse_values(k, getattr(args, k))[0] for k in config_options()
                 if getattr(args, k) is not None and k not in grid}
        from ..core.config import TrainConfig

        base = TrainConfig(**fixed, **switches(args))
        if not grid:
            raise UserError("queue sweep: give at least one setting with several values, e.g. --hidden-size 64,128")
        configs = jobs_queue.expand_sweep(base, grid)  # every value checked before anything is queued
        import datetime

        name = args.name or "sweep-" + datetime.datetime.now().strftime("%Y%m%d-%H%M")
        ids = jobs_queue.queue_configs(db, configs, paths, names=[jobs_queue.sweep_label(c, grid) for c in configs],
                                       sweep=name)
        print(f"queued sweep {name!r}: {len(ids)} runs ({' × '.join(f'{k} {len(v)}' for k, v in grid.items())}), "
              f"items {ids[0]}–{ids[-1]}")
        return 0
    if args.action == "list":
        items = storage.queue.list_items(db, finished=args.all)
        if args.json:
            print(json.dumps(items, default=str))
            return 0
        if not items:
            print("the queue is empty: add runs with `gru-desktop queue add` or `queue sweep`")
        for it in items:
            c = it["config"]
            where = ", ".join(Path(p).name for p in it["corpus_paths"]) or "sample corpus"
            run = f"run {it['run_id']}" if it.get("run_id") else ""
            print(f"{it['id']:>4}  {it['state']:<8} {it.get('sweep') or '':<16} {it.get('name') or '':<28} "
                  f"H {c.get('hidden_size')} E {c.get('embed_dim')} lr {c.get('lr')} epochs {c.get('epochs') or 'auto'}  "
                  f"{where}  {run}")
        return 0
    if args.action == "remove":
        item = storage.queue.remove_item(db, args.item)
        print(f"removed item {item['id']} from the queue")
        return 0
    return _queue_run(args, home)


def _queue_run(args, home) -> int:
    from ..jobs.queue import QueueItemFinished, QueueItemStarted, work_queue

    stop, pause = threading.Event(), threading.Event()
    counts = {"done": 0, "failed": 0, "queued": 0}

    def runs_events():  # the queue's own events as stderr lines; the runs' events on to _follow
        for ev in work_queue(home, stop, pause):
            if isinstance(ev, QueueItemStarted):
                it = ev.item
                print(f"queue item {it['id']}{' (resuming its run)' if it.get('run_id') else ''}: "
                      f"{it.get('name') or 'run'}; {ev.remaining} more queued", file=sys.stderr, flush=True)
            elif isinstance(ev, QueueItemFinished):
                counts[ev.state] += 1
                if ev.state == "failed":
                    print(f"queue item {ev.item_id} failed: {ev.message}", file=sys.stderr, flush=True)
            else:
                yield ev

    with ctrl_c(stop, pause):  # Ctrl-C pauses the current run; its item stays at the head of the queue
        follow(runs_events(), args.json)
    print(f"queue: {counts['done']} runs done, {counts['failed']} failed"
          + ("; paused (`queue run` resumes it)" if pause.is_set() else ""), file=sys.stderr)
    return EXIT_INTERRUPTED if pause.is_set() or stop.is_set() else 0
