"""A run's text read again after training (evaluate, the blend fitted on first use, resume, continue) goes
through the data folder's token cache (design §12), so a big corpus is not tokenised again."""
from __future__ import annotations

import pytest
import torch

from gru_desktop.core import token_cache
from gru_desktop.core.config import TrainConfig
from gru_desktop.jobs import runs

torch.set_num_threads(1)
CFG = TrainConfig(seq_len=4, embed_dim=8, hidden_size=12, batch_size=8, epochs=1, patience=0, threads=1, device="cpu")


def test_evaluate_reads_the_runs_text_through_the_token_cache(tmp_path, monkeypatch):
    text = tmp_path / "t.txt"
    text.write_text("the cat sat on the mat.\nmy dog ran to the car park.\n" * 30, encoding="utf-8")
    home = tmp_path / "home"
    dataset = runs.prepare([text], CFG)  # read without the cache: the folder has no entry yet
    done = list(runs.train_run(dataset, CFG, home=home))
    run_id = done[-1].run_id
    assert not (home / "cache").exists() or not any((home / "cache").iterdir())
    _, db = runs.open_store(home)
    first = runs.evaluate_run(db, run_id)
    assert [p.name for p in (home / "cache").iterdir()]  # the text was read through the cache, which kept it

    def tokenise_again(*args, **kwargs):
        raise AssertionError("the corpus was tokenised again")

    monkeypatch.setattr(token_cache, "read_corpus", tokenise_again)
    second = runs.evaluate_run(db, run_id)  # from the cache entry
    assert second.perplexity == pytest.approx(first.perplexity)


def test_ngram_export_and_learn_read_the_runs_text_through_the_token_cache(tmp_path, monkeypatch):
    from gru_desktop.jobs import learn, ngram_exports

    text = tmp_path / "t.txt"
    text.write_text("the cat sat on the mat.\nmy dog ran to the car park.\n" * 30, encoding="utf-8")
    home = tmp_path / "home"
    done = list(runs.train_run(runs.prepare([text], CFG, cache=runs.token_cache(home)), CFG, home=home))
    run_id = done[-1].run_id
    assert [p.name for p in (home / "cache").iterdir()]  # training filled the cache

    def tokenise_again(*args, **kwargs):
        raise AssertionError("the corpus was tokenised again")

    monkeypatch.setattr(token_cache, "read_corpus", tokenise_again)
    from gru_desktop.jobs import recorded_run

    monkeypatch.setattr(recorded_run, "read_corpus", tokenise_again)  # no way around the cache either
    _, db = runs.open_store(home)
    _, _, kn = ngram_exports.counts_for(db, run_id, "gru", sample_words=1_000)
    assert kn.train_tokens > 0
    material = learn.load_material(db, run_id, home=home)
    assert material.dataset is not None and material.dataset.corpus.n_tokens == done[0].dataset.corpus.n_tokens
