"""`gru-desktop train --processes N …`: start the same command in N processes through PyTorch's own
launcher (torch.distributed.run, i.e. torchrun) on this machine, and wait for them (design §12).

The processes are torchrun's workers; rank 0 of them records the run. This process only launches:
it picks a free rendezvous port (or checks the one given), keeps torchrun's own log quiet, forwards
Ctrl-C (torchrun sends it on to the workers, who stop together and mark the run cancelled) and exits
with rank 0's exit code.
"""
from __future__ import annotations

import logging
import os
import signal
import socket
import sys

from torch.distributed.elastic.multiprocessing.api import SignalException
from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
from torch.distributed.run import parse_args, run

from ..core.config import TrainConfig
from ..core.devices import resolve_device
from ..core.distributed import threads_per_process
from ..core.errors import UserError

# Options of `train` that the launcher itself consumes; the workers get everything else.
_LAUNCHER_OPTIONS = {"--processes": True, "--port": True}


def worker_argv(argv: list[str]) -> list[str]:
    """The command line the workers run: `argv` without --processes/--port (and their values)."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
            continue
        name = arg.split("=", 1)[0]
        if name in _LAUNCHER_OPTIONS:
            skip = "=" not in arg
            continue
        out.append(arg)
    return out


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def check_port(port: int) -> None:
    """UserError if `port` cannot be listened on here (busy, or out of range)."""
    if not 1 <= port <= 65535:
        raise UserError(f"--port must be between 1 and 65535, not {port}")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError as exc:
            raise UserError(f"rendezvous port {port} is busy ({exc.strerror or exc}); choose another --port "
                            "or leave it out to use a free one") from None


def launch_processes(argv: list[str], config: TrainConfig, port: int = 0) -> int:
    """Run `gru_desktop <argv>` in config.processes processes under torchrun; rank 0's exit code."""
    resolve_device(config.device)  # an absent device: one error line here, before any process starts
    if port:
        check_port(port)
    else:
        port = free_port()
    n = config.processes
    os.environ.setdefault("OMP_NUM_THREADS", str(config.threads or threads_per_process(n)))
    for name in list(logging.root.manager.loggerDict):  # torchrun's own log: the workers say what matters
        if name.startswith("torch.distributed"):
            logging.getLogger(name).setLevel(logging.CRITICAL)

    launcher = parse_args([
        "--nnodes", "1", "--nproc-per-node", str(n), "--rdzv-backend", "c10d",
        "--rdzv-endpoint", f"127.0.0.1:{port}", "--max-restarts", "0", "--monitor-interval", "0.2",
        "-m", "gru_desktop", *worker_argv(argv),
    ])
    try:
        run(launcher)
    except ChildFailedError as exc:
        return _exit_code(exc)
    except SignalException as exc:  # Ctrl-C or SIGTERM: torchrun has passed it on to the workers and waited
        return 130 if exc.sigval == signal.SIGINT else 143
    except KeyboardInterrupt:
        return 130
    return 0


def _exit_code(exc) -> int:
    """The exit code of the lowest rank that exited by itself (it printed why); when every failed process
    was killed by a signal, one error line naming the first of them, and 1."""
    failures = exc.failures  # {global rank: ProcessFailure}
    exited = [failures[r] for r in sorted(failures) if failures[r].exitcode is not None and failures[r].exitcode >= 0]
    if exited:
        return exited[0].exitcode
    first = min(failures.values(), key=lambda f: f.timestamp)
    print(f"error: training process {first.local_rank} was killed ({_signal_name(first.exitcode)}); "
          "the others were stopped", file=sys.stderr)
    return 1


def _signal_name(code) -> str:
    try:
        return signal.Signals(-code).name
    except (TypeError, ValueError):
        return f"exit code {code}"
