"""Train and record one run (`drive`, from `train_run` and `resume_run` in `jobs/runs.py`): steps, epochs with
the system monitor, the best model, checkpoints; then the run's end, the count-based baseline and the blend.

Every way out (done, cancelled, diverged, an exception, Ctrl-C, the consumer dropping the generator) marks
the run finished; a full or read-only disk never loses the run's status or its last good model.
"""
from __future__ import annotations

import copy
import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import torch

import storage

from ..core import atomic, checkpoint
from ..core.canaries import by_repeats, canary_exposures
from ..core.config import TrainConfig
from ..core.data import Dataset
from ..core.distributed import LOCAL, Group
from ..core.errors import UserError
from ..core.memory import release_free_memory
from ..core.model import GRULanguageModel
from ..core.modelfile import LoadedModel, model_bytes
from ..core.samples import epoch_samples
from ..core.train import EpochResult, Snapshot, StepResult, TrainingDone, train
from . import baselines
from .blends import fit_and_store
from .faults import user_message
from .run_events import CheckpointSaved, RunFinished, RunStage
from .sysmon import SystemMonitor

log = logging.getLogger(__name__)
STEP_FLUSH_SECONDS = 1.0
RESERVE_BYTES = 1_000_000  # set aside per training run, so a full disk still lets the run be marked failed
_STATUS = {"completed": "completed", "early_stop": "completed", "time_limit": "completed",
           "cancelled": "cancelled", "diverged": "failed", "paused": "paused"}


def drive(db, home, run_id: int, model, dataset: Dataset, config: TrainConfig, stop, pause, resume, prefixes,
           saved=False, device: torch.device | None = None, group: Group = LOCAL, probes: Sequence[str] = ()):
    """Train and record: steps, epochs (with the system monitor), best models, checkpoints; then finish."""
    path = storage.model_path(home, run_id)
    ckpt_path = storage.checkpoint_path(home, run_id)
    pause = pause if pause is not None else threading.Event()  # also set by `runs pause` from another process
    device = device or torch.device("cpu")
    monitor = SystemMonitor(str(device))
    status, error, message, best_epoch = "failed", None, "", 0
    have_checkpoint = resume is not None
    saved_where = f"epoch {resume.loop.epoch}, batch {resume.loop.batches_done}" if resume is not None else ""
    pause_failed = False
    steps: list[tuple[int, int, float]] = []
    last_flush = time.monotonic()
    reserve = None
    try:
        reserve = _reserve(path)
        # With several processes this is rank 0: a pause asked for here is agreed by all in the per-step
        # all-reduce, and the checkpoints it writes hold every process's part (gathered by train()).
        for event in train(model, dataset.train, dataset.val, config, stop, pause=pause,
                           resume=resume, device=device, group=group):
            if isinstance(event, StepResult):
                steps.append((event.step, event.epoch, event.loss))
                if time.monotonic() - last_flush > STEP_FLUSH_SECONDS:
                    storage.add_steps(db, run_id, steps)
                    steps, last_flush = [], time.monotonic()
                    if storage.pause_requested(db, run_id):
                        pause.set()
            elif isinstance(event, Snapshot):
                storage.add_steps(db, run_id, steps)  # the chart up to the checkpoint is on disk with it
                steps = []
                try:
                    checkpoint.save_checkpoint(ckpt_path, event.state, run_id=run_id, config=config.to_dict(),
                                    vocab=list(dataset.vocab.itos), corpus_sha256=dataset.corpus.sha256, probes=list(probes))
                    storage.set_checkpoint(db, run_id, ckpt_path)
                    event.saved = True  # with several processes, train() tells the others
                    have_checkpoint, saved_where = True, event.where
                    event = CheckpointSaved(run_id, str(ckpt_path), event.where, event.reason)
                except OSError as exc:  # e.g. disk full: the temporary file is gone, the previous checkpoint intact
                    kept = "the previous checkpoint is kept" if have_checkpoint else "there is no earlier checkpoint"
                    event = CheckpointSaved(run_id, None, event.where, event.reason,
                                            f"the checkpoint could not be written ({exc.strerror or exc}); {kept}")
                    pause_failed = event.reason == "pause"
                    log.warning("run %s: %s", run_id, event.error)
            elif isinstance(event, EpochResult):
                event.samples = epoch_samples(_on_cpu(model, device), dataset.vocab, config, prefixes)
                storage.add_steps(db, run_id, steps)
                steps = []
                event.system = monitor.sample()
                if dataset.canaries:
                    event.canaries = _canary_exposure(_on_cpu(model, device), dataset, config)
                storage.add_epoch(db, run_id, {**event.metrics(), **event.system,
                                               "canary_exposure": event.canaries or None})
                if event.is_best:
                    # Saved at every new best epoch: a crash or Ctrl-C keeps the best finished epoch's model.
                    _save_best(db, run_id, path, model, config, dataset, event)
                    saved = True
            elif isinstance(event, TrainingDone):
                status, message, best_epoch = _STATUS[event.reason], event.message, event.best_epoch
                if status == "paused" and not have_checkpoint:
                    status, message = "cancelled", f"{message}, but no checkpoint could be written: stopped instead"
                elif status == "paused" and pause_failed:
                    message = f"paused; resumes from the checkpoint at {saved_where} (the pause's own could not be written)"
                error = message if status == "failed" else None
            yield event
    except (KeyboardInterrupt, GeneratorExit):
        status, message, error = "cancelled", "cancelled", None
        raise
    except BaseException as exc:
        status, error = "failed", user_message(exc, home) or f"{type(exc).__name__}: {exc}"
        message = error
        if group.distributed and have_checkpoint and not isinstance(exc, UserError):
            # Another process died or was stopped (torchrun then stops the rest): the run is resumable
            # from its last checkpoint, which holds every process's part.
            status = "interrupted"
            message = f"another training process stopped ({error}); resumable from the checkpoint at {saved_where}"
        raise
    finally:
        _finish(db, run_id, steps, status, error, message, reserve)
        if status not in ("paused", "interrupted") and have_checkpoint:  # a finished run is not resumed: its checkpoint only takes space
            ckpt_path.unlink(missing_ok=True)
            try:
                storage.set_checkpoint(db, run_id, None)
            except Exception:  # noqa: BLE001 - a full disk: the path then points at nothing, resume says so
                pass
    model.to("cpu")  # what follows (the blend, the GUI's use of the model) runs on the CPU
    lam = None
    if status == "completed":
        yield RunStage(run_id, "Scoring the count-based baseline (Kneser–Ney trigram) on the validation text…")
        release_free_memory()  # the training loop's freed memory, before the run's end counts (design §12)
        _baseline(db, dataset, config)
        release_free_memory()
        if saved:
            yield RunStage(run_id, "Fitting the blend of GRU and counts and scoring it on the validation text "
                                   "(a few minutes on a big corpus)…")
            lam = _fit_blend(db, run_id, path, model, dataset, config)
    yield RunFinished(run_id, status, message, best_epoch, str(path) if saved else None, lam)


def _fit_blend(db, run_id: int, path: Path, model: GRULanguageModel, dataset: Dataset, config: TrainConfig):
    """Fit and store what will suggest: the GRU blended with counts (design §11); λ, or None when it failed
    (the run stays complete and suggests with the GRU alone until the blend is fitted on first use)."""
    try:
        blend, _ = fit_and_store(db, run_id, LoadedModel(model, config, dataset.vocab, {}), dataset.corpus, path)
        return blend.weights.lam
    except Exception as exc:  # noqa: BLE001 - reported, not fatal: the run itself is complete
        log.warning("run %s suggests with the GRU alone; fitting its blend failed: %s: %s", run_id,
                    type(exc).__name__, exc)
        return None


def _save_best(db, run_id: int, path: Path, model, config: TrainConfig, dataset: Dataset, event: EpochResult) -> None:
    """Save the new best epoch's model so that the database and the file never disagree about a trained
    model: the file is staged (written and flushed beside the old one), the database records it, and only
    then does it replace the old file. A full disk or a failed database write leaves the previous best
    model and its row as they were (StorageError with the space needed)."""
    data = model_bytes(model, config, dataset.vocab, {"run_id": run_id, "epoch": event.epoch})
    with storage.translated(path, needed=len(data), what="the models folder"):
        storage.check_free_space(path.parent, len(data), margin=0)
        staged = atomic.stage(path, data)
    try:
        with storage.translated(storage.db_path(path.parents[1])):
            storage.set_best(db, run_id, epoch=event.epoch, val_loss=event.val_loss,
                             val_accuracy=event.val_accuracy, val_top3=event.val_top3,
                             val_perplexity=event.val_perplexity, model_path=str(path))
    except BaseException:
        atomic.discard(staged)
        raise
    with storage.translated(path, what="the models folder"):
        atomic.commit(staged, path)


def _reserve(model_path: Path) -> Path | None:
    """A small file set aside when the run starts, given back to the disk if it fills up so that the run's
    end (failed, with the reason) can still be recorded. Best effort: None if it cannot be written."""
    reserve = model_path.with_name(f".{model_path.stem}.reserve")
    try:
        reserve.write_bytes(bytes(RESERVE_BYTES))
    except OSError:
        reserve.unlink(missing_ok=True)
        return None
    return reserve


def _finish(db, run_id: int, steps: list, status: str, error: str | None, message: str,
            reserve: Path | None = None) -> None:
    """Record the run's end. Never raises: when the database cannot be written even after giving back the
    reserve (a full disk), the error that ended the run is the one to report; the run is then marked
    `interrupted` at the next start that can write."""
    try:
        if steps:
            storage.add_steps(db, run_id, steps)
    except Exception:  # noqa: BLE001 - losing the last second of step losses is better than losing the status
        pass
    for attempt in (1, 2):
        try:
            if status == "paused":
                storage.pause_run(db, run_id, message)
            elif status == "interrupted":
                storage.finish_run(db, run_id, "interrupted", error, stop_reason=message)
            else:
                storage.finish_run(db, run_id, status, error, stop_reason=message)
            break
        except Exception as exc:  # noqa: BLE001
            if attempt == 1 and reserve is not None and reserve.exists():
                reserve.unlink(missing_ok=True)  # room for this one row
                continue
            home = storage.db_folder(db)
            log.warning("run %s could not be marked %s: %s", run_id, status, user_message(exc, home) or exc)
    if reserve is not None:
        reserve.unlink(missing_ok=True)


def _on_cpu(model: GRULanguageModel, device: torch.device) -> GRULanguageModel:
    """The model itself when it trains on the CPU, else a CPU copy (typing suggestions run on the CPU)."""
    if device.type == "cpu":
        return model
    twin = copy.deepcopy(model).to("cpu")
    return twin


def _baseline(db, dataset: Dataset, config: TrainConfig) -> None:
    """The count-based baseline for this corpus and split (computed once, ~1 s on WikiText-2), so the runs
    table can show whether the GRU beats counting. It never fails a run that has already finished."""
    try:
        baselines.ensure_baseline(db, dataset, config)
    except Exception as exc:  # noqa: BLE001 - reported, not fatal: the run itself is complete
        log.warning("no count-based baseline for this corpus: %s: %s", type(exc).__name__, exc)


def _canary_exposure(model: GRULanguageModel, dataset: Dataset, config: TrainConfig) -> dict:
    """The canaries' exposure with the model as it is after this epoch (train --canaries; core/canaries.py)."""
    found = canary_exposures(model, dataset.vocab, config, dataset.canaries)
    return {"by_repeats": by_repeats(found), "canaries": found}
