"""Checkpoints of a run in two processes (gloo, spawned here; design §12, §14): every process's lanes and
generators gathered on rank 0; a pause asked for in any one process is agreed at the same step; resuming
from it is bit-identical to never pausing; a checkpoint that rank 0 could not write (disk full) is known
as unwritten in every process."""
from __future__ import annotations

import os
import sys

import pytest
import torch
import torch.multiprocessing as mp

from core_helpers import write_tiny_corpus  # noqa: E402

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="gloo's file rendezvous")
CFG = dict(seq_len=4, embed_dim=8, hidden_size=12, batch_size=8, lr=0.01, epochs=2, patience=0, dropout=0.2,
           schedule="plateau", seed=3, checkpoint_minutes=0, threads=1)


def _worker(rank: int, world: int, init: str, corpus: str, out: str, pause_at: int, fail_epoch_write: bool) -> None:
    torch.set_num_threads(1)
    import threading

    from gru_desktop.core.checkpoint import load_checkpoint, save_checkpoint
    from gru_desktop.core.config import TrainConfig
    from gru_desktop.core.corpus import read_corpus
    from gru_desktop.core.data import build_dataset
    from gru_desktop.core.distributed import TorchGroup
    from gru_desktop.core.model import GRULanguageModel
    from gru_desktop.core.train import Snapshot, StepResult, TrainingDone, train

    torch.distributed.init_process_group("gloo", init_method=init, rank=rank, world_size=world)
    group = TorchGroup(rank, world, 0, torch.device("cpu"))
    cfg = TrainConfig(**CFG)
    ds = build_dataset(read_corpus([corpus]), cfg)

    def model():
        torch.manual_seed(cfg.seed)
        return GRULanguageModel.from_config(cfg, len(ds.vocab))

    # 1. never paused
    straight = model()
    for _ in train(straight, ds.train, ds.val, cfg, group=group):
        pass
    # 2. paused at epoch 2's batch `pause_at`, asked for in rank 1 only; rank 0 "fails" to write the epoch checkpoint
    pause = threading.Event()
    paused, snaps, done = model(), [], None
    path = os.path.join(out, "run.ckpt")
    for ev in train(paused, ds.train, ds.val, cfg, pause=pause, group=group):
        if isinstance(ev, StepResult) and (ev.epoch, ev.batch) == (2, pause_at) and rank == 1:
            pause.set()
        if isinstance(ev, Snapshot):
            if rank == 0 and not (fail_epoch_write and ev.reason == "epoch"):
                save_checkpoint(path, ev.state, run_id=1, config=cfg.to_dict(), vocab=list(ds.vocab.itos),
                                corpus_sha256=ds.corpus.sha256)
                ev.saved = True
            snaps.append(ev)
        if isinstance(ev, TrainingDone):
            done = ev
    seen = [(s.reason, s.saved, s.state.loop.epoch, s.state.loop.batches_done) for s in snaps]
    torch.distributed.barrier()
    # 3. resumed from the pause's checkpoint, every process its own part
    state = load_checkpoint(path).state
    resumed = model()
    for _ in train(resumed, ds.train, ds.val, cfg, resume=state, group=group):
        pass
    same = all(torch.equal(a, b) for a, b in zip(straight.state_dict().values(), resumed.state_dict().values(),
                                                  strict=True))
    torch.save({"seen": seen, "done": done.reason, "same": same, "world": state.world}, os.path.join(out, f"{rank}.pt"))
    torch.distributed.destroy_process_group()


def test_two_processes_pause_anywhere_resume_exactly_and_agree_on_a_failed_write(tmp_path):
    corpus = write_tiny_corpus(tmp_path)
    init = f"file://{tmp_path / 'rendezvous'}"
    mp.spawn(_worker, args=(2, init, str(corpus), str(tmp_path), 3, True), nprocs=2, join=True)
    results = [torch.load(tmp_path / f"{r}.pt", weights_only=False) for r in (0, 1)]
    for r in results:
        assert r["done"] == "paused" and r["world"] == 2
        assert r["same"], "resumed weights differ from the never-paused run"
    # both processes saw the same checkpoints, at the same steps, and both know the epoch one was not written
    assert results[0]["seen"] == results[1]["seen"]
    # (the pause asked for after batch 3 travels in batch 4's all-reduce: every process stops after batch 4)
    assert results[0]["seen"] == [("epoch", False, 2, 0), ("pause", True, 2, 4)]
