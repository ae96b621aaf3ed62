"""The material Learn questions are computed from (design §15): the selected run (the latest completed one by
default) with its epoch rows and its model, the corpus (the given one, else the run's own text read again,
else the bundled sample) and the settings (the given ones, else the run's, else the defaults). Whatever part
cannot be had leaves its families out with the reason — a missing or damaged model file costs the behaviour
questions, never the quiz."""
from __future__ import annotations

import os

import storage

from ..core.config import TrainConfig
from ..core.corpus import SAMPLE_CORPUS, Corpus, read_corpus
from ..core.data import build_dataset
from ..core.errors import UserError
from ..core.learn import Material
from ..core.learn.material import NEEDS_CORPUS
from ..core.modelfile import LoadedModel
from ..core.predict import Predictor
from .blends import load_blend
from .recorded_run import load_run_model, run_corpus


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def find_run(db, run_ref=None) -> dict | None:
    """The run asked for (storage.RunNotFound when there is none such), or with no reference the latest
    completed run with a model, or None when there is none yet."""
    if run_ref is None:
        try:
            run_id = storage.resolve_run_id(db, "latest", completed_only=True)
        except storage.RunNotFound:
            return None
    else:
        run_id = storage.resolve_run_id(db, run_ref, completed_only=str(run_ref).strip().lower() == "latest")
    return storage.get_run(db, run_id)


def load_material(db, run_ref=None, *, corpus: Corpus | None = None, config: TrainConfig | None = None,
                  home: str | os.PathLike | None = None) -> Material:
    """Material for `build_questions`. `run_ref`: a run id or "latest" (an unknown one raises
    storage.RunNotFound); None: the latest completed run if there is one. `corpus`/`config`: the current text
    and settings (the GUI's); by default the run's own, else the bundled sample and the defaults."""
    run = find_run(db, run_ref)
    unavailable: dict[str, str] = {}
    loaded: LoadedModel | None = None
    epochs: list[dict] = []
    if run is not None:
        epochs = storage.get_epochs(db, run["id"])
        try:
            _, loaded = load_run_model(db, run["id"], home)
        except (UserError, OSError) as exc:
            unavailable["behaviour"] = f"run {run['id']}'s model cannot be used: {_first_line(exc)}"
    if config is None:
        if loaded is not None:
            config = loaded.config
        elif run is not None and run.get("config"):
            config = TrainConfig.from_dict(run["config"])
        else:
            config = TrainConfig()
    dataset = None
    own_text = corpus is None and run is not None
    try:
        if corpus is None:
            corpus = run_corpus(run, config, home=storage.db_folder(db)) if run is not None else read_corpus([SAMPLE_CORPUS], config.tokenizer,
                                                                                config.lowercase)
        # The run's own text in the model's vocabulary, so its prefixes and ids are the model's; other text in
        # the vocabulary its settings build.
        dataset = build_dataset(corpus, config, vocab=loaded.vocab if own_text and loaded is not None else None)
    except (UserError, OSError) as exc:
        why = f"{_first_line(exc)}: load a text to get these questions"
        for family in (*NEEDS_CORPUS, "behaviour"):
            unavailable.setdefault(family, why)
    predictor = None
    if loaded is not None and run is not None:  # a model is only ever loaded from a run
        state = load_blend(run, loaded)
        predictor = Predictor(loaded.model, loaded.vocab, loaded.config, state.blend)
    return Material(config=config, dataset=dataset, run=run, epochs=epochs, predictor=predictor,
                    unavailable=unavailable)
