"""Jobs on a recorded run, after training: load its model, continue it as a new run, read its text again,
delete it with its files. (Scoring what suggests for it is `blends.evaluate_run`.) Not to be confused with
the GUI's table model of the runs, ui/runs_model.py.
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
from ..core.token_cache import TokenCache


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
    corpus = run_corpus(run, config, should_stop, home=storage.db_folder(db))
    return loaded, config, build_dataset(corpus, config, vocab=loaded.vocab)


def run_corpus(run: dict, config: TrainConfig, should_stop=None, *, home=None):
    """The run's own text, read again from its files; UserError if it is gone or has changed. With the data
    folder `home`, read through its token cache (design §12): a big corpus the run was trained on is
    usually there already, so evaluating or resuming it skips minutes of tokenising."""
    paths = run.get("corpus_paths")
    if not paths:
        raise UserError(f"run {run['id']} does not record its corpus files")
    if home is not None:
        corpus = TokenCache(Path(home) / "cache").read_corpus(paths, config.tokenizer, config.lowercase, None,
                                                             should_stop)
    else:
        corpus = read_corpus(paths, config.tokenizer, config.lowercase, None, should_stop)
    if run.get("corpus_sha256") and corpus.sha256 != run["corpus_sha256"]:
        raise UserError(f"the text of run {run['id']} has changed since it was trained ({run['corpus']})")
    return corpus


def delete_run(db, run_id: int) -> dict:
    """Delete a run and its model file (storage refuses a live running run: RunIsRunning)."""
    row = storage.delete_run(db, run_id)
    if row.get("model_path"):
        Path(row["model_path"]).unlink(missing_ok=True)
        counts_path(row["model_path"]).unlink(missing_ok=True)
    if row.get("checkpoint_path"):
        Path(row["checkpoint_path"]).unlink(missing_ok=True)
    return row
