"""jobs.queue directly: a sweep's values and combinations, queueing, and working the queue (a bad item is
marked failed with its reason and the next one is trained)."""
from __future__ import annotations

import pytest

import storage
from gru_desktop.core.config import TrainConfig
from gru_desktop.core.errors import ConfigError, UserError
from gru_desktop.jobs import queue
from gru_desktop.jobs.runs import RunFinished
from jobs_helpers import TEXT, TINY


def test_parse_values_reads_each_settings_type():
    assert queue.parse_values("hidden_size", "64, 128,") == [64, 128]
    assert queue.parse_values("lr", "0.01,auto") == [0.01, TrainConfig().lr]
    assert queue.parse_values("tie_weights", "yes,0") == [True, False]
    with pytest.raises(UserError, match="'sixty' is not a whole number"):
        queue.parse_values("hidden_size", "64,sixty")
    with pytest.raises(UserError, match="no setting called 'hidden'"):
        queue.parse_values("hidden", "64")
    with pytest.raises(UserError, match="no values given"):
        queue.parse_values("layers", " , ")


def test_expand_sweep_makes_every_combination_or_nothing():
    grid = {"hidden_size": [8, 16], "layers": [1, 2, 3]}
    configs = queue.expand_sweep(TINY, grid)
    assert [(c.hidden_size, c.layers) for c in configs] == [(h, n) for h in (8, 16) for n in (1, 2, 3)]
    assert queue.sweep_label(configs[-1], grid) == "hidden_size=16 layers=3"
    with pytest.raises(ConfigError, match="nothing was queued"):
        queue.expand_sweep(TINY, {"hidden_size": [8, 0]})


def test_work_queue_trains_in_order_and_marks_a_bad_item_failed(tmp_path):
    corpus = tmp_path / "text.txt"
    corpus.write_text(TEXT, encoding="utf-8")
    home = tmp_path / "home"
    db = storage.open_db(storage.db_path(home))
    one_epoch = TINY.replace(epochs=1)
    bad = queue.queue_configs(db, [one_epoch], [str(tmp_path / "gone.txt")], names=["bad"])[0]
    good = queue.queue_configs(db, [one_epoch], [str(corpus)], names=["good"], sweep="s1")[0]
    events = list(queue.work_queue(home))
    started = [e.item["id"] for e in events if isinstance(e, queue.QueueItemStarted)]
    finished = {e.item_id: e for e in events if isinstance(e, queue.QueueItemFinished)}
    assert started[0] == bad and good in started
    assert finished[bad].state == "failed" and "gone.txt" in finished[bad].message
    assert finished[good].state == "done" and finished[good].run_id is not None
    run = storage.get_run(db, finished[good].run_id)
    assert run["status"] == "completed" and run["name"] == "good" and run["tags"] == ["sweep:s1"]
    assert any(isinstance(e, RunFinished) for e in events)
    items = {r["id"]: r for r in db["queue"].rows}
    assert items[good]["state"] == "done" and items[good]["run_id"] == run["id"]
    assert items[bad]["state"] == "failed"
    db.close()
