"""`gru-desktop runs resume RUN_ID` for a run trained in several processes (design §12, §14): the command
starts torchrun again with the run's number of processes (`relaunch`), and each process resumes its part
(`resume_in_ranks`): rank 0 checks, records and writes as in one process; the others take their lanes and
generators from the checkpoint rank 0 shares, and train with it.
"""
from __future__ import annotations

import signal
import sys
import threading

from .common import EXIT_INTERRUPTED, EXIT_USAGE
from .follow import ctrl_c, exit_code, follow


def relaunch(args, run: dict) -> int:
    """Start `runs resume` again under torchrun in as many processes as the run trained in."""
    from ..core.config import TrainConfig
    from ..jobs.launch import launch_processes

    config = TrainConfig.from_dict(run["config"]).replace(processes=int(run["processes"]))
    argv = list(sys.argv[1:] if args.argv is None else args.argv)
    return launch_processes([*argv, f"--device={config.device}"], config)


def resume_in_ranks(args) -> int:
    from ..core import distributed
    from ..jobs.runs import resume_follower, resume_run

    if not 1 <= args.dist_timeout <= 86_400:
        print("error: --dist-timeout must be between 1 and 86400 seconds", file=sys.stderr)
        return EXIT_USAGE
    group, _ = distributed.join(args.device or "auto", args.dist_timeout)
    stop, pause = threading.Event(), threading.Event()
    try:
        if group.rank != 0:  # quiet: rank 0 reports and records
            previous = signal.signal(signal.SIGINT, lambda signum, frame: (pause if args.pausable else stop).set())
            try:
                reason = resume_follower(group, stop, pause)
            finally:
                signal.signal(signal.SIGINT, previous)
            return EXIT_USAGE if reason == "refused" else EXIT_INTERRUPTED if reason in ("cancelled", "paused") else 0
        with ctrl_c(stop, pause if args.pausable else None) as received:
            finished = follow(resume_run(args.run, home=args.home, stop=stop, pause=pause, group=group), args.json,
                              group.world)
        return exit_code(finished, received)
    except RuntimeError as exc:  # torch.distributed's errors when another process died or timed out
        if group.rank == 0:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
            print(f"error: another training process stopped or stopped answering ({first})", file=sys.stderr)
        return 1
    finally:
        group.close()
