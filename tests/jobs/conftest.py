"""Shared by the jobs tests: a tiny corpus and one tiny run trained in this process (a second or two)."""
from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

from jobs_helpers import TEXT, TINY


@dataclass
class Trained:
    home: Path
    corpus: Path
    run_id: int


@pytest.fixture(scope="session")
def trained_template(tmp_path_factory) -> Trained:
    """One run of TINY on TEXT, trained once per session through the runs job (blend and baseline included)."""
    from gru_desktop.jobs import runs

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("jobs")
    corpus = root / "text.txt"
    corpus.write_text(TEXT, encoding="utf-8")
    dataset = runs.prepare([corpus], TINY)
    events = list(runs.train_run(dataset, TINY, home=root / "home", name="tiny"))
    assert events[-1].status == "completed", events[-1]
    return Trained(root / "home", corpus, events[-1].run_id)


@pytest.fixture
def trained(trained_template, tmp_path) -> Trained:
    """A copy of the trained run's data folder and text for one test (which may change or delete them)."""
    home, corpus = tmp_path / "home", tmp_path / "text.txt"
    shutil.copytree(trained_template.home, home)
    shutil.copy(trained_template.corpus, corpus)
    import storage

    db = storage.open_db(storage.db_path(home))
    db.execute("UPDATE runs SET corpus_paths = ?", [json.dumps([str(corpus)])])  # the copy's own text
    db.conn.commit()
    db.close()
    return Trained(home, corpus, trained_template.run_id)
