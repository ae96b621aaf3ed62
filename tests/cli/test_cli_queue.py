"""`queue add/sweep/list/remove/run` through the command line."""
from __future__ import annotations

import json
from pathlib import Path

from cli_helpers import cli, runs_json  # noqa: E402


def _corpus(tmp_path: Path) -> Path:
    p = tmp_path / "c.txt"
    p.write_text("the cat sat on the mat.\nthe dog ran to the car.\n" * 40, encoding="utf-8")
    return p


def _items(home, *extra):
    r = cli(home, "queue", "list", "--json", *extra)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_sweep_queues_the_grid_and_refuses_an_impossible_value_before_queueing(tmp_path):
    home, corpus = tmp_path / "home", _corpus(tmp_path)
    r = cli(home, "queue", "sweep", corpus, "--hidden-size", "8,16,32", "--lr", "0.01,0.02", "--epochs", "1",
            "--name", "grid")
    assert r.returncode == 0, r.stderr
    assert "6 runs" in r.stdout
    items = _items(home)
    assert sorted((i["config"]["hidden_size"], i["config"]["lr"]) for i in items) == [
        (h, lr) for h in (8, 16, 32) for lr in (0.01, 0.02)]
    assert {i["sweep"] for i in items} == {"grid"} and all(i["config"]["epochs"] == 1 for i in items)
    assert all(i["corpus_paths"] == [str(corpus.resolve())] for i in items)
    for bad, named in ((["--hidden-size", "8,0"], "--hidden-size"), (["--lr", "0.01,abc"], "'abc'"),
                       (["--dropout", "0.1,2"], "--dropout")):
        r = cli(home, "queue", "sweep", corpus, *bad)
        assert r.returncode == 2 and r.stderr.startswith("error: ") and named in r.stderr, r.stderr
        assert len(r.stderr.strip().splitlines()) == 1
    assert len(_items(home)) == 6  # nothing was queued by the refused sweeps
    r = cli(home, "queue", "remove", str(items[0]["id"]))
    assert r.returncode == 0 and len(_items(home)) == 5
    r = cli(home, "queue", "remove", "999")
    assert r.returncode == 2 and "no queued run with id 999" in r.stderr


def test_queue_run_works_the_queue_until_empty(tmp_path):
    home, corpus = tmp_path / "home", _corpus(tmp_path)
    small = ["--embed-dim", "8", "--epochs", "1", "--threads", "1"]
    assert cli(home, "queue", "add", corpus, "--hidden-size", "8", *small, "--name", "first").returncode == 0
    assert cli(home, "queue", "sweep", corpus, "--hidden-size", "8,12", *small, "--name", "s").returncode == 0
    r = cli(home, "queue", "run", "--json", timeout=300)
    assert r.returncode == 0, r.stderr
    finished = [json.loads(x) for x in r.stdout.splitlines() if '"status"' in x]
    assert [f["status"] for f in finished] == ["completed"] * 3
    items = _items(home, "--all")
    assert [i["state"] for i in items] == ["done"] * 3
    runs = {r["id"]: r for r in runs_json(home)}
    assert runs[items[0]["run_id"]]["name"] == "first"
    assert runs[items[1]["run_id"]]["tags"] == ["sweep:s"] and runs[items[2]["run_id"]]["config"]["hidden_size"] == 12
    r = cli(home, "queue", "run")
    assert r.returncode == 0 and "0 runs done" in r.stderr


def test_a_queued_run_in_two_processes_trains_in_two_processes(tmp_path):
    """Processes > 1 is not dropped by the queue (which works in one process): the run is trained by the CLI
    under torchrun in a child process, as the window does, and recorded as trained in 2 processes."""
    home, corpus = tmp_path / "home", _corpus(tmp_path)
    r = cli(home, "queue", "sweep", corpus, "--processes", "2,1", "--hidden-size", "8", "--embed-dim", "8",
            "--epochs", "1", "--threads", "1", "--batch-size", "16", "--device", "cpu", "--name", "s")
    assert r.returncode == 0, r.stderr
    r = cli(home, "queue", "run", "--json", timeout=300)
    assert r.returncode == 0, r.stderr
    finished = [json.loads(x) for x in r.stdout.splitlines() if '"status"' in x]
    assert [f["status"] for f in finished] == ["completed"] * 2, r.stdout + r.stderr
    items = _items(home, "--all")
    assert [i["state"] for i in items] == ["done"] * 2
    runs = {x["id"]: x for x in runs_json(home)}
    for item, processes in zip(items, (2, 1), strict=True):  # one in a child under torchrun, one in-process
        run = runs[item["run_id"]]
        assert run["processes"] == processes and run["epochs_done"] == 1 and run["tags"] == ["sweep:s"]
        assert run["name"] == item["name"] == f"processes={processes}"
