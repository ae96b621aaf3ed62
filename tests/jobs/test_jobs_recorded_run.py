"""jobs.recorded_run (load a recorded run's model, read its text again, continue it, delete it) and
jobs.blends.evaluate_run, directly on a tiny run trained in this process."""
from __future__ import annotations

import os

import pytest

import storage
from gru_desktop.core.counts_file import counts_path
from gru_desktop.core.errors import ModelFileError, UserError
from gru_desktop.jobs import blends, recorded_run


@pytest.fixture
def db(trained):
    database = storage.open_db(storage.db_path(trained.home))
    yield database
    database.close()


def test_load_run_model_by_id_and_latest(trained, db):
    run, loaded = recorded_run.load_run_model(db, trained.run_id)
    assert run["id"] == trained.run_id and loaded.config.hidden_size == 12
    assert recorded_run.load_run_model(db, "latest")[0]["id"] == trained.run_id
    db.execute("UPDATE runs SET model_path = NULL WHERE id = ?", [trained.run_id])
    with pytest.raises(ModelFileError, match="has no model"):
        recorded_run.load_run_model(db, trained.run_id)


def test_run_corpus_reads_the_runs_own_text_and_refuses_a_changed_one(trained, db):
    run, loaded = recorded_run.load_run_model(db, trained.run_id)
    corpus = recorded_run.run_corpus(run, loaded.config)
    assert corpus.sha256 == run["corpus_sha256"]
    trained.corpus.write_text(trained.corpus.read_text(encoding="utf-8") + "one more line.\n", encoding="utf-8")
    with pytest.raises(UserError, match="has changed since it was trained"):
        recorded_run.run_corpus(run, loaded.config)
    with pytest.raises(UserError, match="does not record its corpus files"):
        recorded_run.run_corpus({**run, "corpus_paths": None}, loaded.config)


def test_continue_dataset_keeps_the_vocabulary_and_sets_the_epochs(trained, db):
    loaded, config, dataset = recorded_run.continue_dataset(db, trained.run_id, epochs=3)
    assert (config.epochs, config.processes) == (3, 1)
    assert dataset.vocab.itos == loaded.vocab.itos  # the model's own vocabulary, not one rebuilt


def test_the_recorded_blend_weights_are_those_the_run_suggests_with(trained, db):
    run, loaded = recorded_run.load_run_model(db, trained.run_id)
    blend = blends.load_blend(run, loaded).blend  # from the counts file, as the Autocomplete page and suggest do
    assert blend is not None and run["blend_weights"] == blend.weights.to_dict()
    assert run["blend_lambda"] == blend.weights.lam


def test_evaluate_run_scores_the_stored_blend_and_records_it(trained, db):
    db.execute("UPDATE runs SET eval_perplexity = NULL, eval_top3 = NULL WHERE id = ?", [trained.run_id])
    db.conn.commit()
    report = blends.evaluate_run(db, trained.run_id)
    run = storage.get_run(db, trained.run_id)
    assert run["eval_source"] == "blend" and report.tokens > 0
    assert run["eval_perplexity"] == pytest.approx(report.perplexity) and run["eval_top3"] == pytest.approx(report.top3)


def test_delete_run_removes_the_row_and_its_files(trained, db):
    run = storage.get_run(db, trained.run_id)
    files = [run["model_path"], counts_path(run["model_path"])]
    assert all(os.path.isfile(p) for p in files)
    recorded_run.delete_run(db, trained.run_id)
    assert not any(os.path.exists(p) for p in files)
    assert storage.get_run(db, trained.run_id) is None
