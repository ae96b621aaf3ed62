"""Following a run as `train`, `runs resume` and `queue run` print it: a line (or a JSON object) per epoch,
and Ctrl-C, SIGTERM and SIGHUP turned into a stop or a pause after the current batch."""
from __future__ import annotations

import contextlib
import json
import signal
import sys
import threading

from .common import EXIT_INTERRUPTED, finite


@contextlib.contextmanager
def ctrl_c(stop: threading.Event, pause: threading.Event | None):
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


def exit_code(finished, received: list[int] | None = None) -> int:
    if finished is None:
        return 1
    if finished.status in ("cancelled", "paused"):
        return 128 + received[0] if received else EXIT_INTERRUPTED
    return 0 if finished.status == "completed" else 1


def follow(events, as_json: bool, processes: int = 1):
    """Print runs' events as `train` does (a line per epoch, or JSON lines); return the last RunFinished."""
    from ..core.canaries import canary_line
    from ..core.secrets import mask_text
    from ..core.train import EpochResult, StepResult
    from ..jobs.runs import CheckpointSaved, RunFinished, RunStage, RunStarted

    progress = sys.stderr.isatty() and not as_json
    finished, run_id = None, None
    for ev in events:
        if isinstance(ev, RunStarted):
            run_id = ev.run_id
            if ev.resumed and not as_json:
                print(f"run {ev.run_id}: resumed at {ev.resumed}", flush=True)
            elif not as_json and ev.dataset is None:  # trained by a child process (a queued run in several)
                print(f"run {ev.run_id}: training in {ev.config.processes} processes", flush=True)
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
        elif isinstance(ev, RunStage):
            if progress:  # on a terminal: what the minute or two after the last epoch is spent on
                print(ev.text, file=sys.stderr, flush=True)
        elif isinstance(ev, CheckpointSaved):
            pass  # a checkpoint that could not be written is the job's warning (logged: one `warning:` line)
        elif isinstance(ev, EpochResult):
            if progress:
                print("\r\033[K", end="", file=sys.stderr)
            if as_json:
                row = {"run_id": run_id, **ev.metrics(), **ev.system, "is_best": ev.is_best}
                row["samples"] = json.loads(mask_text(json.dumps(row["samples"])))  # design §17: masked
                if ev.canaries:  # train --canaries: mean bits per repetition count, and each canary (masked)
                    row["canary_exposure"], row["canaries"] = ev.canaries["by_repeats"], ev.canaries["canaries"]
                print(json.dumps(finite(row)), flush=True)
            else:
                print(f"epoch {ev.epoch:>3}  loss {ev.train_loss:.3f}  acc {ev.train_accuracy:.1%}  "
                      f"val loss {ev.val_loss:.3f}  acc {ev.val_accuracy:.1%}  top-3 {ev.val_top3:.1%}  "
                      f"ppl {ev.val_perplexity:.1f}  {ev.seconds:.1f} s  {ev.tokens_per_s:,.0f} tok/s  "
                      f"{'*' if ev.is_best else ' '} {ev.observation}", flush=True)
                for sample in ev.samples:
                    print(mask_text(f"      {sample['prefix']} → {' · '.join(sample['suggestions'])}"), flush=True)
                if ev.canaries:
                    print("      canaries: " + canary_line(ev.canaries["by_repeats"]), flush=True)
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

def _where(device: str, processes: int) -> str:
    return f"training on {device}" + (f" in {processes} processes" if processes > 1 else "")
