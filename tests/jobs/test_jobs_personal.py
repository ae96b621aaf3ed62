"""Learning as you type through the data folder: learned rows are stored, forgotten ones deleted, and nothing
is stored while learning is paused (design §17)."""
from __future__ import annotations

import pytest

import storage
from gru_desktop.jobs import personal


def test_learn_store_reload_forget(tmp_path):
    db = storage.open_db(tmp_path / "runs.db")
    counts, warning = personal.load(db)
    assert warning is None and not counts.rows
    keys = []
    for _ in range(3):
        keys += counts.learn(["thank"], "you")
    personal.write(db, personal.snapshot(counts, keys))
    again, _ = personal.load(storage.open_db(tmp_path / "runs.db"))
    assert set(again.rows) == set(counts.rows)
    for key in counts.rows:
        assert again.rows[key].seen == counts.rows[key].seen
        assert again.rows[key].inflated * again.decay_scale() == pytest.approx(counts.rows[key].inflated * counts.decay_scale())
    gone = again.forget(("you",))
    personal.write(db, personal.snapshot(again, gone))
    third, _ = personal.load(db)
    assert all("you" not in k for k in third.rows) and ("thank",) not in third.rows  # "thank" was only context


def test_nothing_stored_while_paused(tmp_path):
    db = storage.open_db(tmp_path / "runs.db")
    counts, _ = personal.load(db)
    personal.set_paused(db, True)
    counts, _ = personal.load(db)
    assert counts.paused
    changes = personal.snapshot(counts, counts.learn(["my", "pin", "is"], "4711"))
    assert not changes
    personal.write(db, changes)
    assert db.execute("SELECT count(*) FROM personal_ngrams").fetchone()[0] == 0


def test_weight_state_round_trip(tmp_path):
    from gru_desktop.core.adapt_weight import Observation

    db = storage.open_db(tmp_path / "runs.db")
    w = personal.load_weight(db, 7)
    w.observe(Observation(0.1, 0.3, 2, 3, 5))
    personal.save_weight(db, 7, w.to_dict())
    assert personal.load_weight(db, 7).to_dict() == w.to_dict()
    assert personal.load_weight(db, 8).to_dict()["window"] == []
