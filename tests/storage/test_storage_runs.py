import json
import os
import re
import socket

import pytest

from storage import (
    RunIsRunning,
    RunNotFound,
    add_epoch,
    add_steps,
    delete_run,
    finish_run,
    get_epochs,
    get_run,
    get_steps,
    list_runs,
    resolve_run_id,
    set_best,
    update_run,
)
from storage.runs import process_start_marker

ISO_UTC_SECONDS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$")


def _give_best(db, run_id: int, epoch: int = 2) -> None:
    set_best(
        db, run_id, epoch=epoch, val_loss=1.5, val_accuracy=0.4,
        val_top3=0.7, val_perplexity=4.48, model_path=f"/models/{run_id}.pt",
    )


def test_create_and_get_round_trip(db, make_run):
    config = {"lr": 0.01, "layers": [64, 64], "nested": {"b": 1, "a": 2}}
    run_id = make_run(name="first", config=config, train_tokens=900, val_tokens=100)
    run = get_run(db, run_id)
    assert run["name"] == "first"
    assert run["config"] == config
    assert run["status"] == "running"
    assert run["corpus"] == "tiny corpus"
    assert run["vocab_size"] == 50 and run["epochs_planned"] == 3
    assert run["train_tokens"] == 900 and run["val_tokens"] == 100
    assert run["notes"] == ""
    assert run["epochs_done"] == 0
    assert ISO_UTC_SECONDS.match(run["created_at"])
    assert run["finished_at"] is None


def test_config_is_stored_as_sorted_json(db, make_run):
    run_id = make_run(config={"b": 1, "a": 2})
    stored = db.execute("SELECT config FROM runs WHERE id = ?", [run_id]).fetchone()[0]
    assert stored == json.dumps({"a": 2, "b": 1}, sort_keys=True)


def test_create_run_records_the_liveness_triple(db, make_run):
    run = get_run(db, make_run())
    assert run["pid"] == os.getpid()
    assert run["host"] == socket.gethostname()
    assert run["pid_started"] == process_start_marker(os.getpid())


@pytest.mark.parametrize("name", ["", None])
def test_unnamed_run_is_named_after_its_id(db, make_run, name):
    run_id = make_run(name=name)
    assert get_run(db, run_id)["name"] == f"run {run_id}"


def test_parent_run_is_recorded_and_cleared_on_delete(db, make_run):
    parent = make_run()
    finish_run(db, parent, "completed")
    child = make_run(parent_run_id=parent)
    assert get_run(db, child)["parent_run_id"] == parent
    delete_run(db, parent)
    assert get_run(db, child)["parent_run_id"] is None


def test_get_run_unknown_is_none(db):
    assert get_run(db, 123) is None


def test_list_runs_newest_first_with_epoch_counts(db, make_run):
    first, second = make_run(name="a"), make_run(name="b")
    add_epoch(db, first, {"epoch": 1})
    add_epoch(db, first, {"epoch": 2})
    runs = list_runs(db)
    assert [run["id"] for run in runs] == [second, first]
    assert [run["epochs_done"] for run in runs] == [0, 2]
    assert runs[1]["config"] == {"hidden": 64, "lr": 0.01}


def test_list_runs_empty(db):
    assert list_runs(db) == []


def test_set_best(db, make_run):
    run_id = make_run()
    _give_best(db, run_id, epoch=2)
    run = get_run(db, run_id)
    assert run["best_epoch"] == 2
    assert run["best_val_loss"] == 1.5
    assert run["best_val_accuracy"] == 0.4
    assert run["best_val_top3"] == 0.7
    assert run["best_val_perplexity"] == 4.48
    assert run["model_path"] == f"/models/{run_id}.pt"


@pytest.mark.parametrize("status", ["completed", "cancelled", "failed", "interrupted"])
def test_finish_run(db, make_run, status):
    run_id = make_run()
    finish_run(db, run_id, status, error="boom" if status == "failed" else None)
    run = get_run(db, run_id)
    assert run["status"] == status
    assert run["error"] == ("boom" if status == "failed" else None)
    assert ISO_UTC_SECONDS.match(run["finished_at"])


@pytest.mark.parametrize("status", ["running", "done", ""])
def test_finish_run_rejects_invalid_status(db, make_run, status):
    run_id = make_run()
    with pytest.raises(ValueError):
        finish_run(db, run_id, status)
    assert get_run(db, run_id)["status"] == "running"


def test_finish_unknown_run_raises(db):
    with pytest.raises(RunNotFound):
        finish_run(db, 99, "completed")


def test_update_run_changes_allowed_columns(db, make_run):
    run_id = make_run()
    update_run(db, run_id, name="renamed", notes="looks good", config={"x": 1})
    run = get_run(db, run_id)
    assert (run["name"], run["notes"], run["config"]) == ("renamed", "looks good", {"x": 1})


@pytest.mark.parametrize("column", ["status", "pid", "id", "no_such_column"])
def test_update_run_rejects_other_columns(db, make_run, column):
    run_id = make_run()
    with pytest.raises(ValueError, match=column):
        update_run(db, run_id, **{column: 1})


def test_update_unknown_run_raises(db):
    with pytest.raises(RunNotFound):
        update_run(db, 5, notes="x")


def test_resolve_run_id_int_and_string(db, make_run):
    run_id = make_run()
    assert resolve_run_id(db, run_id) == run_id
    assert resolve_run_id(db, str(run_id)) == run_id
    assert resolve_run_id(db, f" {run_id} ") == run_id


def test_resolve_latest(db, make_run):
    make_run()
    newest = make_run()
    assert resolve_run_id(db, "latest") == newest
    assert resolve_run_id(db, "LATEST") == newest


def test_resolve_latest_completed_only(db, make_run):
    usable = make_run()
    _give_best(db, usable)
    finish_run(db, usable, "cancelled")
    failed = make_run()
    _give_best(db, failed)
    finish_run(db, failed, "failed")
    no_model = make_run()
    finish_run(db, no_model, "completed")
    make_run()  # still running, with no model
    assert resolve_run_id(db, "latest", completed_only=True) == usable


def test_resolve_latest_completed_only_with_none_usable(db, make_run):
    make_run()
    with pytest.raises(RunNotFound, match="saved model"):
        resolve_run_id(db, "latest", completed_only=True)


@pytest.mark.parametrize("ref", [42, "42", "abc", "-1", "1.5"])
def test_resolve_unknown_raises(db, make_run, ref):
    make_run()
    with pytest.raises(RunNotFound) as caught:
        resolve_run_id(db, ref)
    assert caught.value.ref == ref


def test_resolve_unknown_message(db):
    with pytest.raises(RunNotFound, match="no run with id 42"):
        resolve_run_id(db, 42)


def test_resolve_latest_on_empty_db(db):
    with pytest.raises(RunNotFound, match="no runs yet"):
        resolve_run_id(db, "latest")


def test_delete_cascades_and_returns_row(db, make_run):
    run_id = make_run(name="doomed")
    keep = make_run(name="kept")
    for rid in (run_id, keep):
        add_epoch(db, rid, {"epoch": 1, "val_loss": 2.0})
        add_steps(db, rid, [(1, 1, 3.0), (2, 1, 2.5)])
    _give_best(db, run_id)
    finish_run(db, run_id, "completed")
    deleted = delete_run(db, run_id)
    assert deleted["id"] == run_id
    assert deleted["name"] == "doomed"
    assert deleted["model_path"] == f"/models/{run_id}.pt"
    assert get_run(db, run_id) is None
    assert get_epochs(db, run_id) == [] and get_steps(db, run_id) == []
    assert len(get_epochs(db, keep)) == 1 and len(get_steps(db, keep)) == 2


def test_delete_unknown_raises(db):
    with pytest.raises(RunNotFound):
        delete_run(db, 1)


def test_delete_live_running_run_raises(db, make_run):
    run_id = make_run()  # owned by this very (live) test process
    with pytest.raises(RunIsRunning):
        delete_run(db, run_id)
    assert get_run(db, run_id) is not None


def test_delete_running_run_of_dead_process(db, make_run, dead_pid):
    run_id = make_run()
    db.execute("UPDATE runs SET pid = ? WHERE id = ?", [dead_pid, run_id])
    assert delete_run(db, run_id)["id"] == run_id


def test_evaluation_and_corpus_paths_round_trip(db):
    from storage import create_run, get_run, set_evaluation

    run_id = create_run(db, name="e", config={}, corpus="c", corpus_sha256="x", vocab_size=10, epochs_planned=1,
                        corpus_paths=["/data/a.txt", "/data/b.txt"])
    run = get_run(db, run_id)
    assert run["corpus_paths"] == ["/data/a.txt", "/data/b.txt"] and run["eval_perplexity"] is None
    set_evaluation(db, run_id, perplexity=70.5, top1=0.25, top3=0.41, keystroke_savings=0.38, tokens=1234)
    run = get_run(db, run_id)
    assert (run["eval_perplexity"], run["eval_top3"], run["eval_keystroke_savings"], run["eval_tokens"]) == (70.5, 0.41, 0.38, 1234)
    assert run["eval_at"]
    # The GRU suggesting: its own columns hold the same numbers, each in its place.
    assert (run["eval_source"], run["eval_gru_perplexity"], run["eval_gru_top1"], run["eval_gru_top3"],
            run["eval_gru_keystroke_savings"]) == ("gru", 70.5, 0.25, 0.41, 0.38)
    set_evaluation(db, run_id, perplexity=50.0, top1=0.3, top3=0.45, keystroke_savings=0.4, tokens=1234,
                   source="blend", gru={"perplexity": 70.5, "top1": 0.25, "top3": 0.41, "keystroke_savings": 0.38},
                   counts={"perplexity": 60.0, "top3": 0.43})
    run = get_run(db, run_id)
    assert (run["eval_source"], run["eval_perplexity"], run["eval_gru_perplexity"], run["eval_counts_perplexity"],
            run["eval_counts_top3"]) == ("blend", 50.0, 70.5, 60.0, 0.43)


def test_tags_and_star_round_trip(db):
    from storage import create_run, get_run, update_run

    run_id = create_run(db, name="t", config={}, corpus="c", corpus_sha256="x", vocab_size=10, epochs_planned=1)
    run = get_run(db, run_id)
    assert run["tags"] == [] and run["starred"] is False
    update_run(db, run_id, tags=["small", "wiki"], starred=True, notes="lr too high")
    run = get_run(db, run_id)
    assert run["tags"] == ["small", "wiki"] and run["starred"] is True and run["notes"] == "lr too high"
