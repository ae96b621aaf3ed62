"""One training job end to end: open a run row → train → record epochs and steps → save the best model
→ finish the run. The CLI and the GUI's worker both drive this generator, so they record runs the same way.

Nothing is written to the database before the corpus and the settings have been checked: bad input never
leaves a run behind. Once the run row exists, every way out (done, cancelled, diverged, an exception,
Ctrl-C, the consumer dropping the generator) marks it finished; only a killed process leaves it `running`,
and `storage.mark_interrupted` turns that into `interrupted` on the next start.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

import storage

from ..core import atomic
from ..core.config import TrainConfig
from ..core.corpus import SAMPLE_CORPUS, read_corpus
from ..core.counts_file import counts_path
from ..core.data import Dataset, build_dataset
from ..core.devices import resolve_device
from ..core.distributed import LOCAL, Group, threads_per_process
from ..core.errors import ModelFileError, UserError
from ..core.model import GRULanguageModel
from ..core.modelfile import LoadedModel, estimate_file_bytes, load_model, model_bytes
from ..core.samples import check_probes, epoch_samples, validation_prefixes
from ..core.token_cache import DEFAULT_LIMIT_BYTES, TokenCache
from ..core.train import EpochResult, Snapshot, StepResult, TrainingDone, train
from .faults import user_message

log = logging.getLogger(__name__)
STEP_FLUSH_SECONDS = 1.0
RESERVE_BYTES = 1_000_000  # set aside per training run, so a full disk still lets the run be marked failed
_STATUS = {"completed": "completed", "early_stop": "completed", "time_limit": "completed",
           "cancelled": "cancelled", "diverged": "failed", "paused": "paused"}


@dataclass
class RunStarted:
    run_id: int
    name: str
    model_path: str
    dataset: Dataset
    config: TrainConfig
    resumed: str = ""  # "epoch 3, batch 12" when this continues a paused or interrupted run
    history: dict | None = field(default=None, repr=False)  # a resumed run's recorded {"epochs", "steps"}
    device: str = "cpu"  # where it trains: 'cpu', 'cuda:0', 'mps'
    train_tokens: int = 0
    probes: list[str] = field(default_factory=list)  # the user's sample prefixes (a resumed run's from its checkpoint)


@dataclass
class RunFinished:
    run_id: int
    status: str  # completed | cancelled | failed | paused
    message: str
    best_epoch: int
    model_path: str | None  # None when no epoch finished
    blend_lambda: float | None = None  # the fitted blend's λ, None when the GRU alone suggests


@dataclass
class RunStage:
    """What a run is doing after its last epoch, before RunFinished (it can take minutes on a big corpus)."""

    run_id: int
    text: str  # "Fitting the blend of GRU and counts…"


@dataclass
class CheckpointSaved:
    run_id: int
    path: str | None  # None when writing it failed (the previous checkpoint, if any, is still there)
    where: str  # "epoch 3, batch 12"
    reason: str  # periodic | pause
    error: str = ""


class ResumeError(UserError):
    """A run that cannot be resumed as itself; `as_new_run` says whether continuing it as a new run can work."""

    def __init__(self, message: str, run_id: int, as_new_run: bool = False):
        super().__init__(message)
        self.run_id, self.as_new_run = run_id, as_new_run


def prepare(paths, config: TrainConfig, progress=None, should_stop=None, group: Group = LOCAL,
            cache: TokenCache | None = None) -> Dataset:
    """Check the settings and the device, read the corpus (the bundled sample when no path is given), build
    the dataset. With several processes, every one must have read the same text (same sha256) and there
    must be at least one segment of sentences per process."""
    config.validate()
    if not group.distributed:
        resolve_device(config.device)  # an absent device is refused before anything is read
    read = cache.read_corpus if cache is not None else read_corpus
    corpus = read(list(paths) or [SAMPLE_CORPUS], config.tokenizer, config.lowercase, progress, should_stop)
    dataset = build_dataset(corpus, config)
    if group.distributed:
        group.same_everywhere("the corpus (sha256)", corpus.sha256)
        segments = len(dataset.train.segment_starts) - 1
        if segments < group.world:
            raise UserError(f"{group.world} processes is more than the {segments} training segments of this corpus: "
                            "use fewer processes or more text")
    return dataset


def token_cache(home=None, limit_mb: float | None = None) -> TokenCache:
    """The data folder's token cache (`cache/`), bounded to `limit_mb` megabytes (default 4 GB; 0 = off)."""
    folder = storage.ensure_data_dir(Path(home) if home else None) / "cache"
    limit = DEFAULT_LIMIT_BYTES if limit_mb is None else int(limit_mb * 1_000_000)
    return TokenCache(folder, limit)


def training_device(config: TrainConfig, group: Group = LOCAL) -> torch.device:
    """Where this process trains: its own device under torchrun, else the config's; sets torch's threads."""
    if config.threads:
        torch.set_num_threads(config.threads)
    elif group.distributed:
        torch.set_num_threads(threads_per_process(int(os.environ.get("LOCAL_WORLD_SIZE", group.world))))
    return group.device if group.distributed else resolve_device(config.device)


def open_store(home: str | os.PathLike | None = None, *, write: bool = True):
    """(data folder, this thread's connection to the runs database), after marking runs whose process died.
    `write=False` for work that only reads: it then also works on a read-only folder or a full disk."""
    return storage.open_store(home, write=write)


def train_run(dataset: Dataset, config: TrainConfig, *, home=None, name: str | None = None,
              stop: threading.Event | None = None, pause: threading.Event | None = None,
              parent_run_id: int | None = None, initial_state: dict | None = None, probes: list[str] | None = None,
              tags: list[str] | None = None, group: Group = LOCAL):
    """Yield RunStarted, then the core's StepResult/EpochResult/TrainingDone, CheckpointSaved, then RunFinished.

    `initial_state`: start from these weights (a parent run's model, to continue training it; the
    dataset must then use that model's vocabulary) instead of fresh ones. `probes`: the user's own prefixes
    whose sample suggestions are recorded every epoch, after five drawn from the validation text. `pause`:
    stop after the current batch with a checkpoint; the run is then 'paused' and `resume_run` continues it.
    `group`: under torchrun, this is rank 0 of the job (the only process that opens the database and
    writes the model file); the other ranks run `train_follower`.
    """
    probes = check_probes(probes or [])
    config = _for_processes(config.resolved(dataset.train.n_tokens), group)  # "auto" dropout by the size of this text
    device = training_device(config, group)
    home, db = open_store(home)
    torch.manual_seed(config.seed)  # the same seed gives the same initial weights, in every process
    model = GRULanguageModel.from_config(config, len(dataset.vocab), device)
    if initial_state is not None:
        model.load_state_dict(initial_state)
    _check_room(home, model, dataset)  # before the run row: a read-only or full disk costs no epoch
    corpus = dataset.corpus
    run_id = storage.create_run(
        db, name=name, config=config.to_dict(), corpus=corpus.description, corpus_sha256=corpus.sha256,
        vocab_size=len(dataset.vocab), epochs_planned=config.epochs,
        train_tokens=dataset.train.n_tokens, val_tokens=dataset.val.n_tokens, parent_run_id=parent_run_id,
        corpus_paths=[f.path for f in corpus.files], device=str(device), processes=group.world,
    )
    if tags:
        storage.update_run(db, run_id, tags=list(tags))
    run = storage.get_run(db, run_id)
    prefixes = validation_prefixes(corpus.words, corpus.ids, corpus.starts, dataset.val_sentences, config.seed) + probes
    yield RunStarted(run_id, run["name"], str(storage.model_path(home, run_id)), dataset, config,
                     device=str(device), train_tokens=dataset.train.n_tokens, probes=probes)
    yield from _drive(db, home, run_id, model, dataset, config, stop, pause, None, prefixes, device=device, group=group,
                      probes=probes)


def resume_run(run_ref, *, home=None, stop: threading.Event | None = None, pause: threading.Event | None = None,
               should_stop=None):
    """Continue a paused or interrupted run as the same run id from its checkpoint, bit-exactly.

    Refused (ResumeError, before anything changes) when the checkpoint is missing, damaged or of another
    format, when the corpus files changed (sha256), or when another live process is training the run.
    Yields what `train_run` yields; RunStarted carries the run's recorded epochs and steps for the chart.
    """
    from ..core.checkpoint import CheckpointError, load_checkpoint
    from ..core.vocab import Vocab

    home, db = open_store(home)
    run_id = storage.resolve_run_id(db, run_ref)
    run = storage.get_run(db, run_id)
    if run["status"] == "running" and storage.is_alive(run):
        raise ResumeError(f"run {run_id} is already running (process {run.get('pid')}); it cannot be resumed twice", run_id)
    if run["status"] not in storage.RESUMABLE_STATUSES:
        raise ResumeError(f"run {run_id} is {run['status']}: only paused or interrupted runs can be resumed", run_id,
                          as_new_run=bool(run.get("model_path")))
    offer = bool(run.get("model_path"))
    new_run = " Continue it as a new run instead (its best model, a fresh optimizer)." if offer else ""
    if (run.get("processes") or 1) > 1 and not run.get("checkpoint_path"):
        raise ResumeError(f"run {run_id} cannot be resumed: it trained in {run['processes']} processes, which write "
                          f"no checkpoints.{new_run}", run_id, as_new_run=offer)
    try:
        ckpt = load_checkpoint(run.get("checkpoint_path") or storage.checkpoint_path(home, run_id))
        if ckpt.run_id != run_id:
            raise CheckpointError(f"its checkpoint belongs to run {ckpt.run_id}")
        config = TrainConfig.from_dict(ckpt.config).validate()
        probes = check_probes(ckpt.probes)
    except (CheckpointError, UserError) as exc:
        raise ResumeError(f"run {run_id} cannot be resumed: {exc}.{new_run}", run_id, as_new_run=offer) from None
    if ckpt.corpus_sha256 != run.get("corpus_sha256"):
        raise ResumeError(f"run {run_id} cannot be resumed: its checkpoint is of other text than the run", run_id)
    try:
        corpus = run_corpus(run, config, should_stop)
    except UserError as exc:
        raise ResumeError(f"run {run_id} cannot be resumed: {exc}", run_id) from None
    dataset = build_dataset(corpus, config, vocab=Vocab(ckpt.vocab))
    device = training_device(config)
    model = GRULanguageModel.from_config(config, len(dataset.vocab), device)
    state = ckpt.state
    storage.claim_for_resume(db, run_id)  # RunIsRunning if another process got here first
    # What was recorded after the checkpoint is trained again (identically): drop it so nothing doubles.
    storage.truncate_run(db, run_id, epochs_kept=state.loop.epoch - 1, steps_kept=state.loop.step)
    history = {"epochs": storage.get_epochs(db, run_id), "steps": storage.get_steps(db, run_id)}
    where = f"epoch {state.loop.epoch}, batch {state.loop.batches_done}"
    # The samples' prefixes: the same five from the validation text, then the user's probes (in the checkpoint).
    prefixes = validation_prefixes(corpus.words, corpus.ids, corpus.starts, dataset.val_sentences, config.seed) + probes
    yield RunStarted(run_id, run["name"], str(storage.model_path(home, run_id)), dataset, config, where, history,
                     device=str(device), train_tokens=dataset.train.n_tokens, probes=probes)
    yield from _drive(db, home, run_id, model, dataset, config, stop, pause, state, prefixes,
                      saved=bool(run.get("model_path")), device=device, probes=probes)


def _drive(db, home, run_id: int, model, dataset: Dataset, config: TrainConfig, stop, pause, resume, prefixes,
           saved=False, device: torch.device | None = None, group: Group = LOCAL, probes: list[str] = ()):
    """Train and record: steps, epochs (with the system monitor), best models, checkpoints; then finish."""
    from ..core.checkpoint import save_checkpoint
    from .sysmon import SystemMonitor

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
        # Several processes neither pause nor checkpoint (a checkpoint would hold rank 0's lanes only).
        for event in train(model, dataset.train, dataset.val, config, stop, pause=None if group.distributed else pause,
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
                    save_checkpoint(ckpt_path, event.state, run_id=run_id, config=config.to_dict(),
                                    vocab=list(dataset.vocab.itos), corpus_sha256=dataset.corpus.sha256, probes=probes)
                    storage.set_checkpoint(db, run_id, ckpt_path)
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
                storage.add_epoch(db, run_id, {**event.metrics(), **event.system})
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
        raise
    finally:
        _finish(db, run_id, steps, status, error, message, reserve)
        if status != "paused" and have_checkpoint:  # a finished run is not resumed: its checkpoint only takes space
            ckpt_path.unlink(missing_ok=True)
            try:
                storage.set_checkpoint(db, run_id, None)
            except Exception:  # noqa: BLE001 - a full disk: the path then points at nothing, resume says so
                pass
    model.to("cpu")  # what follows (the blend, the GUI's use of the model) runs on the CPU
    lam = None
    if status == "completed":
        yield RunStage(run_id, "Scoring the count-based baseline (Kneser–Ney trigram) on the validation text…")
        _baseline(db, dataset, config)
        if saved:
            yield RunStage(run_id, "Fitting the blend of GRU and counts and scoring it on the validation text "
                                   "(a few minutes on a big corpus)…")
            lam = _fit_blend(db, run_id, path, model, dataset, config)
    yield RunFinished(run_id, status, message, best_epoch, str(path) if saved else None, lam)


def _fit_blend(db, run_id: int, path: Path, model: GRULanguageModel, dataset: Dataset, config: TrainConfig):
    """Fit and store what will suggest: the GRU blended with counts (design §11); λ, or None when it failed
    (the run stays complete and suggests with the GRU alone until the blend is fitted on first use)."""
    from .blends import fit_and_store

    try:
        blend, _ = fit_and_store(db, run_id, LoadedModel(model, config, dataset.vocab, {}), dataset.corpus, path)
        return blend.weights.lam
    except Exception as exc:  # noqa: BLE001 - reported, not fatal: the run itself is complete
        log.warning("run %s suggests with the GRU alone; fitting its blend failed: %s: %s", run_id,
                    type(exc).__name__, exc)
        return None


def _check_room(home: Path, model, dataset: Dataset) -> None:
    """StorageError now, before any work, if the models folder cannot take this run's model file: read-only,
    or too little free space for the new file beside the old one until it replaces it (plus a margin)."""
    models = storage.model_path(home, 0).parent
    storage.check_writable(models, what="the models folder")
    storage.check_free_space(models, 2 * estimate_file_bytes(model, dataset.vocab))


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
    import copy

    twin = copy.deepcopy(model).to("cpu")
    return twin


def _for_processes(config: TrainConfig, group: Group) -> TrainConfig:
    """Several processes write no checkpoints: one would hold only rank 0's lanes, and resuming is one process."""
    return config.replace(checkpoint_minutes=0.0) if group.distributed else config


def train_follower(dataset: Dataset, config: TrainConfig, group: Group, stop: threading.Event | None = None) -> str:
    """A process of rank > 0 under torchrun: the same model and schedule as rank 0, its own lanes, no
    database and no files. Returns how training ended (the same in every process: stops are agreed)."""
    assert group.rank != 0
    config = _for_processes(config.resolved(dataset.train.n_tokens), group)  # as rank 0 resolves it
    device = training_device(config, group)
    torch.manual_seed(config.seed)
    model = GRULanguageModel.from_config(config, len(dataset.vocab), device)
    reason = "failed"
    for event in train(model, dataset.train, dataset.val, config, stop, device=device, group=group):
        if isinstance(event, TrainingDone):
            reason = event.reason
    return reason


def _baseline(db, dataset: Dataset, config: TrainConfig) -> None:
    """The count-based baseline for this corpus and split (computed once, ~1 s on WikiText-2), so the runs
    table can show whether the GRU beats counting. It never fails a run that has already finished."""
    from .baselines import ensure_baseline

    try:
        ensure_baseline(db, dataset, config)
    except Exception as exc:  # noqa: BLE001 - reported, not fatal: the run itself is complete
        log.warning("no count-based baseline for this corpus: %s: %s", type(exc).__name__, exc)


def load_run_model(db, run_ref, home=None) -> tuple[dict, LoadedModel]:
    """The run (by id or "latest" usable run) and its loaded model; UserError when it has none."""
    run_id = storage.resolve_run_id(db, run_ref, completed_only=str(run_ref) == "latest")
    run = storage.get_run(db, run_id)
    if not run.get("model_path"):
        raise ModelFileError(f"run {run_id} has no model: it stopped before its first epoch finished")
    return run, load_model(run["model_path"])


def continue_dataset(db, run_id: int, epochs: int, should_stop=None):
    """What continuing a run needs: its loaded model, its config with `epochs` more epochs, and the dataset
    of its own corpus (read again from its files, checked by sha256) in the model's vocabulary."""
    run, loaded = load_run_model(db, run_id)
    config = loaded.config.replace(epochs=epochs, processes=1).validate()
    corpus = run_corpus(run, config, should_stop)
    return loaded, config, build_dataset(corpus, config, vocab=loaded.vocab)


def run_corpus(run: dict, config: TrainConfig, should_stop=None):
    """The run's own text, read again from its files; UserError if it is gone or has changed."""
    paths = run.get("corpus_paths")
    if not paths:
        raise UserError(f"run {run['id']} does not record its corpus files")
    corpus = read_corpus(paths, config.tokenizer, config.lowercase, None, should_stop)
    if run.get("corpus_sha256") and corpus.sha256 != run["corpus_sha256"]:
        raise UserError(f"the text of run {run['id']} has changed since it was trained ({run['corpus']})")
    return corpus


def evaluate_run(db, run_id: int, should_stop=None):
    """Score what suggests for the run — its blend (fitted now if it has none yet), else the GRU — on its own
    validation sentences (perplexity, top-1, top-3, keystroke savings), with the GRU's and the counts' numbers
    on the same positions, and store them with the run. The corpus is read again from the run's files and
    must be the text the run was trained on (same sha256), or the split would differ."""
    from ..core.evaluate import evaluate_parts
    from .blends import bounded_split, fit_and_store, load_blend, record

    run, loaded = load_run_model(db, run_id)
    cfg = loaded.config
    corpus = run_corpus(run, cfg, should_stop)
    state = load_blend(run, loaded)
    if state.blend is None and not counts_path(run["model_path"]).is_file():
        _, parts = fit_and_store(db, run_id, loaded, corpus, run["model_path"], should_stop)
        return parts["blend"]
    part, _, val = bounded_split(corpus, cfg)  # the validation text the blend was scored on when it was fitted
    parts = evaluate_parts(loaded.model, loaded.vocab, cfg, part, val, blend=state.blend)
    try:
        record(db, run_id, state.blend, parts)
    except Exception as exc:  # noqa: BLE001 - a read-only folder or a full disk: the numbers, just not stored
        if user_message(exc) is None:
            raise
    return parts["blend" if state.blend is not None else "gru"]


def delete_run(db, run_id: int) -> dict:
    """Delete a run and its model file (storage refuses a live running run: RunIsRunning)."""
    row = storage.delete_run(db, run_id)
    if row.get("model_path"):
        Path(row["model_path"]).unlink(missing_ok=True)
        counts_path(row["model_path"]).unlink(missing_ok=True)
    if row.get("checkpoint_path"):
        Path(row["checkpoint_path"]).unlink(missing_ok=True)
    return row


__all__ = ["RunStarted", "RunFinished", "CheckpointSaved", "ResumeError", "prepare", "open_store", "train_run", "resume_run",
           "train_follower", "training_device", "token_cache", "load_run_model", "evaluate_run",
           "continue_dataset", "delete_run", "UserError"]
