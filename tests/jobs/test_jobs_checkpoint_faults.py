"""The runs job when a checkpoint cannot be written (disk full): the previous one stays usable, training
goes on, and a pause without any checkpoint stops the run with a message instead of a false 'paused'."""
from __future__ import annotations

import threading

import pytest
import torch

import storage
from gru_desktop.core import checkpoint
from gru_desktop.core.config import TrainConfig
from gru_desktop.core.corpus import read_corpus
from gru_desktop.core.data import build_dataset
from gru_desktop.core.train import EpochResult, StepResult
from gru_desktop.jobs import runs

torch.set_num_threads(1)
CFG = TrainConfig(seq_len=4, embed_dim=8, hidden_size=12, batch_size=8, epochs=3, patience=0, threads=1,
                  checkpoint_minutes=1e-9)  # a checkpoint after every batch


@pytest.fixture
def dataset(tmp_path):
    p = tmp_path / "t.txt"
    p.write_text("the cat sat on the mat.\nmy dog ran to the car park.\n" * 30, encoding="utf-8")
    return build_dataset(read_corpus([p]), CFG)


def _failing_after(n, real=checkpoint.save_checkpoint):
    calls = [0]

    def save(*a, **k):
        calls[0] += 1
        if calls[0] > n:
            raise OSError(28, "No space left on device")
        return real(*a, **k)
    return save


def _train(dataset, home, pause_at=None):
    pause = threading.Event()
    events = []
    for ev in runs.train_run(dataset, CFG, home=home, pause=pause):
        events.append(ev)
        if isinstance(ev, StepResult) and ev.step == pause_at:
            pause.set()
    return events


def test_a_full_disk_keeps_the_previous_checkpoint_and_the_run_resumes_from_it(dataset, tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setattr(checkpoint, "save_checkpoint", _failing_after(2))
    events = _train(dataset, home, pause_at=6)
    saved = [e for e in events if isinstance(e, runs.CheckpointSaved)]
    assert [bool(e.path) for e in saved[:3]] == [True, True, False]
    assert "No space left" in saved[2].error and "previous checkpoint is kept" in saved[2].error
    finished = events[-1]
    assert finished.status == "paused"  # paused on the last good checkpoint (batch 2)
    assert "resumes from the checkpoint at epoch 1, batch 2" in finished.message
    db = storage.open_db(storage.db_path(home))
    run = storage.get_run(db, finished.run_id)
    assert run["status"] == "paused"
    assert checkpoint.load_checkpoint(run["checkpoint_path"]).state.loop.step == 2
    assert not list((home / "models").glob("*.tmp"))  # no half-written file left behind
    monkeypatch.undo()
    resumed = list(runs.resume_run(finished.run_id, home=home))
    assert resumed[0].resumed == "epoch 1, batch 2"
    assert resumed[-1].status == "completed" and resumed[-1].run_id == finished.run_id
    assert [e["epoch"] for e in storage.get_epochs(db, finished.run_id)] == [1, 2, 3]


def test_a_pause_without_any_checkpoint_stops_with_a_message(dataset, tmp_path, monkeypatch):
    monkeypatch.setattr(checkpoint, "save_checkpoint", _failing_after(0))
    events = _train(dataset, tmp_path / "home", pause_at=3)
    finished = events[-1]
    assert finished.status == "cancelled" and "no checkpoint could be written" in finished.message


def test_periodic_checkpoint_failures_do_not_stop_training(dataset, tmp_path, monkeypatch):
    monkeypatch.setattr(checkpoint, "save_checkpoint", _failing_after(0))
    events = _train(dataset, tmp_path / "home")
    assert events[-1].status == "completed"
    assert any(isinstance(e, runs.CheckpointSaved) and e.error for e in events)


def test_a_paused_runs_probes_survive_in_its_checkpoint_and_after_resume(dataset, tmp_path):
    home = tmp_path / "home"
    pause = threading.Event()
    events = []
    for ev in runs.train_run(dataset, CFG, home=home, pause=pause, probes=["the cat sat on"]):
        events.append(ev)
        if isinstance(ev, StepResult) and ev.epoch == 2 and ev.batch == 2:  # after epoch 1 and its samples
            pause.set()
    paused = events[-1]
    assert paused.status == "paused"
    before = [e for e in events if isinstance(e, EpochResult)]
    assert before and before[0].samples[-1]["prefix"] == "the cat sat on"
    db = storage.open_db(storage.db_path(home))
    assert checkpoint.load_checkpoint(storage.get_run(db, paused.run_id)["checkpoint_path"]).probes == ["the cat sat on"]
    resumed = list(runs.resume_run(paused.run_id, home=home))
    assert resumed[0].probes == ["the cat sat on"]
    after = [e for e in resumed if isinstance(e, EpochResult)]
    assert after and all(e.samples[-1]["prefix"] == "the cat sat on" for e in after)
    assert len(after[0].samples) == len(before[0].samples)  # the same rows as before the pause
