"""`gru-desktop runs`: list, show, delete, pause, resume (and `runs export`, in export.py)."""
from __future__ import annotations

import itertools
import json
import sys
import threading

from .common import EXIT_USAGE
from .follow import ctrl_c, exit_code, follow


def cmd_runs(args) -> int:
    import storage

    if args.action == "resume":
        from ..core.torchrun_env import launched_by_torchrun

        if launched_by_torchrun():  # one of the processes resuming a run in several: rank 0 alone opens the db
            from .resume_ranks import resume_in_ranks

            return resume_in_ranks(args)
    # storage's own open_store: listing runs does not import torch (a fraction of a second, not seconds)
    home, db = storage.open_store(args.home, write=args.action in ("delete", "pause", "audit"))
    if args.action is None:
        runs = storage.list_runs(db)
        if args.json:
            print(json.dumps(runs, default=str))
            return 0
        if not runs:
            print("no runs yet: try `gru-desktop train`")
        for r in runs:
            ppl = r.get("best_val_perplexity")
            top3 = r.get("best_val_top3")
            print(f"{r['id']:>4}  {r['status']:<11} {r['created_at'][:16]}  {r['name']:<20} epochs {r['epochs_done']:>3}  "
                  f"ppl {ppl if ppl is None else f'{ppl:.1f}'}  top-3 {top3 if top3 is None else f'{top3:.1%}'}  {r['corpus']}")
        return 0
    if args.action == "export":
        from .export import runs_export

        return runs_export(args, db)
    if args.action == "audit":
        from .audit import runs_audit

        return runs_audit(args, db)
    run_id = storage.resolve_run_id(db, args.run)
    if args.action == "pause":
        return _runs_pause(db, run_id, args.wait)
    if args.action == "resume":
        run = storage.get_run(db, run_id)
        db.close()
        if (run.get("processes") or 1) > 1 and _checkpoint_file(home, run):
            from .resume_ranks import relaunch

            return relaunch(args, run)  # torchrun again, with the same number of processes
        return _runs_resume(args, run_id)
    if args.action == "show":
        run = storage.get_run(db, run_id)
        epochs = storage.get_epochs(db, run_id)
        if args.json:
            print(json.dumps({**run, "epochs": epochs}, default=str))
        else:
            for k, v in run.items():
                if k == "audit" and v:  # the kept audit (masked): `runs audit` shows it
                    v = f"kept ({json.loads(v).get('exposed', 0)} exposed); see `gru-desktop runs audit {run_id}`"
                print(f"{k:>20}: {v}")
            for e in epochs:
                print(f"epoch {e['epoch']:>3}  loss {e['train_loss']:.3f}  val loss {e['val_loss']:.3f}  "
                      f"ppl {e['val_perplexity']:.1f}  top-3 {e['val_top3']:.1%}  {e['observation']}")
        return 0
    from ..jobs.runs import delete_run

    delete_run(db, run_id)  # with its model file
    print(f"deleted run {run_id}")
    return 0


def _runs_pause(db, run_id: int, wait: float) -> int:
    """Ask the process training the run to pause it; wait until it has (its checkpoint written)."""
    import time

    import storage

    storage.request_pause(db, run_id)  # with several processes: rank 0 asks, all agree at the next step
    deadline = time.monotonic() + max(wait, 0.0)
    while True:
        run = storage.get_run(db, run_id)
        if run["status"] != "running":
            break
        if time.monotonic() > deadline:
            print(f"run {run_id}: pause requested; it pauses after its current batch (not yet after {wait:g} s)")
            return 0
        time.sleep(0.2)
    if run["status"] == "paused":
        print(f"run {run_id} paused: {run.get('stop_reason') or ''}; resume it with: gru-desktop runs resume {run_id}")
        return 0
    print(f"error: run {run_id} ended {run['status']} before it could pause", file=sys.stderr)
    return EXIT_USAGE


def _checkpoint_file(home, run: dict) -> bool:
    from pathlib import Path

    import storage

    return Path(run.get("checkpoint_path") or storage.checkpoint_path(home, run["id"])).is_file()


def _runs_resume(args, run_id: int) -> int:
    from ..jobs.runs import ResumeError, resume_run

    stop, pause = threading.Event(), threading.Event()
    with ctrl_c(stop, pause if args.pausable else None) as received:
        try:
            events = resume_run(run_id, home=args.home, stop=stop, pause=pause)
            first = next(events)  # the checks happen here: refused before anything changes
        except ResumeError as exc:
            if not (args.new_run and exc.as_new_run):
                hint = f" (run `gru-desktop runs resume {run_id} --new-run` to do that)" if exc.as_new_run else ""
                raise ResumeError(f"{exc}{hint}", run_id) from None
            return _continue_as_new_run(args, run_id, stop, pause)
        finished = follow(itertools.chain([first], events), args.json)
    return exit_code(finished, received)


def _continue_as_new_run(args, run_id: int, stop, pause) -> int:
    """What the user is offered when a run cannot be resumed: its best model trained further as a new run."""
    import storage

    from ..jobs.runs import continue_dataset, open_store, train_run

    _, db = open_store(args.home)
    run = storage.get_run(db, run_id)
    planned = int(run.get("epochs_planned") or 0)  # 0: Epochs auto, which the new run keeps
    left = max(planned - int(run.get("best_epoch") or 0), 1) if planned else 0
    loaded, config, dataset = continue_dataset(db, run_id, args.epochs if args.epochs is not None else left)
    print(f"run {run_id} cannot be resumed exactly: continuing its best model (epoch {run.get('best_epoch')}) "
          f"as a new run for {config.epochs} epochs", file=sys.stderr)
    events = train_run(dataset, config, home=args.home, name=f"continues run {run_id}", stop=stop, pause=pause,
                       parent_run_id=run_id, initial_state=loaded.model.state_dict())
    return exit_code(follow(events, args.json))
