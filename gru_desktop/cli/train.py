"""`gru-desktop train`: one run in this process, or in several through torchrun (design §12)."""
from __future__ import annotations

import signal
import sys
import threading

from .common import EXIT_INTERRUPTED, EXIT_USAGE, user_error
from .follow import ctrl_c, exit_code, follow
from .parser import config_from_args


def cmd_train(args) -> int:
    # Settings, probes, canaries and (for one process) the text are checked before torch is imported: a
    # mistake is one error line in ~0.2 s instead of after torch's ~2.5 s of CPU.
    from ..core.config import check_probes
    from ..core.torchrun_env import launched_by_torchrun

    config = config_from_args(args)
    if args.canaries is not None:
        from ..core.canaries import check_count

        check_count(args.canaries)  # 0 or -1: error, exit 2 (design §6), before anything is read
    check_probes(args.probe)  # before the corpus is read or processes start: a bad probe costs nothing
    if not launched_by_torchrun():
        if config.processes > 1:
            from ..jobs.launch import launch_processes

            return launch_processes(sys.argv[1:] if args.argv is None else args.argv, config, args.port)
        return _train(args, config, None)
    from ..core import distributed

    if not 1 <= args.dist_timeout <= 86_400:
        raise user_error("--dist-timeout must be between 1 and 86400 seconds")
    group, _ = distributed.join(config.device, args.dist_timeout)
    signal.signal(signal.SIGTERM, _stopped_by_sigterm)  # torchrun stops the others when one process fails
    from ..core.errors import UserError

    try:
        return _train(args, config.replace(processes=group.world), group)
    except UserError:
        if group.rank == 0:
            raise  # one error line, from rank 0; the others found the same
        return EXIT_USAGE
    except StoppedBySignal as exc:
        if group.rank == 0:
            print(f"error: {exc}", file=sys.stderr)
        return 1
    except RuntimeError as exc:  # torch.distributed's errors when another process died or timed out
        if group.rank == 0 or not isinstance(exc, getattr(__import__("torch").distributed, "DistError", ())):
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
            print(f"error: another training process stopped or stopped answering ({first})", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # from here on a SIGTERM just ends the process, quietly
        group.close()


class StoppedBySignal(Exception):
    pass


def _stopped_by_sigterm(signum, frame):
    # An exception, so that the run is finished (marked failed, its best model kept) on the way out.
    raise StoppedBySignal("stopped by SIGTERM (torchrun stops the others when one training process fails)")


def _train(args, config, group) -> int:
    """`group`: this process's place among several (torchrun), or None for one process alone, whose text is
    read before torch is imported (an unreadable file is refused at once)."""
    from ..jobs.cache_folder import token_cache

    if not 0 <= args.cache_mb <= 10_000_000:
        raise user_error("--cache-mb must be between 0 and 10000000")
    cache = token_cache(args.home, args.cache_mb)
    corpus = None
    if group is None:
        from ..core.corpus import SAMPLE_CORPUS

        if config.device not in ("auto", "cpu"):  # an absent device is refused before anything is read
            from ..core.devices import resolve_device

            resolve_device(config.device)
        corpus = cache.read_corpus(list(args.paths) or [SAMPLE_CORPUS], config.tokenizer, config.lowercase)
    from ..core.distributed import LOCAL
    from ..jobs.runs import prepare, train_follower, train_run

    group = group or LOCAL
    dataset = prepare(args.paths, config, group=group, cache=cache, corpus=corpus)
    if args.canaries:  # after the split, into the training sentences only (core/canaries.py)
        from ..core.canaries import make_canaries, with_canaries

        dataset = with_canaries(dataset.corpus, config, make_canaries(args.canaries, config.seed))
    if cache.last_problem and group.rank == 0:
        print(f"warning: {cache.last_problem}", file=sys.stderr)
    stop = threading.Event()
    if group.rank != 0:  # quiet: rank 0 reports and records
        pause = threading.Event()  # Ctrl-C with --pausable: a pause, agreed with the others at the next step
        previous = signal.signal(signal.SIGINT, lambda signum, frame: (pause if args.pausable else stop).set())
        try:
            reason = train_follower(dataset, config, group, stop, pause)
        finally:
            signal.signal(signal.SIGINT, previous)
        return EXIT_INTERRUPTED if reason in ("cancelled", "paused") else 0
    for w in dataset.corpus.warnings:
        print(f"warning: {w}", file=sys.stderr)
    stop, pause = threading.Event(), threading.Event()
    with ctrl_c(stop, pause if args.pausable else None) as received:
        finished = follow(train_run(dataset, config, home=args.home, name=args.name, stop=stop, pause=pause,
                                     probes=args.probe, group=group, run_token=args.run_token), args.json, group.world)
    return exit_code(finished, received)
