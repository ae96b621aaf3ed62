"""The training loop as a generator of plain dataclasses (design §8, like superqt's GeneratorWorker).

`train()` yields a `StepResult` per batch and an `EpochResult` per epoch, and finally a `TrainingDone`.
It checks `stop` (a threading.Event) between batches, so Cancel is honoured within one batch. It never
touches files, the database or Qt: the runs job (gru_desktop/jobs/runs.py, its loop in run_driver.py) records what it yields.
"""
from __future__ import annotations

import logging
import math
import threading
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .checkpoint import LoopState, TrainState, capture, numpy_state, restore_rngs
from .config import TrainConfig, auto_lr
from .data import Windows, batches
from .distributed import LOCAL, Group
from .model import GRULanguageModel
from .observe import observe
from .train_events import EpochResult, EvalResult, Snapshot, StepResult, TrainingDone  # noqa: F401 (re-exported)

log = logging.getLogger(__name__)

def train(model: GRULanguageModel, train_windows: Windows, val_windows: Windows, config: TrainConfig,
          stop: threading.Event | None = None, *, pause: threading.Event | None = None,
          resume: TrainState | None = None, device: torch.device | None = None, group: Group = LOCAL):
    """Train `model` in place; on return its weights are the best epoch's (lowest validation loss).

    `pause`: like `stop`, but first yields a `Snapshot` (reason "pause"), then `TrainingDone("paused")`.
    `resume`: a Snapshot's state (from a checkpoint file): continue exactly where it was taken; with the
    same data, settings and thread count the weights and metrics come out bit-identical to a run that
    was never paused (a step-based schedule; a time limit counts only time spent training).
    `device`: where to train (the model is moved there). `group`: this process's share of a job of several
    (core.distributed); the results it yields are then those of the whole job, the same in every process.
    With several processes every checkpoint (epoch ends, every `checkpoint_minutes` as rank 0's clock says,
    a pause asked for in any process) is agreed in the per-step all-reduce and taken at the same step by all;
    each process's lanes and generators are gathered on rank 0 (`TrainState.ranks`), which alone writes it.
    `resume` may then be such a state, taken with the same number of processes.
    """
    # "auto" learning rate, for a caller that did not resolve it (a run resolves it and stores it)
    lr0 = config.lr if config.lr is not None else auto_lr(train_windows.n_tokens)
    config = config.replace(lr=lr0)
    dist = group.distributed
    if resume is not None:
        resume = resume.for_rank(group.rank, group.world)  # ValueError for another number of processes
    device = device or torch.device("cpu")
    model.to(device)
    step_module = group.wrap(_TrainStep(model), device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr0)
    if resume is None:
        torch.manual_seed(config.seed)
        rng = np.random.default_rng(config.seed)
        s = LoopState(epoch=1, batches_done=0, step=0, tokens_total=0, elapsed=0.0, epoch_seconds=0.0,
                      planned_steps=0, lr=lr0, loss_sum=0.0, correct=0, n_tok=0, best_loss=math.inf,
                      best_epoch=0, since_best=0)
    else:
        model.load_state_dict(resume.model)
        optimizer.load_state_dict(resume.optimizer)
        rng = restore_rngs(resume)  # numpy's as it was before the interrupted epoch's shuffle
        s = resume.loop
    lr = s.lr
    planned_steps = s.planned_steps  # cosine schedule: steps of all planned epochs, known once the first epoch is planned
    B = config.batch_size
    best_loss, best_epoch, since_best = s.best_loss, s.best_epoch, s.since_best
    best_state = resume.best_state if resume is not None else None
    prev: dict | None = s.prev
    step, tokens_total = s.step, s.tokens_total
    start = time.perf_counter() - s.elapsed  # time between a pause and its resume does not count
    deadline = start + config.horizon if config.horizon > 0 else math.inf
    every = config.checkpoint_minutes * 60.0
    last_snapshot = time.perf_counter()

    def snapshot(done: int) -> TrainState:  # the state after `done` batches of the current epoch
        now = time.perf_counter()
        loop = LoopState(epoch, done, step, tokens_total, now - start, now - t0, planned_steps, lr, loss_sum,
                         correct, n_tok, best_loss, best_epoch, since_best, prev, epoch_rng)
        return capture(loop, model, optimizer, state, best_state)

    def taken(done: int, reason: str) -> Snapshot:  # with several processes: every rank's part, on rank 0
        st = snapshot(done)
        if dist:
            st.ranks = group.gather(st.rank_part())
        return Snapshot(st, reason)

    def agree(snap: Snapshot) -> None:  # after rank 0 has written it (or failed): all ranks learn which
        if dist:
            snap.saved = group.sum([1.0 if group.rank == 0 and snap.saved else 0.0])[0] > 0
            if not snap.saved and group.rank != 0:
                log.warning("process %d: rank 0 could not write the checkpoint at %s", group.rank, snap.where)

    for epoch in range(s.epoch, config.max_epochs + 1):
        model.train()
        resuming = resume is not None and epoch == s.epoch
        t0 = time.perf_counter() - (s.epoch_seconds if resuming else 0.0)
        loss_sum, correct, n_tok = (s.loss_sum, s.correct, s.n_tok) if resuming else (0.0, 0, 0)
        skip = s.batches_done if resuming else 0
        timed_out = False
        epoch_rng = numpy_state(rng)  # before the shuffle: resuming shuffles again from here
        plan = batches(train_windows, B, rng, part=group.part)
        # (layers, lanes, H): one row per lane of this process
        state = resume.lanes.clone().to(device) if resume is not None and resuming else model.init_state(len(plan.lanes))
        planned_steps = planned_steps or max(len(plan) * config.max_epochs, 1)
        if config.checkpoint_epochs and epoch > 1 and not resuming:
            # The previous epoch has ended (its result, the plateau halving and `prev` are in): a checkpoint at
            # this epoch's batch 0, so a run killed after an epoch resumes from there (design §14).
            snap = taken(0, "epoch")
            yield snap
            agree(snap)
            last_snapshot = time.perf_counter()
        for i, batch in enumerate(plan, start=1):
            if i <= skip:  # trained before the pause
                continue
            if not group.distributed and stop is not None and stop.is_set():
                yield _restore(model, TrainingDone("cancelled", "cancelled by the user", best_epoch, best_state))
                return
            if not dist and pause is not None and pause.is_set():
                snap = Snapshot(snapshot(i - 1), "pause")
                yield snap
                yield _restore(model, TrainingDone("paused", f"paused at {snap.where} of {len(plan)}", best_epoch, best_state))
                return
            if config.schedule == "cosine":
                lr = _cosine_lr(config, step / planned_steps, time.perf_counter() - start)
                for param_group in optimizer.param_groups:
                    param_group["lr"] = lr
            batch = batch.to(device)
            # mean cross-entropy and exact top-1 hits over real positions, and the rows' final states
            loss, hits, h_out = step_module(batch.inputs, batch.lengths, batch.targets, _lane_state(state, batch))
            optimizer.zero_grad(set_to_none=True)
            if batch.step_tokens >= 0:
                # DDP averages the processes' gradients; weighting each process's mean by its share of the
                # step's tokens makes that average the gradient of the whole step's mean, as for one process.
                (loss * (batch.n_tokens * group.world / max(batch.step_tokens, 1))).backward()
            else:
                loss.backward()
            if config.clip > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), config.clip)
            optimizer.step()
            state = _keep_state(state, batch, h_out.detach())  # truncated backprop: never through earlier batches
            # One all-reduce (none for one process): the step's loss, hits and tokens over all processes, and
            # the stop flags, so that every process stops at the same step (Cancel anywhere, time on rank 0).
            cancel_here = stop is not None and stop.is_set()
            late_here = group.rank == 0 and time.perf_counter() >= deadline
            pause_here = dist and pause is not None and pause.is_set()
            snap_here = dist and group.rank == 0 and every > 0 and time.perf_counter() - last_snapshot >= every
            loss_x_n, hits_n, n, cancel, late, pause_all, snap_all = group.sum(
                [loss.item() * batch.n_tokens, float(hits), batch.n_tokens, cancel_here, late_here, pause_here,
                 snap_here])
            value, n = loss_x_n / max(n, 1), int(n)
            step += 1
            tokens_total += n
            if not math.isfinite(value):
                msg = f"diverged: the loss became {value} at step {step} (epoch {epoch}); try a lower learning rate"
                yield _restore(model, TrainingDone("diverged", msg, best_epoch, best_state))
                return
            loss_sum += loss_x_n
            correct += int(hits_n)
            n_tok += n
            yield StepResult(step, epoch, i, len(plan), value, tokens_total, time.perf_counter() - start)
            if group.distributed and cancel:
                yield _restore(model, TrainingDone("cancelled", "cancelled by the user", best_epoch, best_state))
                return
            if dist and pause_all:  # asked for in some process, agreed by all at this step
                snap = taken(i, "pause")
                yield snap
                agree(snap)
                yield _restore(model, TrainingDone("paused", f"paused at {snap.where} of {len(plan)}", best_epoch, best_state))
                return
            if snap_all if dist else (every > 0 and time.perf_counter() - last_snapshot >= every):
                snap = taken(i, "periodic")
                yield snap
                agree(snap)
                last_snapshot = time.perf_counter()
            if late:
                timed_out = True
                break
        seconds = time.perf_counter() - t0
        val = evaluate_windows(model, val_windows, B, None if group.distributed else stop, group)
        if group.sum([stop is not None and stop.is_set()])[0]:  # cancelled during validation: this epoch is not finished
            yield _restore(model, TrainingDone("cancelled", "cancelled by the user", best_epoch, best_state))
            return
        cur = {
            "train_loss": loss_sum / max(n_tok, 1), "train_accuracy": correct / max(n_tok, 1),
            "val_loss": val.loss, "val_accuracy": val.accuracy,
        }
        improved = val.loss < best_loss
        if improved:
            best_loss, best_epoch, since_best = val.loss, epoch, 0
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        else:
            since_best += 1
        result = EpochResult(
            epoch=epoch, train_loss=cur["train_loss"], train_accuracy=cur["train_accuracy"],
            val_loss=val.loss, val_accuracy=val.accuracy, val_top3=val.top3, val_perplexity=val.perplexity,
            seconds=seconds, tokens_per_s=n_tok / max(seconds, 1e-9), lr=lr,
            observation=observe(prev, cur), is_best=improved, best_epoch=best_epoch, partial=timed_out,
        )
        yield result
        prev = cur
        if not math.isfinite(val.loss):
            yield _restore(model, TrainingDone("diverged", "diverged: validation loss is not a number; try a lower learning rate", best_epoch, best_state))
            return
        if timed_out:
            what = "time limit" if config.horizon == config.time_limit else "time budget"
            msg = f"stopped at the {what} of {_duration(config.horizon)} (best: epoch {best_epoch})"
            yield _restore(model, TrainingDone("time_limit", msg, best_epoch, best_state))
            return
        if config.patience and since_best >= config.patience and epoch < config.max_epochs:
            msg = f"stopped early: no better validation loss for {since_best} epochs (best: epoch {best_epoch})"
            yield _restore(model, TrainingDone("early_stop", msg, best_epoch, best_state))
            return
        if not improved and config.schedule == "plateau":
            # Halve the step size when validation stops improving: a cheap, robust schedule for Adam.
            lr *= 0.5
            for param_group in optimizer.param_groups:
                param_group["lr"] = lr
    yield _restore(model, TrainingDone("completed", f"finished {config.max_epochs} epochs (best: epoch {best_epoch})", best_epoch, best_state))


def _duration(seconds: float) -> str:
    return f"{seconds / 60:g} min" if seconds >= 60 and seconds % 60 == 0 else f"{seconds:g} s"


def _cosine_lr(config: TrainConfig, step_share: float, elapsed: float) -> float:
    """Cosine decay from config.lr to 0 over the run: over the time limit (or Epochs auto's budget) when there
    is one (whichever of time and planned steps is further along), else over the planned epochs."""
    done = step_share
    if config.horizon > 0:
        done = max(done, elapsed / config.horizon)
    return (config.lr or 0.0) * 0.5 * (1.0 + math.cos(math.pi * min(done, 1.0)))  # resolved by train()


@torch.inference_mode()
def evaluate_windows(model: GRULanguageModel, windows: Windows, batch_size: int,
                     stop: threading.Event | None = None, group: Group = LOCAL) -> EvalResult:
    """Mean cross-entropy, top-1 and top-3 accuracy over the real positions, carrying state across windows.

    `stop` is checked between batches (a big validation set takes seconds); once set, the result is partial.
    With a `group` of several processes each scores its own lanes and the sums are reduced: every process
    gets the result over all windows.
    """
    was_training = model.training
    model.eval()
    device = model.embedding.weight.device
    plan = batches(windows, batch_size, None, part=group.part)
    state = model.init_state(len(plan.lanes))
    loss_sum = 0.0
    top1 = top3 = n = 0
    for batch in plan:
        if stop is not None and stop.is_set():
            break
        if batch.n_tokens == 0:  # this process has no lane busy in this step
            continue
        batch = batch.to(device)
        logits, targets, h_out = model(batch.inputs, batch.lengths, batch.targets, _lane_state(state, batch))
        state = _keep_state(state, batch, h_out)
        loss_sum += float(F.cross_entropy(logits, targets, reduction="sum"))
        best3 = logits.topk(3, dim=1).indices  # (tokens, 3)
        hit = best3 == targets.unsqueeze(1)
        top1 += int(hit[:, 0].sum())
        top3 += int(hit.any(1).sum())
        n += int(targets.numel())
    model.train(was_training)
    loss_sum, top1_sum, top3_sum, n_sum = group.sum([loss_sum, top1, top3, n])  # over all processes
    top1, top3, n = int(top1_sum), int(top3_sum), int(n_sum)
    if n == 0:
        return EvalResult(math.nan, 0.0, 0.0, 0)
    return EvalResult(loss_sum / n, top1 / n, top3 / n, n)


def load_step_code() -> None:
    """One optimizer step on a throwaway tensor, for the modules a first real step loads: torch.optim imports
    torch._dynamo on its first step (~800 modules, ~120,000 objects, ~1.2 s here). The window runs this in
    its start-up worker, so that cost is paid before Train is pressed (ui.gc_guard). No random numbers are
    drawn: a run started meanwhile in another thread gets its seeded weights all the same."""
    weight = torch.zeros(2, requires_grad=True)
    optimizer = torch.optim.Adam([weight], lr=0.01)
    F.cross_entropy(weight.view(1, 2), torch.tensor([1])).backward()
    torch.nn.utils.clip_grad_norm_([weight], 1.0)
    optimizer.step()


class _TrainStep(nn.Module):
    """The training step's forward as one module call, so DistributedDataParallel (which hooks `forward`)
    can wrap it: stages 4–6 and the fused loss → (mean loss, top-1 hits, the rows' final states)."""

    def __init__(self, model: GRULanguageModel):
        super().__init__()
        self.model = model

    def forward(self, inputs, lengths, targets, state):
        h, packed_targets, h_out = self.model.features(inputs, lengths, targets, state)
        loss, hits = self.model.loss(h, packed_targets)
        return loss, hits, h_out


def _lane_state(state: torch.Tensor, batch) -> torch.Tensor:
    """The start state of this batch's rows (layers, b, H): their lanes' states, zero where a segment starts."""
    h = state if batch.lanes is None else state[:, batch.lanes]
    return h.masked_fill(batch.reset.view(1, -1, 1), 0.0)


def _keep_state(state: torch.Tensor, batch, h_out: torch.Tensor) -> torch.Tensor:
    """Store the rows' final states back into their lanes; returns the (layers, B, H) lane states."""
    if batch.lanes is None:
        return h_out
    state[:, batch.lanes] = h_out
    return state


def _restore(model: GRULanguageModel, done: TrainingDone) -> TrainingDone:
    """Put the best epoch's weights back into the model before reporting the end."""
    if done.best_state is not None:
        model.load_state_dict(done.best_state)
    model.eval()
    return done
