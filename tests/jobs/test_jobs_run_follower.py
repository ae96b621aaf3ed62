"""The Qt-free follower of a run trained in a child process (jobs/run_follower.py, jobs/child_run.py): the
child's command line carries every setting, the run is found by its token (not by id order), and the rows
are read incrementally."""
from __future__ import annotations

import math
import sys

import pytest

import storage
from gru_desktop.cli.parser import build_parser, config_from_args
from gru_desktop.core.config import SETTINGS, TrainConfig
from gru_desktop.core.train import EpochResult, StepResult
from gru_desktop.jobs.child_run import train_in_child
from gru_desktop.jobs.run_events import RunFinished, RunStarted
from gru_desktop.jobs.run_follower import RunFollower, history_events, train_command


def _other_value(s):
    """A valid value of setting `s` that is not its default (generated from its metadata)."""
    if s.kind is bool:
        return not s.default
    if s.choices:
        return next(c for c in s.choices if c != s.default)
    lo, hi = s.range
    if s.kind is int:
        return next(v for v in (lo + 1, lo + 2) if v != s.default)
    return lo + (hi - lo) / 3  # an awkward float: it must read back exactly


def _read_back(cmd: list[str]) -> TrainConfig:
    args = build_parser().parse_args(cmd[3:])  # after `python -m gru_desktop`
    assert args.command == "train"
    return config_from_args(args)


@pytest.mark.parametrize("name", list(SETTINGS))
def test_every_setting_round_trips_through_the_child_command_line(name):
    """One case per entry of SETTINGS: a setting added to TrainConfig is covered without touching this test."""
    config = TrainConfig(**{name: _other_value(SETTINGS[name])})
    assert getattr(config, name) != SETTINGS[name].default
    assert _read_back(train_command(["a.txt"], config, None)) == config


def test_auto_values_tiny_numbers_and_odd_paths_and_probes_read_back():
    for config in (TrainConfig(), TrainConfig(lr=0.000001, dropout=0.0, epochs=0, checkpoint_minutes=0.05)):
        cmd = train_command(["-odd.txt", "b c.txt"], config, "/tmp/h", probes=["-dash first", "thank you"], token="T1")
        assert _read_back(cmd[:3] + cmd[4:]) == config  # (without --home=…)
        args = build_parser().parse_args(cmd[3:])
        assert args.paths == ["-odd.txt", "b c.txt"] and args.probe == ["-dash first", "thank you"]
        assert args.run_token == "T1" and args.home == "/tmp/h"


def _db(tmp_path):
    home, db = storage.open_store(tmp_path / "home")
    return home, db


def _make_run(db, **kw):
    return storage.create_run(db, name=None, config=TrainConfig(batch_size=2, seq_len=2).to_dict(), corpus="c",
                              corpus_sha256="x", vocab_size=10, epochs_planned=2, train_tokens=40, **kw)


def test_the_follower_finds_its_run_by_token_and_reads_only_new_rows(tmp_path):
    _, db = _db(tmp_path)
    follower = RunFollower(db, "mine")
    assert follower.poll() == ([], [])
    _make_run(db)  # another process's run, created first
    assert follower.find() is None
    mine = _make_run(db)
    storage.set_run_token(db, mine, "mine")
    _make_run(db)  # and one created after it
    assert follower.find()["id"] == mine
    storage.add_steps(db, mine, [(1, 1, 3.0), (2, 1, 2.5), (3, 1, 2.0)])
    steps, epochs = follower.poll()
    assert [(s.step, s.epoch, s.batch, s.loss) for s in steps] == [(1, 1, 1, 3.0), (2, 1, 2, 2.5), (3, 1, 3, 2.0)]
    assert epochs == []
    storage.add_epoch(db, mine, {"epoch": 1, "train_loss": 2.4, "train_accuracy": 0.1, "val_loss": 2.2,
                                 "val_accuracy": 0.2, "val_top3": 0.3, "seconds": 1.0, "tokens_per_s": 40.0})
    storage.add_steps(db, mine, [(4, 2, 1.9), (5, 2, 1.8)])
    steps, epochs = follower.poll()
    assert [(s.step, s.epoch, s.batch, s.batches) for s in steps] == [(4, 2, 1, 3), (5, 2, 2, 3)]
    assert [(e.epoch, e.is_best, e.best_epoch) for e in epochs] == [(1, True, 1)]
    assert math.isclose(epochs[0].val_perplexity, math.exp(2.2))
    assert follower.poll() == ([], [])  # nothing new: nothing read twice


def test_history_and_follower_give_the_same_events(tmp_path):
    _, db = _db(tmp_path)
    run = _make_run(db)
    storage.set_run_token(db, run, "t")
    storage.add_steps(db, run, [(1, 1, 3.0), (2, 1, 2.5), (3, 2, 2.0)])
    storage.add_epoch(db, run, {"epoch": 1, "train_loss": 2.4, "train_accuracy": 0.1, "val_loss": 2.2,
                                "val_accuracy": 0.2, "val_top3": 0.3, "seconds": 1.0, "tokens_per_s": 40.0,
                                "cpu_percent": 90.0, "samples": [{"prefix": "a", "suggestions": ["b"]}]})
    steps, epochs = history_events({"steps": storage.get_steps(db, run), "epochs": storage.get_epochs(db, run)})
    f_steps, f_epochs = RunFollower(db, "t").poll()
    assert [(s.step, s.epoch, s.batch, s.batches) for s in steps] == [(s.step, s.epoch, s.batch, s.batches) for s in f_steps]
    assert epochs == f_epochs and epochs[0].system == {"cpu_percent": 90.0} and epochs[0].samples


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_run_created_by_another_process_during_the_launch_is_not_followed(tmp_path):
    corpus = tmp_path / "t.txt"
    corpus.write_text("the cat sat on the mat.\nmy dog ran to the car park.\n" * 40, encoding="utf-8")
    home, db = _db(tmp_path)
    config = TrainConfig(seq_len=4, embed_dim=8, hidden_size=12, batch_size=8, epochs=2, threads=1, device="cpu")
    other = []
    events = list(train_in_child([str(corpus)], config, home, poll_s=0.05,
                                 on_start=lambda proc: other.append(_make_run(db))))  # while the child starts
    started = next(e for e in events if isinstance(e, RunStarted))
    finished = events[-1]
    assert isinstance(finished, RunFinished) and finished.status == "completed", finished.message
    assert started.run_id == finished.run_id != other[0]
    assert other[0] < started.run_id  # "the first run after the highest id" would have followed the other one
    steps = [e for e in events if isinstance(e, StepResult)]
    assert [s.step for s in steps] == [r["step"] for r in storage.get_steps(db, started.run_id)]
    assert [e.epoch for e in events if isinstance(e, EpochResult)] == [1, 2]
    assert storage.get_run(db, other[0])["status"] == "running"  # untouched
