"""jobs.launch directly, without starting processes: the workers' command line, the rendezvous port, the
exit code of a failed launch, and a refused device before anything starts."""
from __future__ import annotations

import signal
import socket
from types import SimpleNamespace

import pytest

from gru_desktop.core.config import TrainConfig
from gru_desktop.core.errors import ConfigError, UserError
from gru_desktop.jobs import launch


def test_worker_argv_drops_the_launchers_own_options():
    argv = ["train", "a.txt", "--processes", "2", "--port=29500", "--epochs", "3", "--processes=4", "--port", "1"]
    assert launch.worker_argv(argv) == ["train", "a.txt", "--epochs", "3"]


def test_ports_free_busy_and_out_of_range():
    port = launch.free_port()
    launch.check_port(port)  # free: no error
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(UserError, match=f"rendezvous port {busy.getsockname()[1]} is busy"):
            launch.check_port(busy.getsockname()[1])
    with pytest.raises(UserError, match="between 1 and 65535"):
        launch.check_port(70000)


def _failure(rank: int, exitcode: int, timestamp: float):
    return SimpleNamespace(local_rank=rank, exitcode=exitcode, timestamp=timestamp)


def test_exit_code_is_the_lowest_rank_that_exited_by_itself(capsys):
    failures = {1: _failure(1, 3, 2.0), 0: _failure(0, -signal.SIGKILL, 1.0), 2: _failure(2, 2, 0.5)}
    assert launch._exit_code(SimpleNamespace(failures=failures)) == 3
    assert capsys.readouterr().err == ""


def test_exit_code_when_every_failed_process_was_killed(capsys):
    failures = {0: _failure(0, -signal.SIGTERM, 2.0), 1: _failure(1, -signal.SIGKILL, 1.0)}
    assert launch._exit_code(SimpleNamespace(failures=failures)) == 1
    assert capsys.readouterr().err == "error: training process 1 was killed (SIGKILL); the others were stopped\n"


def test_an_absent_device_is_refused_before_any_process_starts():
    import torch

    if torch.cuda.device_count() >= 8:
        pytest.skip("this machine has a cuda:7")
    with pytest.raises(ConfigError, match="cuda:7 is not available"):
        launch.launch_processes(["train"], TrainConfig(device="cuda:7", processes=2))
