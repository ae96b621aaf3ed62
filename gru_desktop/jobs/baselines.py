"""The baseline job: a count-based predictor for a run's corpus and split, computed once and stored.

This is where core (gru_desktop.core.ngram) and storage (storage.baselines) meet for baselines, as
jobs/runs.py is for training. A baseline is keyed by the corpus's sha256 and by `split_key(config)`,
everything that changes the training/validation split or the vocabulary, so runs that differ only in model
size or optimisation share one baseline row; the runs table shows it as a row of its own kind.
"""
from __future__ import annotations

import json
from typing import Any

import storage

from ..core.config import TrainConfig
from ..core.data import Dataset
from ..core.ngram import KneserNeyTrigram, UnigramModel
from .blends import bounded

# kind → model class; each has fit(ids, starts, sentences, vocab_size) and score(...) -> NgramReport.
KINDS: dict[str, Any] = {"kn3": KneserNeyTrigram, "unigram": UnigramModel}  # each: .fit(...) then .score(...)
KIND_NAMES = {"kn3": "Kneser–Ney trigram", "unigram": "unigram (add-one)"}


def split_key(config: TrainConfig) -> str:
    """JSON of the settings that decide the split and the vocabulary (sorted keys, so it is stable)."""
    keys = ("tokenizer", "lowercase", "vocab_size", "min_count", "val_fraction", "seed")
    return json.dumps({k: getattr(config, k) for k in keys}, sort_keys=True, separators=(",", ":"))


def ensure_baseline(db, dataset: Dataset, config: TrainConfig, kind: str = "kn3") -> dict:
    """The stored baseline row for this corpus and split; fitted on the training sentences, scored on the
    validation sentences and saved first if there is none. `seconds` is fit plus scoring time."""
    if kind not in KINDS:
        raise ValueError(f"baseline kind must be one of {', '.join(KINDS)}, not {kind!r}")
    corpus = dataset.corpus
    key = split_key(config)
    row = storage.get_baseline(db, kind, corpus.sha256, key)
    if row is not None:
        return row
    # Fitted and scored on the text the run's counts use (its first blends.COUNTS_MAX_TOKENS words, design §12); the
    # row records how many words it was fitted and scored on.
    _, train_s, val_s = bounded(corpus, dataset.train_sentences, dataset.val_sentences)
    model = KINDS[kind]().fit(dataset.ids, corpus.starts, train_s, len(dataset.vocab))
    report = model.score(dataset.ids, corpus.starts, val_s)
    storage.save_baseline(
        db, kind=kind, corpus=corpus.description, corpus_sha256=corpus.sha256, split_key=key,
        perplexity=report.perplexity, top1=report.top1, top3=report.top3, tokens=report.tokens,
        train_tokens=report.train_tokens, seconds=report.fit_seconds + report.seconds,
    )
    stored = storage.get_baseline(db, kind, corpus.sha256, key)
    assert stored is not None  # saved just above
    return stored
