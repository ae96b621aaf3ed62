"""One training job end to end: open a run row → train → record epochs and steps → save the best model
→ finish the run. The CLI and the GUI's worker both drive this generator, so they record runs the same way.

Nothing is written to the database before the corpus and the settings have been checked: bad input never
leaves a run behind. Once the run row exists, every way out (done, cancelled, diverged, an exception,
Ctrl-C, the consumer dropping the generator) marks it finished; only a killed process leaves it `running`,
and `storage.mark_interrupted` turns that into `interrupted` on the next start.

Here: starting a job (a new run, a resumed one, a follower process under torchrun). The loop that trains and
records is `run_driver`; the events it yields are in `run_events`; what is done with a recorded run
afterwards (load, continue, delete) in `recorded_run`, and scoring what suggests for it in `blends`. The names
callers use are re-exported here.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import torch

import storage

from ..core.checkpoint import CheckpointError, load_checkpoint
from ..core.config import TrainConfig, check_probes
from ..core.corpus import SAMPLE_CORPUS, Corpus, read_corpus
from ..core.data import Dataset, build_dataset
from ..core.devices import resolve_device
from ..core.distributed import LOCAL, Group, threads_per_process
from ..core.errors import UserError
from ..core.memory import release_free_memory
from ..core.model import GRULanguageModel
from ..core.modelfile import estimate_file_bytes
from ..core.samples import validation_prefixes
from ..core.token_cache import TokenCache
from ..core.train import TrainingDone, train
from ..core.vocab import Vocab
from .blends import evaluate_run
from .cache_folder import token_cache  # noqa: F401  (re-exported)
from .recorded_run import continue_dataset, delete_run, load_run_model, run_corpus
from .run_driver import drive
from .run_events import CheckpointSaved, ResumeError, RunFinished, RunStage, RunStarted


def prepare(paths, config: TrainConfig, progress=None, should_stop=None, group: Group = LOCAL,
            cache: TokenCache | None = None, corpus: Corpus | None = None) -> Dataset:
    """Check the settings and the device, read the corpus (the bundled sample when no path is given), build
    the dataset. With several processes, every one must have read the same text (same sha256) and there
    must be at least one segment of sentences per process. `corpus`: `paths` already read (the CLI reads
    before importing torch, so unreadable text is refused at once)."""
    config.validate()
    if not group.distributed:
        resolve_device(config.device)  # an absent device is refused before anything is read
    if corpus is None:
        read = cache.read_corpus if cache is not None else read_corpus
        corpus = read(list(paths) or [SAMPLE_CORPUS], config.tokenizer, config.lowercase, progress, should_stop)
    release_free_memory()  # reading's freed memory is not kept resident through training (design §12)
    dataset = build_dataset(corpus, config)
    release_free_memory()
    if group.distributed:
        group.same_everywhere("the corpus (sha256)", corpus.sha256)
        segments = len(dataset.train.segment_starts) - 1
        if segments < group.world:
            raise UserError(f"{group.world} processes is more than the {segments} training segments of this corpus: "
                            "use fewer processes or more text")
    return dataset


def training_device(config: TrainConfig, group: Group = LOCAL) -> torch.device:
    """Where this process trains: its own device under torchrun, else the config's; sets torch's threads."""
    if config.threads:
        torch.set_num_threads(config.threads)
    elif group.distributed:
        torch.set_num_threads(threads_per_process(int(os.environ.get("LOCAL_WORLD_SIZE", group.world))))
    return group.device if group.distributed else resolve_device(config.device)  # type: ignore[attr-defined]  # DistributedGroup


def open_store(home: str | os.PathLike | None = None, *, write: bool = True):
    """(data folder, this thread's connection to the runs database), after marking runs whose process died.
    `write=False` for work that only reads: it then also works on a read-only folder or a full disk."""
    return storage.open_store(home, write=write)


def train_run(dataset: Dataset, config: TrainConfig, *, home=None, name: str | None = None,
              stop: threading.Event | None = None, pause: threading.Event | None = None,
              parent_run_id: int | None = None, initial_state: dict | None = None, probes: list[str] | None = None,
              tags: list[str] | None = None, group: Group = LOCAL, run_token: str | None = None):
    """Yield RunStarted, then the core's StepResult/EpochResult/TrainingDone, CheckpointSaved, then RunFinished.

    `initial_state`: start from these weights (a parent run's model, to continue training it; the
    dataset must then use that model's vocabulary) instead of fresh ones. `probes`: the user's own prefixes
    whose sample suggestions are recorded every epoch, after five drawn from the validation text. `pause`:
    stop after the current batch with a checkpoint; the run is then 'paused' and `resume_run` continues it.
    `run_token`: stored on the run row, so the process that launched this one finds its run by it.
    `group`: under torchrun, this is rank 0 of the job (the only process that opens the database and
    writes the model file); the other ranks run `train_follower`.
    """
    probes = check_probes(probes or [])
    config = config.resolved(dataset.train.n_tokens)  # "auto" dropout by the size of this text
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
    if run_token:  # the launcher that started this process follows the run by it (jobs/run_follower.py)
        storage.set_run_token(db, run_id, run_token)
    if tags:
        storage.update_run(db, run_id, tags=list(tags))
    if dataset.canaries:  # train --canaries: the audit draws them again from the count and the seed
        from storage.audit import set_canaries

        from ..core.canaries import REPEATS

        set_canaries(db, run_id, len(dataset.canaries) // len(REPEATS))
    run = storage.get_run(db, run_id)
    assert run is not None  # created above
    prefixes = validation_prefixes(corpus.words, corpus.ids, corpus.starts, dataset.val_sentences, config.seed) + probes
    yield RunStarted(run_id, run["name"], str(storage.model_path(home, run_id)), dataset, config,
                     device=str(device), train_tokens=dataset.train.n_tokens, probes=probes)
    yield from drive(db, home, run_id, model, dataset, config, stop, pause, None, prefixes, device=device, group=group,
                      probes=probes)


def resume_run(run_ref, *, home=None, stop: threading.Event | None = None, pause: threading.Event | None = None,
               should_stop=None, group: Group = LOCAL):
    """Continue a paused or interrupted run as the same run id from its checkpoint, bit-exactly.

    Refused (ResumeError, before anything changes) when the checkpoint is missing, damaged or of another
    format, when the corpus files changed (sha256), when another live process is training the run, or when
    the checkpoint was taken by another number of processes than `group`'s. Yields what `train_run` yields;
    RunStarted carries the run's recorded epochs and steps for the chart. Under torchrun this is rank 0: it
    alone checks and touches the database, then shares the checkpoint's and the text's paths with the other
    processes (`resume_follower`), or None when it refused.
    """
    home, db = open_store(home)
    try:
        run_id, run, ckpt, config, probes, corpus = _resume_checks(db, home, run_ref, should_stop, group)
    except BaseException:
        if group.distributed:
            group.share(None)  # the others stop too (rank 0 says why)
        raise
    if group.distributed:
        group.share({"checkpoint": str(run.get("checkpoint_path") or storage.checkpoint_path(home, run_id)),
                     "corpus_paths": list(run["corpus_paths"]), "home": str(home)})
    yield from _resumed(db, home, run_id, run, ckpt, config, probes, corpus, stop, pause, group)


def _resume_checks(db, home, run_ref, should_stop, group: Group):

    run_id = storage.resolve_run_id(db, run_ref)
    run = storage.get_run(db, run_id)
    assert run is not None  # resolve_run_id found it
    if run["status"] == "running" and storage.is_alive(run):
        raise ResumeError(f"run {run_id} is already running (process {run.get('pid')}); it cannot be resumed twice", run_id)
    if run["status"] not in storage.RESUMABLE_STATUSES:
        raise ResumeError(f"run {run_id} is {run['status']}: only paused or interrupted runs can be resumed", run_id,
                          as_new_run=bool(run.get("model_path")))
    offer = bool(run.get("model_path"))
    new_run = " Continue it as a new run instead (its best model, a fresh optimizer)." if offer else ""
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
    if ckpt.state.world != group.world:
        how = (f"`gru-desktop runs resume {run_id}` starts {ckpt.state.world} processes" if ckpt.state.world > 1
               else f"resume it in one process: `gru-desktop runs resume {run_id}`")
        raise ResumeError(f"run {run_id} cannot be resumed in {group.world} process(es): its checkpoint holds the "
                          f"state of {ckpt.state.world} (each process trains its own lanes); {how}", run_id)
    try:
        corpus = run_corpus(run, config, should_stop, home=home)
    except UserError as exc:
        raise ResumeError(f"run {run_id} cannot be resumed: {exc}", run_id) from None
    return run_id, run, ckpt, config, probes, corpus


def _resumed(db, home, run_id, run, ckpt, config, probes, corpus, stop, pause, group: Group):

    dataset = build_dataset(corpus, config, vocab=Vocab(ckpt.vocab))
    if run.get("canaries"):  # the same canaries again (drawn from the seed), with the same vocabulary
        from ..core.canaries import make_canaries, with_canaries

        dataset = with_canaries(corpus, config, make_canaries(int(run["canaries"]), config.seed))
        if list(dataset.vocab.itos) != list(ckpt.vocab):
            raise ResumeError(f"run {run_id} cannot be resumed: its canaries no longer give its vocabulary", run_id)
    device = training_device(config, group)
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
    yield from drive(db, home, run_id, model, dataset, config, stop, pause, state, prefixes,
                      saved=bool(run.get("model_path")), device=device, probes=probes, group=group)


def _check_room(home: Path, model, dataset: Dataset) -> None:
    """StorageError now, before any work, if the models folder cannot take this run's model file: read-only,
    or too little free space for the new file beside the old one until it replaces it (plus a margin)."""
    models = storage.model_path(home, 0).parent
    storage.check_writable(models, what="the models folder")
    storage.check_free_space(models, 2 * estimate_file_bytes(model, dataset.vocab))


def train_follower(dataset: Dataset, config: TrainConfig, group: Group, stop: threading.Event | None = None,
                   pause: threading.Event | None = None, resume=None) -> str:
    """A process of rank > 0 under torchrun: the same model and schedule as rank 0, its own lanes, no
    database and no files (rank 0 writes the checkpoints, with this process's part gathered by train()).
    `pause`: a pause asked for here (Ctrl-C with --pausable); `resume`: the checkpoint's TrainState. Returns how
    training ended (the same in every process: stops and pauses are agreed)."""
    assert group.rank != 0
    config = config.resolved(dataset.train.n_tokens)  # as rank 0 resolves it
    device = training_device(config, group)
    torch.manual_seed(config.seed)
    model = GRULanguageModel.from_config(config, len(dataset.vocab), device)
    reason = "failed"
    for event in train(model, dataset.train, dataset.val, config, stop, pause=pause, resume=resume, device=device,
                       group=group):
        if isinstance(event, TrainingDone):
            reason = event.reason
    return reason


def resume_follower(group: Group, stop: threading.Event | None = None, pause: threading.Event | None = None) -> str:
    """A process of rank > 0 resuming a run with the others (`runs resume` under torchrun): what rank 0 shares
    after its checks (the checkpoint's and the text's paths) → its own part of the checkpoint, then training.
    'refused' when rank 0 refused the resume (it says why)."""
    info = group.share(None)
    if info is None:
        return "refused"
    ckpt = load_checkpoint(info["checkpoint"])
    config = TrainConfig.from_dict(ckpt.config)
    cache = token_cache(info["home"])
    corpus = cache.read_corpus(info["corpus_paths"], config.tokenizer, config.lowercase)
    dataset = build_dataset(corpus, config, vocab=Vocab(ckpt.vocab))
    return train_follower(dataset, config, group, stop, pause, resume=ckpt.state)


__all__ = ["RunStarted", "RunFinished", "RunStage", "CheckpointSaved", "ResumeError", "prepare", "open_store", "train_run", "resume_run",
           "train_follower", "training_device", "token_cache", "load_run_model", "evaluate_run",
           "continue_dataset", "delete_run", "UserError"]
