"""What `train` prints between the last epoch and the run's end (in-process: the terminal is faked)."""
from __future__ import annotations

import sys

from gru_desktop.cli.follow import follow
from gru_desktop.jobs.runs import RunFinished, RunStage


def test_a_terminal_is_told_what_happens_after_the_last_epoch(capsys, monkeypatch):
    events = [RunStage(7, "Fitting the blend of GRU and counts…"), RunFinished(7, "completed", "done", 3, None)]
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert follow(iter(events), as_json=False).run_id == 7
    assert "Fitting the blend of GRU and counts…" in capsys.readouterr().err
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)  # a pipe or a file: nothing extra
    follow(iter(events), as_json=False)
    assert "Fitting" not in capsys.readouterr().err
