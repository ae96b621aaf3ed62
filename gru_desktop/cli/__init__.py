"""The command line (design §6): the same jobs as the GUI, for scripts, tests and benchmarks.

One module per command group (`train`, `suggest` and `evaluate`, `runs`, `export`, `queue`, `tools` for
cache/desktop/bench), one shared parser (`parser`), and `follow` for printing a run and its Ctrl-C.
Errors the user can fix print one `error:` line on stderr and exit 2; Ctrl-C during training exits 130
with the run marked cancelled. Heavy modules (torch) are imported inside the commands that need them.
"""
from __future__ import annotations

import importlib
import logging
import os
import sys

from .common import EXIT_INTERRUPTED, EXIT_USAGE
from .parser import build_parser

__all__ = ["main", "entry", "build_parser"]

# command → (module of this package, function): imported only when the command runs
COMMANDS = {
    "train": ("train", "cmd_train"),
    "suggest": ("suggest", "cmd_suggest"),
    "evaluate": ("suggest", "cmd_evaluate"),
    "runs": ("runs", "cmd_runs"),
    "queue": ("queue", "cmd_queue"),
    "cache": ("tools", "cmd_cache"),
    "install-desktop": ("tools", "cmd_desktop"),
    "uninstall-desktop": ("tools", "cmd_desktop"),
    "bench": ("tools", "cmd_bench"),
    "quiz": ("quiz", "cmd_quiz"),
    "serve": ("serve", "cmd_serve"),
    "lsp": ("serve", "cmd_lsp"),
}


def entry() -> int:
    """`gru-desktop`, `python -m gru_desktop` and main.py: `main`, then a quicker exit. With torch loaded the
    interpreter's teardown cost ~1 s of CPU after the command's last line (`import torch` then exit: 2.9-3.3 s;
    with the objects frozen first: 1.6-1.8 s), in collections that walk ~335,000 objects again and again. One
    collection here frees what is garbage now — a database connection caught in a cycle is closed by it, as
    the teardown would, so SQLite's -wal/-shm files go as before — then the survivors are frozen: the
    teardown still runs (atexit, modules, files) but its collections skip them."""
    import gc

    code = main()
    gc.collect()
    gc.freeze()
    return code


def main(argv: list[str] | None = None) -> int:
    given = argv
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        return _launch_gui()
    args = build_parser().parse_args(argv)
    args.argv = given
    if args.command is None:
        return _launch_gui(args.home)
    from .. import logs
    from ..jobs.faults import USER_ERRORS, user_message

    _tolerate_undecodable_output()
    try:
        logs.setup(args.home, stderr=True)  # warnings: a `warning:` line here, and a line in the data folder's log
        module, function = COMMANDS[args.command]
        return getattr(importlib.import_module(f".{module}", __name__), function)(args)
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
        logging.getLogger(__name__).error("unexpected error in `gru-desktop %s`", " ".join(argv), exc_info=True,
                                          extra={"file_only": True})
        log = logs.log_file()
        print(f"error: unexpected {type(exc).__name__}: {exc} ({f'details in {log}' if log else 'no log file could be written'})",
              file=sys.stderr)
        return 1


def _fail(exc: BaseException) -> int:
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    problems = getattr(exc, "problems", None) or ({exc.field: msg} if getattr(exc, "field", None) else {})
    if problems:  # settings: every wrong one, each named as its option
        msg = "; ".join(text.replace(field, "--" + field.replace("_", "-"), 1) for field, text in problems.items())
    print(f"error: {msg}", file=sys.stderr)
    return EXIT_USAGE


def _tolerate_undecodable_output() -> None:
    """File names that are not UTF-8 reach Python as lone surrogates; print them as the bytes they were
    (or escaped where the terminal is not UTF-8) rather than failing with UnicodeEncodeError."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        try:
            stream.reconfigure(errors="surrogateescape" if encoding == "utf8" else "backslashreplace")
        except (AttributeError, ValueError):  # not a TextIOWrapper (e.g. captured by a test)
            pass


def _launch_gui(home=None) -> int:
    """The window, on `home` when `--home DIR` came with no command (the window reads the folder from the
    environment, as `GRU_DESKTOP_HOME` gives it)."""
    if home is not None:
        from storage.paths import HOME_ENV

        os.environ[HOME_ENV] = str(home)
    try:
        from ..ui.window.app import run as gui_main
    except ImportError as exc:  # e.g. Qt's system libraries missing: say which, no traceback
        print(f"error: cannot start the window: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return gui_main()
