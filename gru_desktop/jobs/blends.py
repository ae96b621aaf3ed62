"""The blend job: fit a run's counts and weights, score its three sources, store them (design §11).

Where core (gru_desktop.core.blend / evaluate) and storage meet for the blend, as runs.py does for training.
A run gets its blend when training ends; a run trained before blends existed gets it on first use (the
Autocomplete page, `suggest`, `evaluate`), from its own text read again and checked by sha256. `evaluate_run`
scores a recorded run's blend again on its validation text. The counts go
to `models/<run id>.counts.npz` beside the model; the weights, λ and the sources' numbers to the database.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

import storage

from ..core.blend import Blend
from ..core.corpus import Corpus, leading_part
from ..core.counts_file import counts_path, load_counts, save_counts
from ..core.data import split_sentences
from ..core.errors import ModelFileError, UserError
from ..core.evaluate import EvalReport, evaluate_parts, first_tokens, fit_blend
from ..core.memory import release_free_memory
from ..core.modelfile import LoadedModel
from .faults import user_message
from .recorded_run import load_run_model, run_corpus

# Words of a corpus the counts (and the blend's weights and numbers) are fitted and scored on: the first
# sentences up to this many. Counting takes ~60 bytes a word at its peak (measured on a generated corpus), so
# 4 M words stay within ~250 MB, while a 1 GB corpus (~220 M words) would need ~13 GB (design §12).
# WikiText-2 (2.1 M words) and smaller texts are counted whole.
COUNTS_MAX_TOKENS = 4_000_000


@dataclass
class BlendState:
    """What a run suggests with: its blend, or None with the reason (the GRU alone then suggests)."""

    blend: Blend | None
    reason: str = ""


def fit_and_store(db, run_id: int, loaded: LoadedModel, corpus: Corpus, model_path: str | Path,
                  should_stop=None) -> tuple[Blend, dict[str, EvalReport]]:
    """Fit the blend on the run's split of `corpus`, score blend/GRU/counts on its validation sentences, save
    the counts file and record the weights and numbers. `corpus` must be the run's own text."""
    blend, parts = fit_run_blend(loaded, corpus)
    store(db, run_id, blend, parts, loaded, model_path)
    return blend, parts


def fit_run_blend(loaded: LoadedModel, corpus: Corpus) -> tuple[Blend, dict[str, EvalReport]]:
    """The blend fitted on the run's split of its own text, and the three sources' validation numbers."""
    cfg, vocab = loaded.config, loaded.vocab
    part, train_s, val_s = bounded_split(corpus, cfg)
    ids = vocab.remap_table(part.words)[part.ids]
    blend = fit_blend(loaded.model, vocab, part, ids, train_s, val_s)
    release_free_memory()  # fitting's freed temporaries, before scoring makes its own (design §12)
    parts = evaluate_parts(loaded.model, vocab, cfg, part, val_s, blend=blend)
    blend.report = {k: _numbers(v) for k, v in parts.items()}
    return blend, parts


def bounded_split(corpus: Corpus, cfg) -> tuple[Corpus, np.ndarray, np.ndarray]:
    """(the text the counts are fitted and scored on, its training sentences, its validation sentences): the
    whole corpus up to COUNTS_MAX_TOKENS words, else its first sentences up to that many, with the run's own
    split (of the whole corpus) restricted to them. Identical to the whole corpus below the bound. The blend is
    fitted and scored on the first 300 k of those validation words (the state cache runs the GRU over the text
    up to the last of them)."""
    part, train_s, val_s = bounded(corpus, *split_sentences(corpus.n_sentences, cfg.val_fraction, cfg.seed))
    return part, train_s, first_tokens(val_s, part.starts)  # and of its validation, the first FIT_TOKENS words


def bounded(corpus: Corpus, train_s: np.ndarray, val_s: np.ndarray) -> tuple[Corpus, np.ndarray, np.ndarray]:
    """The corpus up to COUNTS_MAX_TOKENS words (`leading_part`) and the given sentences that lie in it."""
    part = leading_part(corpus, COUNTS_MAX_TOKENS)
    if part is not corpus:
        train_s, val_s = train_s[train_s < part.n_sentences], val_s[val_s < part.n_sentences]
    return part, train_s, val_s


def store(db, run_id: int, blend: Blend, parts: dict[str, EvalReport], loaded: LoadedModel,
          model_path: str | Path) -> None:
    """The counts file beside the model (atomically), then the weights and numbers in the database."""
    save_counts(counts_path(model_path), blend.counts, blend.weights, loaded.vocab, blend.report, blend.theta)
    record(db, run_id, blend, parts)


def record(db, run_id: int, blend: Blend | None, parts: dict[str, EvalReport]) -> None:
    """Store what suggests for the run and the sources' numbers on its validation text."""
    main = parts["blend"] if blend is not None else parts["gru"]
    storage.set_blend(db, run_id, blend.weights.to_dict() if blend else None, blend.weights.lam if blend else None)
    storage.set_evaluation(db, run_id, perplexity=main.perplexity, top1=main.top1, top3=main.top3,
                           keystroke_savings=main.keystroke_savings, tokens=main.tokens,
                           source="blend" if blend is not None else "gru",
                           gru=_numbers(parts["gru"]) if "gru" in parts else None,
                           counts=_numbers(parts["counts"]) if "counts" in parts else None)


def load_blend(run: dict, loaded: LoadedModel) -> BlendState:
    """The run's stored blend, or None and why (no counts file yet, or one we refuse)."""
    path = run.get("model_path")
    if not path:
        return BlendState(None, "the run has no model")
    cpath = counts_path(path)
    if not cpath.is_file():
        return BlendState(None, "no counts stored with this run yet")
    try:
        return BlendState(load_counts(cpath, loaded.vocab))
    except ModelFileError as exc:
        return BlendState(None, f"its counts file is unusable: {exc}")


def ensure_blend(db, run: dict, loaded: LoadedModel, should_stop=None) -> BlendState:
    """The run's blend, fitted now from its own text if it has none yet (runs trained before blends). When
    that cannot be done (text gone or changed, counts file damaged) the reason comes back, not an error."""
    state = load_blend(run, loaded)
    if state.blend is not None or not run.get("model_path"):
        return state
    if Path(counts_path(run["model_path"])).is_file():
        return state  # a damaged file is reported, never silently replaced
    try:
        corpus = run_corpus(run, loaded.config, should_stop, home=storage.db_folder(db))
        blend, parts = fit_run_blend(loaded, corpus)
    except (UserError, OSError, ValueError) as exc:
        return BlendState(None, f"counts could not be fitted: {str(exc).splitlines()[0]}")
    try:
        store(db, run["id"], blend, parts, loaded, run["model_path"])
    except Exception as exc:  # noqa: BLE001 - a read-only folder or a full disk: use it, just not stored
        message = user_message(exc)
        if message is None:
            raise
        return BlendState(blend, f"fitted for this session only ({message})")
    return BlendState(blend)


def evaluate_run(db, run_id: int, should_stop=None):
    """Score what suggests for the run — its blend (fitted now if it has none yet), else the GRU — on its own
    validation sentences (perplexity, top-1, top-3, keystroke savings), with the GRU's and the counts' numbers
    on the same positions, and store them with the run. The corpus is read again from the run's files and
    must be the text the run was trained on (same sha256), or the split would differ."""
    run, loaded = load_run_model(db, run_id)
    cfg = loaded.config
    corpus = run_corpus(run, cfg, should_stop, home=storage.db_folder(db))
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


def _numbers(r: EvalReport) -> dict:
    return {"perplexity": _num(r.perplexity), "top1": r.top1, "top3": r.top3,
            "keystroke_savings": r.keystroke_savings, "tokens": r.tokens}


def _num(x: float):
    return None if not np.isfinite(x) else float(x)
