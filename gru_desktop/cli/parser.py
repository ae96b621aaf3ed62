"""The one argument parser of `gru-desktop` (design §6): every command group's options in one place, and the
settings of a run (train, queue add, queue sweep) as TrainConfig fields."""
from __future__ import annotations

import argparse
import sys

from .common import EXIT_USAGE


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, no usage dump (design §6)
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def build_parser() -> argparse.ArgumentParser:
    from ..core.config import TrainConfig

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
    from ..core.config import TrainConfig

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
CONFIG_OPTIONS = ("seq_len", "embed_dim", "hidden_size", "layers", "vocab_size", "min_count", "dropout", "epochs", "budget",
                   "batch_size", "lr", "clip", "schedule", "val_fraction", "seed", "patience", "time_limit", "threads",
                   "precision", "tokenizer", "checkpoint_minutes", "device", "processes")


def config_from_args(args, validate: bool = True):
    from ..core.config import TrainConfig

    values = {k: getattr(args, k) for k in CONFIG_OPTIONS if getattr(args, k) is not None}
    config = TrainConfig(**values, lowercase=not args.keep_case, tie_weights=not args.untied)
    return config.validate() if validate else config
