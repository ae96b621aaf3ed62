"""Checkpoints and exact resume: pause at a random batch, save, load, resume → bit-identical to no pause."""
from __future__ import annotations

import random
import threading

import pytest
import torch

from core_helpers import write_tiny_corpus  # noqa: E402
from gru_desktop.core.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from gru_desktop.core.config import TrainConfig
from gru_desktop.core.corpus import read_corpus
from gru_desktop.core.data import build_dataset
from gru_desktop.core.model import GRULanguageModel
from gru_desktop.core.train import EpochResult, Snapshot, StepResult, TrainingDone, train

torch.set_num_threads(1)
# dropout > 0 so the torch generator matters; plateau so the learning rate changes with the epochs' results
CFG = TrainConfig(seq_len=4, embed_dim=16, hidden_size=24, batch_size=8, lr=0.01, epochs=4, patience=0,
                  dropout=0.2, schedule="plateau", seed=7, checkpoint_minutes=0)
TIMING = {"seconds", "tokens_per_s"}


@pytest.fixture(scope="module")
def ds(tmp_path_factory):
    return build_dataset(read_corpus(write_tiny_corpus(tmp_path_factory.mktemp("corpus"))), CFG)


def _model(ds, seed):
    torch.manual_seed(seed)
    return GRULanguageModel.from_config(CFG, len(ds.vocab))


def _metrics(events):
    return [{k: v for k, v in e.metrics().items() if k not in TIMING} for e in events if isinstance(e, EpochResult)]


def _losses(events):
    return [(e.step, e.loss) for e in events if isinstance(e, StepResult)]


@pytest.fixture(scope="module")
def straight(ds):
    model = _model(ds, CFG.seed)
    events = list(train(model, ds.train, ds.val, CFG))
    return model, events


def _paused_at(ds, step, pause_seed):
    """Train until `step` batches are done, pause there; return the model, events and the snapshot."""
    pause = threading.Event()
    model = _model(ds, CFG.seed)
    events = []
    for ev in train(model, ds.train, ds.val, CFG, pause=pause):
        events.append(ev)
        if isinstance(ev, StepResult) and ev.step == step:
            pause.set()
    return model, events


@pytest.mark.parametrize("pick", [0, 1, 2])
def test_pause_at_a_random_batch_and_resume_is_bit_identical(ds, straight, tmp_path, pick):
    full_model, full = straight
    total = len(_losses(full))
    per_epoch = total // CFG.epochs
    # one random batch in the middle of an epoch, one right at an epoch's end, one random anywhere
    step = [random.Random(11).randint(per_epoch + 1, 2 * per_epoch - 1), per_epoch, random.Random(5).randint(1, total - 1)][pick]
    _, first = _paused_at(ds, step, pick)
    snaps = [e for e in first if isinstance(e, Snapshot) and e.reason == "pause"]  # (and one per epoch end)
    assert len(snaps) == 1
    assert isinstance(first[-1], TrainingDone) and first[-1].reason == "paused"
    assert _losses(first)[-1][0] == step

    path = tmp_path / "run.ckpt"
    save_checkpoint(path, snaps[0].state, run_id=1, config=CFG.to_dict(), vocab=list(ds.vocab.itos), corpus_sha256="x")
    loaded = load_checkpoint(path)  # through the file, weights_only
    torch.manual_seed(999)  # the resumed process's generators differ; the checkpoint must restore them
    random.seed(999)
    resumed_model = _model(ds, 12345)  # different initial weights: they must come from the checkpoint
    second = list(train(resumed_model, ds.train, ds.val, CFG, resume=loaded.state))
    assert isinstance(second[-1], TrainingDone) and second[-1].reason == "completed"

    assert _losses(first) + _losses(second) == _losses(full)  # every step's loss, exactly
    assert _metrics(first) + _metrics(second) == _metrics(full)  # the epoch metrics, exactly
    for k, v in full_model.state_dict().items():
        assert torch.equal(resumed_model.state_dict()[k], v), k
    assert second[-1].best_epoch == full[-1].best_epoch


def test_pause_twice_still_exact(ds, straight, tmp_path):
    full_model, full = straight
    pause = threading.Event()
    state, seen = None, []
    for target in (5, 23, None):
        pause.clear()
        model = _model(ds, CFG.seed if state is None else 3)
        for ev in train(model, ds.train, ds.val, CFG, pause=pause, resume=state):
            seen.append(ev)
            if isinstance(ev, StepResult) and ev.step == target:
                pause.set()
            if isinstance(ev, Snapshot):
                save_checkpoint(tmp_path / "c.ckpt", ev.state, run_id=1, config={}, vocab=[], corpus_sha256="")
                state = load_checkpoint(tmp_path / "c.ckpt").state
    assert _losses(seen) == _losses(full)
    for k, v in full_model.state_dict().items():
        assert torch.equal(model.state_dict()[k], v), k


def test_periodic_snapshots(ds):
    cfg = CFG.replace(checkpoint_minutes=1e-9, epochs=1)  # every batch
    events = list(train(_model(ds, 0), ds.train, ds.val, cfg))
    snaps = [e for e in events if isinstance(e, Snapshot)]
    steps = _losses(events)
    assert len(snaps) == len(steps) and all(s.reason == "periodic" for s in snaps)
    assert [s.state.loop.batches_done for s in snaps] == list(range(1, len(steps) + 1))


def test_a_checkpoint_at_every_epoch_end_resumes_bit_identically(ds, straight, tmp_path):
    full_model, full = straight
    snaps = [e for e in full if isinstance(e, Snapshot)]
    assert [s.reason for s in snaps] == ["epoch"] * (CFG.epochs - 1)  # at the start of epochs 2..4
    assert [(s.state.loop.epoch, s.state.loop.batches_done) for s in snaps] == [(e, 0) for e in range(2, CFG.epochs + 1)]
    save_checkpoint(tmp_path / "e.ckpt", snaps[0].state, run_id=1, config={}, vocab=[], corpus_sha256="")
    torch.manual_seed(999)
    random.seed(999)
    model = _model(ds, 12345)
    second = list(train(model, ds.train, ds.val, CFG, resume=load_checkpoint(tmp_path / "e.ckpt").state))
    assert _metrics(second) == _metrics(full)[1:]
    for k, v in full_model.state_dict().items():
        assert torch.equal(model.state_dict()[k], v), k
    off = list(train(_model(ds, 0), ds.train, ds.val, CFG.replace(checkpoint_epochs=False, epochs=2)))
    assert not [e for e in off if isinstance(e, Snapshot)]


def test_damaged_missing_and_foreign_checkpoints_are_refused(ds, straight, tmp_path):
    with pytest.raises(CheckpointError, match="missing"):
        load_checkpoint(tmp_path / "nope.ckpt")
    _, first = _paused_at(ds, 3, 0)
    snap = next(e for e in first if isinstance(e, Snapshot))
    good = tmp_path / "good.ckpt"
    save_checkpoint(good, snap.state, run_id=1, config={}, vocab=["a"], corpus_sha256="")
    data = good.read_bytes()
    (tmp_path / "cut.ckpt").write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="damaged"):
        load_checkpoint(tmp_path / "cut.ckpt")
    (tmp_path / "junk.ckpt").write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError):
        load_checkpoint(tmp_path / "junk.ckpt")
    torch.save({"format": 1, "state_dict": {}}, tmp_path / "model.pt")  # a model file, not a checkpoint
    with pytest.raises(CheckpointError, match="not a GRU Desktop checkpoint"):
        load_checkpoint(tmp_path / "model.pt")
    assert load_checkpoint(good).probes == []  # as checkpoints written before probes were kept
    save_checkpoint(good, snap.state, run_id=1, config={}, vocab=["a"], corpus_sha256="", probes=["dear sir"])
    assert load_checkpoint(good).probes == ["dear sir"]
    payload = torch.load(good, weights_only=True)
    torch.save({**payload, "probes": [3]}, tmp_path / "odd.ckpt")
    with pytest.raises(CheckpointError, match="incomplete"):
        load_checkpoint(tmp_path / "odd.ckpt")


class _Boom:
    def __reduce__(self):
        return (print, ("executed!",))


def test_a_pickle_that_would_run_code_is_refused_without_running(tmp_path, capsys):
    import pickle

    bad = tmp_path / "evil.ckpt"
    torch.save({"format": "gru-desktop-checkpoint", "version": 1, "x": _Boom()}, bad, pickle_protocol=pickle.DEFAULT_PROTOCOL)
    with pytest.raises(CheckpointError, match="refused"):
        load_checkpoint(bad)
    assert "executed!" not in capsys.readouterr().out


def test_a_failed_write_keeps_the_previous_checkpoint(ds, tmp_path, monkeypatch):
    _, first = _paused_at(ds, 3, 0)
    snap = next(e for e in first if isinstance(e, Snapshot))
    path = tmp_path / "run.ckpt"
    save_checkpoint(path, snap.state, run_id=1, config={}, vocab=["a"], corpus_sha256="s")
    before = path.read_bytes()

    def full_disk(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", full_disk)
    with pytest.raises(OSError):
        save_checkpoint(path, snap.state, run_id=1, config={}, vocab=["b"], corpus_sha256="t")
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["run.ckpt"]  # no temporary file left
    monkeypatch.undo()
    assert load_checkpoint(path).vocab == ["a"]
