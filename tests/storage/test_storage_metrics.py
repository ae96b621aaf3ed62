import sqlite3

import pytest

from storage import add_epoch, add_steps, get_epochs, get_run, get_steps


def test_add_epoch_stores_known_columns_and_ignores_extras(db, make_run):
    run_id = make_run()
    add_epoch(db, run_id, {
        "epoch": 1, "train_loss": 2.5, "train_accuracy": 0.3, "val_loss": 2.2,
        "val_accuracy": 0.35, "val_top3": 0.6, "val_perplexity": 9.0,
        "seconds": 1.25, "tokens_per_s": 1000.0, "observation": "learning",
        "lr": 0.01, "not_a_column": "ignored",
    })
    [row] = get_epochs(db, run_id)
    assert row["train_loss"] == 2.5 and row["val_top3"] == 0.6
    assert row["observation"] == "learning" and row["lr"] == 0.01
    assert "not_a_column" not in row


def test_add_epoch_upserts(db, make_run):
    run_id = make_run()
    add_epoch(db, run_id, {"epoch": 1, "val_loss": 3.0, "seconds": 2.0})
    add_epoch(db, run_id, {"epoch": 1, "val_loss": 2.0})
    [row] = get_epochs(db, run_id)
    assert row["val_loss"] == 2.0
    assert row["seconds"] == 2.0  # columns not given keep their value
    assert get_run(db, run_id)["epochs_done"] == 1


def test_get_epochs_in_epoch_order(db, make_run):
    run_id = make_run()
    for epoch in (3, 1, 2):
        add_epoch(db, run_id, {"epoch": epoch, "val_loss": float(epoch)})
    assert [row["epoch"] for row in get_epochs(db, run_id)] == [1, 2, 3]


def test_add_epoch_requires_epoch_number(db, make_run):
    with pytest.raises(ValueError):
        add_epoch(db, make_run(), {"val_loss": 1.0})


def test_add_epoch_for_unknown_run_violates_foreign_key(db):
    with pytest.raises(sqlite3.IntegrityError):
        add_epoch(db, 999, {"epoch": 1})


def test_add_steps_bulk(db, make_run):
    run_id = make_run()
    steps = [(step, 1 + step // 500, 5.0 - step / 1000) for step in range(1000, 0, -1)]
    add_steps(db, run_id, steps)
    rows = get_steps(db, run_id)
    assert len(rows) == 1000
    assert [row["step"] for row in rows] == list(range(1, 1001))
    assert rows[0] == {"run_id": run_id, "step": 1, "epoch": 1, "loss": 4.999}


def test_add_steps_replaces_repeated_steps(db, make_run):
    run_id = make_run()
    add_steps(db, run_id, [(1, 1, 3.0), (2, 1, 2.0)])
    add_steps(db, run_id, [(2, 1, 1.5), (3, 1, 1.0)])
    assert [(r["step"], r["loss"]) for r in get_steps(db, run_id)] == [
        (1, 3.0), (2, 1.5), (3, 1.0),
    ]


def test_add_steps_batch_is_all_or_nothing(db, make_run):
    run_id = make_run()
    with pytest.raises(sqlite3.IntegrityError):
        add_steps(db, run_id, [(1, 1, 1.0), (None, 1, 2.0)])  # NOT NULL step
    assert get_steps(db, run_id) == []


def test_add_no_steps_is_a_no_op(db, make_run):
    run_id = make_run()
    add_steps(db, run_id, [])
    assert get_steps(db, run_id) == []
