"""The command line (design §6): the same jobs as the GUI, for scripts, tests and benchmarks.

Errors the user can fix print one `error:` line on stderr and exit 2; Ctrl-C during training exits 130
with the run marked cancelled. Heavy modules (torch) are imported inside the commands that need them.
"""
from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import math
import signal
import sys
import threading
import traceback
from pathlib import Path

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, no usage dump (design §6)
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    from .core.config import TrainConfig

    d = TrainConfig()
    p = _Parser(prog="gru-desktop", description="Train a word-level GRU next-word model on your text and use it for autocomplete.")
    p.add_argument("--home", help="data folder (default: $GRU_DESKTOP_HOME or the user data folder)")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)

    t = sub.add_parser("train", help="train a model on text files or folders (default: the bundled sample corpus)")
    t.add_argument("paths", nargs="*", metavar="PATH")
    _add_train_options(t)
    t.add_argument("--pausable", action="store_true",
        help="Ctrl-C pauses the run at a checkpoint instead of cancelling it (resume: runs resume RUN_ID)")
    t.add_argument("--probe", action="append", default=[], metavar="TEXT",
                   help="a prefix whose top-3 next words are shown every epoch (repeatable), after five from the "
                        "validation text")
    t.add_argument("--port", type=int, default=0, help="with --processes: the rendezvous port (default: a free one)")
    t.add_argument("--dist-timeout", type=float, default=60.0,
                   help="several processes: seconds after which the others give up on one that stopped (%(default)s)")
    t.add_argument("--cache-mb", type=float, default=4000,
                   help="token cache size limit in MB: a second run on the same text skips tokenising; 0 = off (%(default)s)")
    t.add_argument("--name", help="a name for the run")
    t.add_argument("--json", action="store_true", help="one JSON object per epoch, then the result")

    s = sub.add_parser("suggest", help="next-word suggestions for a text")
    s.add_argument("run", metavar="RUN_ID")
    s.add_argument("text")
    s.add_argument("--top-k", type=int, default=3)
    s.add_argument("--source", choices=["blend", "gru", "counts"],
                   help="what suggests: the fitted blend of GRU and counts (default when the run has counts), "
                        "the GRU only, or the counts only")
    s.add_argument("--json", action="store_true")

    e = sub.add_parser("evaluate", help="perplexity, top-1/top-3 and keystroke savings on held-out text")
    e.add_argument("run", metavar="RUN_ID")
    e.add_argument("paths", nargs="+", metavar="PATH")
    e.add_argument("--json", action="store_true")

    r = sub.add_parser("runs", help="list, show or delete runs")
    r.add_argument("--json", action="store_true")
    rs = r.add_subparsers(dest="action", parser_class=_Parser)
    show = rs.add_parser("show", help="one run with its epochs")
    show.add_argument("run", metavar="RUN_ID")
    show.add_argument("--json", action="store_true")
    delete = rs.add_parser("delete", help="delete a run and its model file")
    delete.add_argument("run", metavar="RUN_ID")
    pz = rs.add_parser("pause", help="pause a run that is training (in any process) at its next batch, with a checkpoint")
    pz.add_argument("run", metavar="RUN_ID")
    pz.add_argument("--wait", type=float, default=60.0, help="seconds to wait for the run to pause (%(default)s)")
    rz = rs.add_parser("resume", help="continue a paused or interrupted run as the same run, from its checkpoint")
    rz.add_argument("run", metavar="RUN_ID")
    rz.add_argument("--new-run", action="store_true",
                    help="when it cannot be resumed: continue its best model as a new run (fresh optimizer)")
    rz.add_argument("--epochs", type=_epochs, metavar="N|auto",
                    help="with --new-run: how many epochs (default: those it had left, or auto)")
    rz.add_argument("--pausable", action="store_true", help="Ctrl-C pauses again instead of cancelling")
    rz.add_argument("--json", action="store_true")
    x = rs.add_parser("export", help="epoch metrics to CSV, the loss/accuracy chart to PNG, a model to .pt2 or ONNX")
    x.add_argument("runs", nargs="+", metavar="RUN_ID")
    x.add_argument("--csv", metavar="PATH", help="every epoch of the runs, one row each (UTF-8, header row)")
    x.add_argument("--png", metavar="PATH", help="the runs' loss and accuracy curves")
    x.add_argument("--pt2", metavar="PATH", help="the run's model for torch.export.load (one run only)")
    x.add_argument("--onnx", metavar="PATH", help="the run's model as ONNX, checked in onnxruntime (one run only)")
    x.add_argument("--torchscript", metavar="PATH", help="deprecated: the run's model for torch.jit.load; use --pt2")
    x.add_argument("--width", type=int, default=1200, help="PNG width in pixels (%(default)s)")
    x.add_argument("--json", action="store_true")

    c = sub.add_parser("cache", help="the token cache: show its entries, or clear it")
    c.add_argument("action", nargs="?", choices=["show", "clear"], default="show")
    c.add_argument("--json", action="store_true")
    q = sub.add_parser("queue", help="runs to train one after another: add, sweep, list, run, remove")
    qs = q.add_subparsers(dest="action", parser_class=_Parser)
    qa = qs.add_parser("add", help="queue one run with these settings")
    qa.add_argument("paths", nargs="*", metavar="PATH")
    _add_train_options(qa)
    qa.add_argument("--name", help="a name for the run")
    qw = qs.add_parser("sweep", help="queue every combination of the values given, e.g. --hidden-size 64,128 --lr 0.01,0.02")
    qw.add_argument("paths", nargs="*", metavar="PATH")
    _add_train_options(qw, sweep=True)
    qw.add_argument("--name", help="the sweep's name (default: sweep-<date>); its runs are tagged sweep:NAME")
    ql = qs.add_parser("list", help="the queued runs in order")
    ql.add_argument("--all", action="store_true", help="also finished and failed items")
    ql.add_argument("--json", action="store_true")
    qr = qs.add_parser("run", help="train the queued runs until the queue is empty (Ctrl-C pauses the current run)")
    qr.add_argument("--json", action="store_true")
    qm = qs.add_parser("remove", help="take a queued run out of the queue")
    qm.add_argument("item", metavar="ID", type=int)

    sub.add_parser("install-desktop", help="add GRU Desktop with its icon to the applications menu (current user)")
    sub.add_parser("uninstall-desktop", help="remove the applications-menu launcher and icons again")

    b = sub.add_parser("bench", help="measure speed and quality against the budgets (design §10)")
    b.add_argument("--data", help="WikiText-2 folder (default: ../shared/data/wikitext-2 if present)")
    b.add_argument("--only", action="append",
                   choices=["throughput", "tutorial", "latency", "quality", "memory", "startup", "gui", "typing", "sizes",
                            "journey", "scale"],
                   help="run only these parts (repeatable); sizes and scale only run when asked for")
    b.add_argument("--sizes-budget", type=float, default=120.0, metavar="SECONDS",
                   help="Epochs auto's budget per corpus in the sizes part (%(default)g)")
    b.add_argument("--sizes", type=lambda t: [int(x) for x in t.split(",")],
                   default=[10_000, 30_000, 100_000, 300_000, 1_000_000, 2_000_000], metavar="N,N,…",
                   help="corpus sizes in words for the sizes part (%(default)s)")
    b.add_argument("--quality-seconds", type=float, default=480.0)
    b.add_argument("--scale-mb", type=lambda t: [int(x) for x in t.split(",")], default=[1000], metavar="MB,MB,…",
                   help="sizes of the generated corpora of `--only scale` part b (1000 MB)")
    b.add_argument("--scale-parts", type=lambda t: sorted(set(t.split(","))), default=["a", "b", "c"], metavar="a,b,c",
                   help="which parts of `--only scale`: a (1 vs 2 processes), b (whole runs on the big corpus), "
                        "c (100 MB cache hit); e.g. a,c skips the 1 GB part (default a,b,c)")
    b.add_argument("--scale-seconds", type=float, default=60.0,
                   help="training time limit of each run in `--only scale` parts a and b (%(default)g)")
    b.add_argument("--scale-limit-mb", type=float, default=8000.0,
                   help="a part-b run that grows past this many MB stops and reports where (%(default)g)")
    b.add_argument("--gui-seconds", type=float, default=20.0, help="seconds of timer lateness measured while training")
    b.add_argument("--journey-corpus", nargs="+", metavar="PATH",
                   help="the journey's small corpus (default: three licence texts from /usr/share/common-licenses)")
    b.add_argument("--journey-runs", type=int, default=1000, help="runs in the journey's big data folder (%(default)s)")
    b.add_argument("--batch-size", type=int, default=d.batch_size)
    b.add_argument("--lr", type=float, default=d.lr)
    b.add_argument("--precision", choices=["auto", "fp32", "bf16"], default=d.precision)
    b.add_argument("--schedule", choices=["plateau", "cosine"], default=d.schedule)
    b.add_argument("--untied", action="store_true", help="measure with an untied output layer")
    b.add_argument("--threads", type=int, default=d.threads, help="torch threads, 0 = one per core")
    b.add_argument("--json", action="store_true")
    return p


def _add_train_options(t, sweep: bool = False) -> None:
    """The settings of a run (train, queue add); with `sweep`, each takes comma-separated values and
    stays None unless given (queue sweep)."""
    from .core.config import TrainConfig

    d = TrainConfig()

    def add(*names, **kw):
        if sweep and kw.get("action") != "store_true":  # values checked by jobs.queue.parse_values
            kw.pop("choices", None)
            kw.update(type=str, default=None)
            kw["help"] = (kw.get("help") or "").replace("(%(default)s)", "").strip() + " (comma-separated values)"
        return t.add_argument(*names, **kw)

    add("--seq-len", type=int, default=d.seq_len, help="padding length L (%(default)s)")
    add("--embed-dim", type=int, default=d.embed_dim, help="embedding size E (%(default)s)")
    add("--hidden-size", type=int, default=d.hidden_size, help="GRU hidden size H (%(default)s)")
    add("--layers", type=int, default=d.layers, help="GRU layers (%(default)s)")
    add("--vocab-size", type=int, default=d.vocab_size, help="vocabulary size V incl. 3 reserved (%(default)s)")
    add("--min-count", type=int, default=d.min_count, help="minimum occurrences for a word (%(default)s)")
    add("--dropout", type=_dropout, default=d.dropout, metavar="F|auto",
        help="dropout on embeddings and GRU outputs while training; auto: by the size of the text "
             "(0.3 below 100 k words, else 0) (default: auto)")
    add("--untied", action="store_true",
        help="give the output layer its own V × H matrix instead of sharing the embedding's")
    add("--epochs", type=_epochs, default=d.epochs, metavar="N|auto",
        help="passes over the text, or auto: until validation stops improving for --patience epochs, "
             "within --budget (default: auto)")
    add("--budget", type=float, default=d.budget, metavar="SECONDS",
        help="the most seconds --epochs auto may train; its schedule is planned over it (%(default)g)")
    add("--batch-size", type=int, default=d.batch_size, help="(%(default)s)")
    add("--lr", type=float, default=d.lr, help="Adam learning rate (%(default)s)")
    add("--clip", type=float, default=d.clip, help="gradient norm clipping, 0 = off (%(default)s)")
    add("--schedule", choices=["plateau", "cosine"], default=d.schedule,
        help="learning rate: halve on a validation plateau, or cosine decay to 0 over the run (%(default)s)")
    add("--val-fraction", type=float, default=d.val_fraction, help="share of sentences held out (%(default)s)")
    add("--seed", type=int, default=d.seed, help="(%(default)s)")
    add("--patience", type=int, default=d.patience, help="early stopping patience in epochs, 0 = off (%(default)s)")
    add("--time-limit", type=float, default=d.time_limit, help="stop after this many seconds, 0 = no limit")
    add("--threads", type=int, default=d.threads, help="torch threads, 0 = one per core (%(default)s)")
    add("--precision", choices=["auto", "fp32", "bf16"], default=d.precision,
        help="bf16: dense layer in bfloat16 while training, faster on CPUs with AVX512-BF16 or AMX; "
        "auto: bf16 where the CPU has it, else fp32 (%(default)s)")
    add("--tokenizer", choices=["words", "pretokenized"], default=d.tokenizer)
    add("--device", default=d.device, help="auto (CUDA, else Apple MPS, else CPU), cpu, cuda, cuda:N or mps (%(default)s)")
    add("--processes", type=int, default=d.processes,
        help="train in N processes (torchrun + DistributedDataParallel; gloo on CPU, nccl on CUDA) sharing the batch; "
             "the same as `torchrun --nproc-per-node N -m gru_desktop train …` (%(default)s)")
    add("--checkpoint-minutes", type=float, default=d.checkpoint_minutes,
        help="write a resumable checkpoint this often, 0 = only when pausing (%(default)s)")
    add("--keep-case", action="store_true", help="do not lowercase")


def main(argv: list[str] | None = None) -> int:
    given = argv
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        return _launch_gui()
    args = build_parser().parse_args(argv)
    args.argv = given
    if args.command is None:
        return _launch_gui()
    from .jobs.faults import USER_ERRORS, user_message

    _tolerate_undecodable_output()
    try:
        handler = {"train": cmd_train, "suggest": cmd_suggest, "evaluate": cmd_evaluate, "runs": cmd_runs, "queue": cmd_queue,
                   "bench": cmd_bench,
                   "install-desktop": cmd_desktop, "uninstall-desktop": cmd_desktop, "cache": cmd_cache}
        return handler[args.command](args)
    except USER_ERRORS as exc:
        return _fail(exc)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return 0
    except Exception as exc:
        message = user_message(exc, args.home)  # a full disk, a read-only folder, a damaged database
        if message:
            print(f"error: {message}", file=sys.stderr)
            return EXIT_USAGE
        # a bug: one line here, the traceback in the log file
        log = _log_traceback(args)
        print(f"error: unexpected {type(exc).__name__}: {exc} ({f'details in {log}' if log else 'no log file could be written'})",
              file=sys.stderr)
        return 1


def _fail(exc: BaseException) -> int:
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    field = getattr(exc, "field", None)
    if field:
        msg = msg.replace(field, "--" + field.replace("_", "-"), 1)
    print(f"error: {msg}", file=sys.stderr)
    return EXIT_USAGE


def _log_traceback(args) -> Path | None:
    """Append the current traceback to the data folder's log file; None (and no traceback anywhere) when
    it cannot be written: stderr gets one line only."""
    import storage

    try:
        home = storage.ensure_data_dir(storage.resolve_home(getattr(args, "home", None)))
        log = home / "gru-desktop.log"
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(traceback.format_exc() + "\n")
        return log
    except (OSError, storage.StorageError):
        return None


def _tolerate_undecodable_output() -> None:
    """File names that are not UTF-8 reach Python as lone surrogates; print them as the bytes they were
    (or escaped where the terminal is not UTF-8) rather than failing with UnicodeEncodeError."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        try:
            stream.reconfigure(errors="surrogateescape" if encoding == "utf8" else "backslashreplace")
        except (AttributeError, ValueError):  # not a TextIOWrapper (e.g. captured by a test)
            pass


def _dropout(text: str) -> float | None:
    if text.strip().lower() == "auto":
        return None
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number or auto, not {text!r}") from None


def _epochs(text: str) -> int:
    """--epochs: a whole number, or "auto" (stored as 0)."""
    if text.strip().lower() == "auto":
        return 0
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number or auto, not {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 (or auto), not {value}")
    return value


# CLI options that set a TrainConfig field of the same name (dest); --untied and --keep-case are the two flags.
_CONFIG_OPTIONS = ("seq_len", "embed_dim", "hidden_size", "layers", "vocab_size", "min_count", "dropout", "epochs", "budget",
                   "batch_size", "lr", "clip", "schedule", "val_fraction", "seed", "patience", "time_limit", "threads",
                   "precision", "tokenizer", "checkpoint_minutes", "device", "processes")


def _config_from_args(args, validate: bool = True):
    from .core.config import TrainConfig

    values = {k: getattr(args, k) for k in _CONFIG_OPTIONS if getattr(args, k) is not None}
    config = TrainConfig(**values, lowercase=not args.keep_case, tie_weights=not args.untied)
    return config.validate() if validate else config


def cmd_train(args) -> int:
    from .core import distributed
    from .core.samples import check_probes

    config = _config_from_args(args)
    check_probes(args.probe)  # before the corpus is read or processes start: a bad probe costs nothing
    if config.processes > 1 and args.pausable:
        raise _user_error(f"--pausable needs one process: runs in {config.processes} processes write no checkpoints, "
                          "so they cannot be paused or resumed (Ctrl-C cancels and keeps the best epoch's model)")
    if not distributed.launched_by_torchrun():
        if config.processes > 1:
            from .jobs.launch import launch_processes

            return launch_processes(sys.argv[1:] if args.argv is None else args.argv, config, args.port)
        return _train(args, config, distributed.LOCAL)
    if not 1 <= args.dist_timeout <= 86_400:
        raise _user_error("--dist-timeout must be between 1 and 86400 seconds")
    group, _ = distributed.join(config.device, args.dist_timeout)
    signal.signal(signal.SIGTERM, _stopped_by_sigterm)  # torchrun stops the others when one process fails
    from .core.errors import UserError

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


def _user_error(message: str):
    from .core.errors import UserError

    return UserError(message)


def _train(args, config, group) -> int:
    from .jobs.runs import prepare, token_cache, train_follower, train_run

    if not 0 <= args.cache_mb <= 10_000_000:
        raise _user_error("--cache-mb must be between 0 and 10000000")
    cache = token_cache(args.home, args.cache_mb)
    dataset = prepare(args.paths, config, group=group, cache=cache)
    if cache.last_problem and group.rank == 0:
        print(f"warning: {cache.last_problem}", file=sys.stderr)
    stop = threading.Event()
    if group.rank != 0:  # quiet: rank 0 reports and records
        previous = signal.signal(signal.SIGINT, lambda signum, frame: stop.set())
        try:
            reason = train_follower(dataset, config, group, stop)
        finally:
            signal.signal(signal.SIGINT, previous)
        return EXIT_INTERRUPTED if reason == "cancelled" else 0
    for w in dataset.corpus.warnings:
        print(f"warning: {w}", file=sys.stderr)
    stop, pause = threading.Event(), threading.Event()
    with _ctrl_c(stop, pause if args.pausable and not group.distributed else None) as received:
        finished = _follow(train_run(dataset, config, home=args.home, name=args.name, stop=stop, pause=pause,
                                     probes=args.probe, group=group), args.json, group.world)
    return _exit_code(finished, received)


@contextlib.contextmanager
def _ctrl_c(stop: threading.Event, pause: threading.Event | None):
    """Ctrl-C, SIGTERM (logout, systemd, kill) and SIGHUP (the terminal closed) stop after the current batch:
    cancel, or pause with a checkpoint when `pause` is given; a second one raises KeyboardInterrupt at once.
    Yields the list of signals received (the first sets the exit code, 128 + its number)."""
    received: list[int] = []
    on_tty = [stream.fileno() for stream in (sys.stdout, sys.stderr) if stream.isatty()]

    def on_stop_signal(signum, frame):
        if stop.is_set() or (pause is not None and pause.is_set()):
            raise KeyboardInterrupt  # a second Ctrl-C (or TERM): stop now
        (pause if pause is not None else stop).set()
        received.append(signum)
        if signum == getattr(signal, "SIGHUP", None):
            _detach_terminal(on_tty)  # the terminal is gone: writing to it would fail
        what = "pausing (a checkpoint is written)" if pause is not None else "stopping"
        try:
            print(f"\n{what} after this batch… (Ctrl-C again to force)", file=sys.stderr)
        except OSError:
            pass

    stop_signals = [s for s in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, s)]
    previous = {name: signal.signal(getattr(signal, name), on_stop_signal) for name in stop_signals}
    try:
        yield received
    finally:
        for name, handler in previous.items():
            signal.signal(getattr(signal, name), handler)


def _detach_terminal(fds: list[int]) -> None:
    """Point the outputs that went to a now closed terminal at /dev/null, so the run can still finish."""
    import os

    try:
        null = os.open(os.devnull, os.O_WRONLY)
        for fd in fds:
            os.dup2(null, fd)
        os.close(null)
    except (OSError, ValueError):
        pass


def _exit_code(finished, received: list[int] | None = None) -> int:
    if finished is None:
        return 1
    if finished.status in ("cancelled", "paused"):
        return 128 + received[0] if received else EXIT_INTERRUPTED
    return 0 if finished.status == "completed" else 1


def _follow(events, as_json: bool, processes: int = 1):
    """Print runs' events as `train` does (a line per epoch, or JSON lines); return the last RunFinished."""
    from .core.train import EpochResult, StepResult
    from .jobs.runs import CheckpointSaved, RunFinished, RunStarted

    progress = sys.stderr.isatty() and not as_json
    finished, run_id = None, None
    for ev in events:
        if isinstance(ev, RunStarted):
            run_id = ev.run_id
            if ev.resumed and not as_json:
                print(f"run {ev.run_id}: resumed at {ev.resumed}", flush=True)
            elif not as_json:
                c, ds = ev.dataset.corpus, ev.dataset
                print(f"run {ev.run_id}: {c.description}, {c.n_sentences:,} sentences, {c.n_tokens:,} words, "
                      f"vocabulary {len(ds.vocab):,} ({ds.oov_share:.1%} unknown), "
                      f"{ds.train.n_windows:,} training windows of {ev.config.seq_len}; {_where(ev.device, processes)}",
                      flush=True)
            elif ev.resumed:
                print(json.dumps({"run_id": run_id, "resumed": ev.resumed}), flush=True)
        elif isinstance(ev, StepResult):
            if progress and (ev.batch % 20 == 0 or ev.batch == ev.batches):
                print(f"\repoch {ev.epoch} {ev.batch}/{ev.batches} loss {ev.loss:.3f}", end="", file=sys.stderr, flush=True)
        elif isinstance(ev, CheckpointSaved):
            if ev.error:
                print(f"\r\033[K" if progress else "", end="", file=sys.stderr)
                print(f"warning: {ev.error}", file=sys.stderr)
        elif isinstance(ev, EpochResult):
            if progress:
                print("\r\033[K", end="", file=sys.stderr)
            if as_json:
                row = {"run_id": run_id, **ev.metrics(), **ev.system, "is_best": ev.is_best}
                print(json.dumps(_finite(row)), flush=True)
            else:
                print(f"epoch {ev.epoch:>3}  loss {ev.train_loss:.3f}  acc {ev.train_accuracy:.1%}  "
                      f"val loss {ev.val_loss:.3f}  acc {ev.val_accuracy:.1%}  top-3 {ev.val_top3:.1%}  "
                      f"ppl {ev.val_perplexity:.1f}  {ev.seconds:.1f} s  {ev.tokens_per_s:,.0f} tok/s  "
                      f"{'*' if ev.is_best else ' '} {ev.observation}", flush=True)
                for sample in ev.samples:
                    print(f"      {sample['prefix']} → {' · '.join(sample['suggestions'])}", flush=True)
        elif isinstance(ev, RunFinished):
            finished = ev
            _print_finished(ev, as_json)
    return finished


def _print_finished(finished, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"run_id": finished.run_id, "status": finished.status, "message": finished.message,
                          "best_epoch": finished.best_epoch, "model_path": finished.model_path,
                          "lambda": finished.blend_lambda}), flush=True)
        return
    where = f"; model: {finished.model_path}" if finished.model_path else "; no model saved"
    blend = f"; suggests with GRU + counts (λ = {finished.blend_lambda:.2f})" if finished.blend_lambda is not None else ""
    print(f"run {finished.run_id} {finished.status}: {finished.message}{where}{blend}", flush=True)
    if finished.status == "paused":
        print(f"resume it with: gru-desktop runs resume {finished.run_id}", flush=True)


def cmd_suggest(args) -> int:
    from .jobs.blends import ensure_blend
    from .core.errors import UserError
    from .core.predict import Predictor
    from .jobs.runs import load_run_model, open_store

    if not 1 <= args.top_k <= 100:
        print("error: --top-k must be between 1 and 100", file=sys.stderr)
        return EXIT_USAGE
    _, db = open_store(args.home, write=False)
    run, loaded = load_run_model(db, args.run)
    state = ensure_blend(db, run, loaded) if args.source != "gru" else None
    if args.source in ("blend", "counts") and state.blend is None:
        raise UserError(f"run {run['id']} has no counts to suggest with ({state.reason}); use --source gru")
    blend = state.blend if state is not None else None
    if blend is None and state is not None and args.source is None:
        print(f"warning: suggesting with the GRU alone: {state.reason}", file=sys.stderr)
    predictor = Predictor(loaded.model, loaded.vocab, loaded.config, blend, args.source)
    suggestions = predictor.suggest(args.text, args.top_k)
    if args.json:
        out = {"run_id": run["id"], "source": predictor.source,
               "suggestions": [{"word": s.word, "probability": s.probability} for s in suggestions]}
        if blend is not None:
            out["lambda"] = blend.weights.lam
        print(json.dumps(out))
    else:
        for s in suggestions:
            print(f"{s.word}\t{s.probability:.1%}")
    return 0


def cmd_evaluate(args) -> int:
    from .jobs.blends import ensure_blend
    from .core.corpus import read_corpus
    from .core.evaluate import evaluate_parts
    from .jobs.runs import load_run_model, open_store

    _, db = open_store(args.home, write=False)
    run, loaded = load_run_model(db, args.run)
    cfg = loaded.config
    corpus = read_corpus(args.paths, cfg.tokenizer, cfg.lowercase)
    for w in corpus.warnings:
        print(f"warning: {w}", file=sys.stderr)
    state = ensure_blend(db, run, loaded)
    if state.blend is None:
        print(f"warning: scoring the GRU alone: {state.reason}", file=sys.stderr)
    parts = evaluate_parts(loaded.model, loaded.vocab, cfg, corpus, blend=state.blend)
    keys = ("perplexity", "top1", "top3", "keystroke_savings", "tokens")
    main = parts["blend"] if state.blend is not None else parts["gru"]
    if args.json:
        out = {"run_id": run["id"], "source": "blend" if state.blend is not None else "gru", **main.to_dict(),
               "lambda": state.blend.weights.lam if state.blend is not None else None,
               "weights": state.blend.weights.to_dict() if state.blend is not None else None,
               "theta": state.blend.theta if state.blend is not None else None}
        for source in ("gru", "counts"):
            if source in parts:
                out[source] = _finite({k: getattr(parts[source], k) for k in keys})
        print(json.dumps(_finite(out)))
    else:
        for source, rep in parts.items():
            label = {"blend": f"blend (λ = {state.blend.weights.lam:.2f})" if state.blend else "", "gru": "GRU only",
                     "counts": "counts only"}[source]
            print(f"run {run['id']} on {corpus.description}, {label}: perplexity {rep.perplexity:.1f}, "
                  f"top-1 {rep.top1:.1%}, top-3 {rep.top3:.1%}, keystroke savings {rep.keystroke_savings:.1%} "
                  f"({rep.tokens:,} tokens)")
    return 0


def cmd_runs(args) -> int:
    import storage

    # storage's own open_store: listing runs does not import torch (a fraction of a second, not seconds)
    home, db = storage.open_store(args.home, write=args.action in ("delete", "pause"))
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
        return _runs_export(args, db)
    run_id = storage.resolve_run_id(db, args.run)
    if args.action == "pause":
        return _runs_pause(db, run_id, args.wait)
    if args.action == "resume":
        db.close()
        return _runs_resume(args, run_id)
    if args.action == "show":
        run = storage.get_run(db, run_id)
        epochs = storage.get_epochs(db, run_id)
        if args.json:
            print(json.dumps({**run, "epochs": epochs}, default=str))
        else:
            for k, v in run.items():
                print(f"{k:>20}: {v}")
            for e in epochs:
                print(f"epoch {e['epoch']:>3}  loss {e['train_loss']:.3f}  val loss {e['val_loss']:.3f}  "
                      f"ppl {e['val_perplexity']:.1f}  top-3 {e['val_top3']:.1%}  {e['observation']}")
        return 0
    from .jobs.runs import delete_run

    delete_run(db, run_id)  # with its model file
    print(f"deleted run {run_id}")
    return 0


def _runs_pause(db, run_id: int, wait: float) -> int:
    """Ask the process training the run to pause it; wait until it has (its checkpoint written)."""
    import time

    import storage

    run = storage.get_run(db, run_id)
    if run["status"] == "running" and (run.get("processes") or 1) > 1:
        raise _user_error(f"run {run_id} trains in {run['processes']} processes, which write no checkpoints: it cannot "
                          "be paused (cancel it with Ctrl-C where it runs; the best epoch's model is kept)")
    storage.request_pause(db, run_id)
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


def _runs_resume(args, run_id: int) -> int:
    from .jobs.runs import ResumeError, resume_run

    stop, pause = threading.Event(), threading.Event()
    with _ctrl_c(stop, pause if args.pausable else None) as received:
        try:
            events = resume_run(run_id, home=args.home, stop=stop, pause=pause)
            first = next(events)  # the checks happen here: refused before anything changes
        except ResumeError as exc:
            if not (args.new_run and exc.as_new_run):
                hint = f" (run `gru-desktop runs resume {run_id} --new-run` to do that)" if exc.as_new_run else ""
                raise ResumeError(f"{exc}{hint}", run_id) from None
            return _continue_as_new_run(args, run_id, stop, pause)
        finished = _follow(itertools.chain([first], events), args.json)
    return _exit_code(finished, received)


def _continue_as_new_run(args, run_id: int, stop, pause) -> int:
    """What the user is offered when a run cannot be resumed: its best model trained further as a new run."""
    import storage
    from .jobs.runs import continue_dataset, open_store, train_run

    _, db = open_store(args.home)
    run = storage.get_run(db, run_id)
    planned = int(run.get("epochs_planned") or 0)  # 0: Epochs auto, which the new run keeps
    left = max(planned - int(run.get("best_epoch") or 0), 1) if planned else 0
    loaded, config, dataset = continue_dataset(db, run_id, args.epochs if args.epochs is not None else left)
    print(f"run {run_id} cannot be resumed exactly: continuing its best model (epoch {run.get('best_epoch')}) "
          f"as a new run for {config.epochs} epochs", file=sys.stderr)
    events = train_run(dataset, config, home=args.home, name=f"continues run {run_id}", stop=stop, pause=pause,
                       parent_run_id=run_id, initial_state=loaded.model.state_dict())
    return _exit_code(_follow(events, args.json))


def cmd_queue(args) -> int:
    import storage
    from .jobs import queue as queue_jobs
    from .core.errors import UserError
    from storage import open_store

    if args.action is None:
        raise UserError("queue: give an action: add, sweep, list, run or remove")
    home, db = open_store(args.home, write=args.action != "list")
    if args.action in ("add", "sweep"):
        paths = [str(Path(p).resolve()) for p in args.paths]
        for p in paths:
            if not Path(p).exists():
                raise UserError(f"{p}: no such file or folder")
        if args.action == "add":
            config = _config_from_args(args)
            ids = queue_jobs.queue_configs(db, [config], paths, names=[args.name])
            print(f"queued item {ids[0]}" + (f" ({args.name})" if args.name else ""))
            return 0
        grid = {k: queue_jobs.parse_values(k, getattr(args, k)) for k in _CONFIG_OPTIONS
                if getattr(args, k) is not None and len(str(getattr(args, k)).split(",")) > 1}
        fixed = {k: queue_jobs.parse_values(k, getattr(args, k))[0] for k in _CONFIG_OPTIONS
                 if getattr(args, k) is not None and k not in grid}
        from .core.config import TrainConfig

        base = TrainConfig(**fixed, lowercase=not args.keep_case, tie_weights=not args.untied)
        if not grid:
            raise UserError("queue sweep: give at least one setting with several values, e.g. --hidden-size 64,128")
        configs = queue_jobs.expand_sweep(base, grid)  # every value checked before anything is queued
        import datetime

        name = args.name or "sweep-" + datetime.datetime.now().strftime("%Y%m%d-%H%M")
        ids = queue_jobs.queue_configs(db, configs, paths, names=[queue_jobs.sweep_label(c, grid) for c in configs],
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
    from .jobs.queue import QueueItemFinished, QueueItemStarted, work_queue

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

    with _ctrl_c(stop, pause):  # Ctrl-C pauses the current run; its item stays at the head of the queue
        _follow(runs_events(), args.json)
    print(f"queue: {counts['done']} runs done, {counts['failed']} failed"
          + ("; paused (`queue run` resumes it)" if pause.is_set() else ""), file=sys.stderr)
    return EXIT_INTERRUPTED if pause.is_set() or stop.is_set() else 0


MODEL_FLAGS = ("pt2", "onnx", "torchscript")


def _runs_export(args, db) -> int:
    import storage
    from .jobs import exports
    from .core.errors import UserError

    targets = {k: getattr(args, k) for k in ("csv", "png", *MODEL_FLAGS) if getattr(args, k)}
    if not targets:
        raise UserError("runs export: give at least one of --csv PATH, --png PATH, --pt2 PATH, --onnx PATH")
    models = [k for k in MODEL_FLAGS if k in targets]
    if models and len(args.runs) > 1:
        raise UserError(f"--{models[0]} exports one run's model: give one RUN_ID")
    if len({str(Path(p).resolve()) for p in targets.values()}) < len(targets):
        raise UserError("runs export: give each export its own PATH")
    if not 100 <= args.width <= 10_000:
        raise UserError("--width must be between 100 and 10000 pixels")
    ids = list(dict.fromkeys(storage.resolve_run_id(db, ref) for ref in args.runs))  # unknown run: exit 2
    for path in targets.values():  # every path checked before anything is written
        exports.check_writable(path)
    if args.torchscript:
        print("notice: --torchscript is deprecated (PyTorch deprecates TorchScript) and goes in the next release; "
              "use --pt2 PATH (torch.export) or --onnx PATH", file=sys.stderr)
    done: dict = {"run_ids": ids}
    lines = []
    if args.csv:
        done["csv"], done["csv_rows"] = str(args.csv), exports.epochs_csv(db, ids, args.csv)
        lines.append(f"wrote {done['csv']}: {done['csv_rows']} epochs of run{'s' if len(ids) > 1 else ''} {', '.join(map(str, ids))}")
    ref = args.runs[0] if str(args.runs[0]).strip().lower() == "latest" else ids[0]  # latest run with a model
    for fmt in models:
        made = exports.export_model(db, ref, targets[fmt], fmt)
        done[fmt] = str(made.path)
        if made.max_difference is not None:
            done[f"{fmt}_max_difference"] = made.max_difference
        if made.exporter:
            done[f"{fmt}_exporter"] = made.exporter
        lines.append(f"wrote {made.path}: {made.describe()}")
    if args.png:
        _export_png(exports.run_series(db, ids), args.png, args.width)
        done["png"] = str(args.png)
        lines.append(f"wrote {done['png']}: loss and accuracy chart, {args.width} px wide")
    print(json.dumps(done) if args.json else "\n".join(lines))
    return 0


def _export_png(series: dict, path: str, width: int) -> None:
    """Draw the ComparePlot without showing a window (offscreen when there is no display) and save it."""
    import os

    from .core.errors import UserError

    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        from PySide6.QtWidgets import QApplication

        from .ui.compare_plot import ComparePlot
    except ImportError as exc:  # e.g. Qt's system libraries missing
        raise UserError(f"cannot draw the chart: {exc}") from None
    app = QApplication.instance() or QApplication(["gru-desktop"])
    plot = ComparePlot()
    try:
        plot.resize(width, width * 3 // 4)
        plot.set_runs(series)
        plot.export_png(path, width)
    finally:
        plot.close()
        plot.deleteLater()
        app.processEvents()


def cmd_cache(args) -> int:
    from .core.token_cache import describe_size
    from .jobs.runs import token_cache

    cache = token_cache(args.home)
    if args.action == "clear":
        n, size = cache.clear()
        print(json.dumps({"removed": n, "bytes": size}) if args.json else f"removed {n} cache entries ({describe_size(size)})")
        return 0
    entries = [{"key": p.name, "bytes": size, "last_used": mtime} for p, size, mtime in cache.entries()]
    if args.json:
        print(json.dumps({"folder": str(cache.folder), "entries": entries}))
    else:
        print(f"{cache.folder}: {len(entries)} entries, {describe_size(sum(e['bytes'] for e in entries))}")
    return 0


def cmd_desktop(args) -> int:
    from . import desktop

    if args.command == "install-desktop":
        launcher = desktop.install()
        print(f"installed {launcher} (Exec: {' '.join(desktop.entry_point())}) and the icons; "
              "GRU Desktop is in the applications menu (log out and in if your desktop does not show it yet)")
    else:
        removed = desktop.uninstall()
        print(f"removed {len(removed)} files: the launcher and the icons" if removed else "nothing to remove: no launcher installed")
    return 0


def cmd_bench(args) -> int:
    from .bench import run_bench

    return run_bench(args)


def _where(device: str, processes: int) -> str:
    return f"training on {device}" + (f" in {processes} processes" if processes > 1 else "")


def _finite(row: dict) -> dict:
    """JSON has no NaN/Infinity: write them as null."""
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()}


def _launch_gui() -> int:
    try:
        from .ui.app import main as gui_main
    except ImportError as exc:  # e.g. Qt's system libraries missing: say which, no traceback
        print(f"error: cannot start the window: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return gui_main()
