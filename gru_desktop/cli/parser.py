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
    from ..core.config import SETTINGS, TrainConfig

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
    t.add_argument("--canaries", type=int, metavar="N",
                   help="put N random secret-like sentences at each of 16, 4 and 1 repetitions into the training "
                        "text (never validation) and report their exposure every epoch (memorisation audit)")
    t.add_argument("--run-token", metavar="TOKEN",
                   help="stored on the run, so the program that started this one can find its run (the window)")

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
    rz.add_argument("--epochs", type=_with_auto(SETTINGS["epochs"]), metavar="N|auto",
                    help="with --new-run: how many epochs (default: those it had left, or auto)")
    rz.add_argument("--pausable", action="store_true", help="Ctrl-C pauses again instead of cancelling")
    rz.add_argument("--json", action="store_true")
    rz.add_argument("--dist-timeout", type=float, default=60.0,
                    help="a run in several processes: seconds after which the others give up on one that stopped "
                         "(%(default)s)")
    rz.add_argument("--device", help=argparse.SUPPRESS)  # set by the launcher for its processes: the run's device
    x = rs.add_parser("export", help="epoch metrics to CSV, the loss/accuracy chart to PNG, a model to .pt2 or ONNX")
    x.add_argument("runs", nargs="+", metavar="RUN_ID")
    x.add_argument("--csv", metavar="PATH", help="every epoch of the runs, one row each (UTF-8, header row)")
    x.add_argument("--png", metavar="PATH", help="the runs' loss and accuracy curves")
    x.add_argument("--pt2", metavar="PATH", help="the run's model for torch.export.load (one run only)")
    x.add_argument("--onnx", metavar="PATH", help="the run's model as ONNX, checked in onnxruntime (one run only)")
    x.add_argument("--torchscript", metavar="PATH", help="deprecated: the run's model for torch.jit.load; use --pt2")
    x.add_argument("--width", type=int, default=1200, help="PNG width in pixels (%(default)s)")
    x.add_argument("--arpa", metavar="PATH", help="the run's trigram model as an ARPA file (KenLM, SRILM; one run only)")
    x.add_argument("--presage", metavar="PATH",
                   help="the run's n-gram counts as Presage's SQLite database (OptiKey, ACAT; one run only)")
    x.add_argument("--from", dest="ngram_from", choices=["counts", "gru"], default="counts",
                   help="n-gram exports: the run's Kneser-Ney counts, or the GRU distilled by sampling (%(default)s)")
    x.add_argument("--sample-words", type=int, default=200_000,
                   help="--from gru: words sampled from the GRU and counted with the corpus (%(default)s)")
    x.add_argument("--seed", type=int, default=0, help="--from gru: the sampling seed (%(default)s)")
    x.add_argument("--json", action="store_true")
    au = rs.add_parser("audit", help="what the model memorised: exposure of secret-like text, extraction, canaries")
    au.add_argument("run", metavar="RUN_ID")
    au.add_argument("--json", action="store_true")
    au.add_argument("--top", type=int, default=10, help="spans listed in the text output (%(default)s)")
    au.add_argument("--candidates", type=int, default=1000, help="random candidates per span (%(default)s)")
    au.add_argument("--max-spans", type=int, default=300, help="distinct spans scored at most (%(default)s)")

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

    lq = sub.add_parser("quiz", help="questions about your own model, computed from your text, settings and run")
    lq.add_argument("run", nargs="?", metavar="RUN", help="run id or latest (default: the latest completed run)")
    lq.add_argument("--mode", choices=["quiz", "practice", "test"], default="quiz",
                    help="quiz: 3 questions; practice: 5, easy to hard; test: 10 across easy, medium and hard")
    lq.add_argument("--seed", type=int, help="the same seed and run give the same questions (default: a new one)")
    lq.add_argument("--json", action="store_true", help="print the questions as a JSON list instead of asking")

    sub.add_parser("install-desktop", help="add GRU Desktop with its icon to the applications menu (current user)")
    sub.add_parser("uninstall-desktop", help="remove the applications-menu launcher and icons again")

    sv = sub.add_parser("serve", help="serve a run's suggestions over HTTP (OpenAI-compatible /v1/completions, "
                                      "/v1/suggest) to editors and other programs")
    sv.add_argument("run", nargs="?", default="latest", metavar="RUN_ID",
                    help="the run requests get by default (default: latest); requests may name others as run-N")
    sv.add_argument("--port", type=int, default=8765, help="TCP port (0: a free one) (%(default)s)")
    sv.add_argument("--host", default="127.0.0.1",
                    help="address to listen on (default 127.0.0.1: this machine only; anything else warns)")
    sv.add_argument("--timeout", type=float, default=10.0,
                    help="seconds a client may take to send its request or stay idle (%(default)g)")
    sv.add_argument("--threads", type=int, default=1, help="torch threads (%(default)s)")
    sv.add_argument("--show-token", action="store_true",
                    help="print the bearer token every request needs (created on first use) and exit")
    sv.add_argument("--exit-with-stdin", action="store_true", help=argparse.SUPPRESS)  # the window's child
    sv.add_argument("--json", action="store_true", help="print the address (and --show-token) as JSON")
    ls = sub.add_parser("lsp", help="a Language Server over stdio: next-word completion in your editor")
    ls.add_argument("run", nargs="?", default="latest", metavar="RUN_ID", help="the run that suggests (latest)")
    ls.add_argument("--top-k", type=int, default=5, help="completion items offered (%(default)s)")
    ls.add_argument("--threads", type=int, default=1, help="torch threads (%(default)s)")
    ls.add_argument("--learn", action="store_true",
                    help="learn from what you type in the documents (the data folder's personal counts, as the "
                         "Autocomplete box does; paused when learning is paused in the window)")

    b = sub.add_parser("bench", help="measure speed and quality against the budgets (design §10)")
    b.add_argument("--data", help="WikiText-2 folder (default: ../shared/data/wikitext-2 if present)")
    b.add_argument("--only", action="append",
                   choices=["throughput", "tutorial", "latency", "quality", "memory", "startup", "gui", "typing", "sizes",
                            "journey", "scale", "serve", "adapt"],
                   help="run only these parts (repeatable); sizes and scale only run when asked for")
    b.add_argument("--sizes-budget", type=float, default=120.0, metavar="SECONDS",
                   help="Epochs auto's budget per corpus in the sizes part (%(default)g)")
    b.add_argument("--sizes", type=lambda t: [int(x) for x in t.split(",")],
                   default=[10_000, 30_000, 100_000, 300_000, 1_000_000, 2_000_000], metavar="N,N,…",
                   help="corpus sizes in words for the sizes part (%(default)s)")
    b.add_argument("--quality-seconds", type=float, default=480.0)
    b.add_argument("--scale-mb", type=lambda t: [int(x) for x in t.split(",")], default=[1000], metavar="MB,MB,…",
                   help="sizes of the generated corpora of `--only scale` part b (1000 MB)")
    b.add_argument("--scale-parts", type=lambda t: sorted(set(t.split(","))), default=["a", "b", "c", "d"], metavar="a,b,c,d",
                   help="which parts of `--only scale`: a (1 vs 2 processes), b (whole runs on the big corpus), "
                        "c (100 MB cache hit), d (whole runs on real text repeated); e.g. a,c skips the 1 GB parts "
                        "(default a,b,c,d)")
    b.add_argument("--scale-seconds", type=float, default=60.0,
                   help="training time limit of each run in `--only scale` parts a and b (%(default)g)")
    b.add_argument("--scale-limit-mb", type=float, default=8000.0,
                   help="a part-b run that grows past this many MB stops and reports where (%(default)g)")
    b.add_argument("--scale-text", metavar="PATH",
                   help="real text of `--only scale` part d, repeated --scale-repeat times (default: WikiText-2's train.txt)")
    b.add_argument("--scale-repeat", type=int, default=100,
                   help="copies of --scale-text in part d's corpus (%(default)s: 1.08 GB of WikiText-2)")
    b.add_argument("--gui-seconds", type=float, default=20.0, help="seconds of timer lateness measured while training")
    b.add_argument("--journey-corpus", nargs="+", metavar="PATH",
                   help="the journey's small corpus (default: three licence texts from /usr/share/common-licenses)")
    b.add_argument("--journey-runs", type=int, default=1000, help="runs in the journey's big data folder (%(default)s)")
    b.add_argument("--adapt-docs", type=int, default=6, help="documents of ~500 words typed per direction in `--only adapt`")
    b.add_argument("--adapt-seconds", type=float, default=40.0, help="training time of each run in `--only adapt`")
    b.add_argument("--adapt-train-words", type=int, default=200_000, help="WikiText-2 words the adapt bench's run trains on")
    b.add_argument("--adapt-sweep", action="store_true", help="`--only adapt` also tries other half-lives and phrase counts")
    b.add_argument("--batch-size", type=int, default=d.batch_size)
    b.add_argument("--lr", type=float, default=d.lr)
    b.add_argument("--precision", choices=SETTINGS["precision"].choices, default=d.precision)
    b.add_argument("--schedule", choices=SETTINGS["schedule"].choices, default=d.schedule)
    b.add_argument("--untied", action="store_true", help="measure with an untied output layer")
    b.add_argument("--threads", type=int, default=d.threads, help="torch threads, 0 = one per core")
    b.add_argument("--json", action="store_true")
    return p


def _add_train_options(t, sweep: bool = False) -> None:
    """The settings of a run (train, queue add), one option per TrainConfig field, named, explained,
    bounded and defaulted by the field's metadata (core.config.SETTINGS); a boolean is a switch that sets
    the opposite of its default (--untied, --keep-case). With `sweep`, each takes comma-separated values
    and stays None unless given (queue sweep; jobs.queue.parse_values checks them)."""
    from ..core.config import SETTINGS

    for s in SETTINGS.values():
        if s.flag is not None:
            flag, text = s.flag
            t.add_argument(f"--{flag}", action="store_true", help=_escape(text))
            continue
        kw: dict = {"default": s.default, "help": _escape(f"{s.label}: {s.help}")}
        if s.choices and s.pattern is None:
            kw["choices"] = list(s.choices)
        kw["type"] = _with_auto(s) if s.has_auto else s.kind
        if s.has_auto:
            kw["metavar"] = "N|auto" if s.kind is int else "F|auto"
        default = "auto" if s.has_auto and s.default == s.auto else f"{s.default:g}" if s.kind is float else s.default
        if sweep:
            kw.pop("choices", None)
            kw.update(type=str, default=None)
            kw["help"] += " (comma-separated values)"
        else:
            kw["help"] += f" (default: {default})"
        t.add_argument("--" + s.name.replace("_", "-"), **kw)


def _escape(text: str) -> str:
    return text.replace("%", "%%")  # argparse %-formats help texts


def _with_auto(s):
    """An option's type that also takes "auto" (the setting's auto value). Where auto is itself a number
    (epochs 0), that number is refused: write auto."""
    def parse(text: str):
        if text.strip().lower() == "auto":
            return s.auto
        what = "a whole number" if s.kind is int else "a number"
        try:
            value = s.kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be {what} or auto, not {text!r}") from None
        if s.auto is not None and value <= s.auto:
            raise argparse.ArgumentTypeError(f"must be at least {s.auto + 1} (or auto), not {value}")
        return value

    parse.__name__ = s.name  # argparse names the type in its messages
    return parse


def config_options() -> tuple[str, ...]:
    """The settings given as valued options, named as TrainConfig's fields (dest); booleans are switches."""
    from ..core.config import SETTINGS

    return tuple(name for name, s in SETTINGS.items() if s.flag is None)


def switches(args) -> dict:
    """The boolean settings as the switches given set them (--untied → tie_weights False)."""
    from ..core.config import SETTINGS

    return {name: (not s.default) if getattr(args, s.flag[0].replace("-", "_")) else s.default
            for name, s in SETTINGS.items() if s.flag is not None}


def config_from_args(args, validate: bool = True):
    from ..core.config import TrainConfig

    values = {k: getattr(args, k) for k in config_options() if getattr(args, k) is not None}
    config = TrainConfig(**values, **switches(args))
    return config.validate() if validate else config
