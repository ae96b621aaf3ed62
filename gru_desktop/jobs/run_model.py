"""A recorded run's model and text, for what comes after training: load its model, continue it as a new run,
read its corpus again, evaluate what suggests for it, delete it with its files.
"""
from __future__ import annotations

from pathlib import Path

import storage

from ..core.config import TrainConfig
from ..core.corpus import read_corpus
from ..core.counts_file import counts_path
from ..core.data import build_dataset
from ..core.errors import ModelFileError, UserError
from ..core.modelfile import LoadedModel, load_model
from .faults import user_message


def load_run_model(db, run_ref, home=None) -> tuple[dict, LoadedModel]:
    """The run (by id or "latest" usable run) and its loaded model; UserError when it has none."""
    run_id = storage.resolve_run_id(db, run_ref, completed_only=str(run_ref) == "latest")
    run = storage.get_run(db, run_id)
    assert run is not None  # resolve_run_id found it
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
