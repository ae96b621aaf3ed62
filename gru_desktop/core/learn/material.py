"""Everything Learn questions are computed from (design §15): the settings, the corpus (as a Dataset in the
vocabulary the questions use), the selected run with its epoch rows, and its model behind a Predictor.
Built by `jobs.learn.load_material`, or directly by tests. Families that need a part that is missing are
named in `unavailable` with the reason (and what to do), never guessed."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from ..config import TrainConfig
from ..data import Dataset
from ..predict import Predictor

NEEDS_CORPUS = ("padding", "vocabulary")
NEEDS_RUN = ("training",)
NEEDS_MODEL = ("behaviour",)


@dataclass(frozen=True, eq=False)
class Material:
    config: TrainConfig  # the settings the questions are about (a run's own, when a run is selected)
    dataset: Dataset | None = None  # the corpus, in the questions' vocabulary; None: no corpus
    run: dict | None = None  # the run row (storage.get_run), None: no run
    epochs: list[dict] = field(default_factory=list)  # the run's epoch rows, in order
    predictor: Predictor | None = None  # the run's model (and blend); None: no usable model
    unavailable: dict[str, str] = field(default_factory=dict)  # family → why it is left out

    def __post_init__(self) -> None:
        # The families whose material is missing, with the reason, unless the caller gave a better one.
        missing = dict(self.unavailable)
        if self.dataset is None:
            for f in NEEDS_CORPUS:
                missing.setdefault(f, "no corpus loaded: load a text (or use the bundled sample) to get these questions")
        if self.run is None or not self.epochs:
            for f in NEEDS_RUN:
                missing.setdefault(f, "no finished epochs yet: train a run to get questions about its training")
        if self.predictor is None:
            for f in NEEDS_MODEL:
                missing.setdefault(f, "no trained model: train a run to get questions about what it predicts")
        object.__setattr__(self, "unavailable", missing)

    @property
    def vocab_size(self) -> int:
        """V the questions use: the corpus's vocabulary (reserved ids counted), else the model's, else the setting."""
        if self.dataset is not None:
            return len(self.dataset.vocab)
        if self.predictor is not None:
            return len(self.predictor.vocab)
        return self.config.vocab_size

    @property
    def fingerprint(self) -> str:
        """8 hex digits naming this material in question ids: settings, V, corpus and run."""
        key = {"config": self.config.to_dict(), "V": self.vocab_size,
               "corpus": self.dataset.corpus.sha256 if self.dataset is not None else None,
               "run": self.run.get("id") if self.run else None,
               "epochs": len(self.epochs), "model": self.predictor is not None}
        return hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:8]

    def available(self, family: str) -> bool:
        return family not in self.unavailable
