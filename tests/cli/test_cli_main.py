"""Command-line tests: train / suggest / evaluate / runs, and bad input.

Every test runs `python -m gru_desktop` as a subprocess from the repository root with
GRU_DESKTOP_HOME pointing at a temporary folder.
"""
from __future__ import annotations

import json
import math
import os
import pickle
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from cli_helpers import REPO, assert_user_error, cli, copy_home, runs_json  # noqa: E402

SAMPLE = REPO / "resources" / "sample_corpus.txt"
SMALL = ["--embed-dim", "16", "--hidden-size", "32", "--batch-size", "32"]
EPOCH_KEYS = {"epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "val_top3",
              "val_perplexity", "seconds", "tokens_per_s", "observation"}




def db_runs(home: Path) -> list[tuple]:
    """(id, status) of every run, read straight from the database (fast: no torch import)."""
    db = home / "runs.db"
    if not db.exists():
        return []
    con = sqlite3.connect(db)
    try:
        try:
            return con.execute("SELECT id, status FROM runs").fetchall()
        except sqlite3.OperationalError:  # database created but no tables yet
            return []
    finally:
        con.close()


# --------------------------------------------------------------------------- the trained run


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    r = cli(home, "train", "--epochs", "5", "--json")
    assert r.returncode == 0, r.stderr
    lines = [json.loads(ln) for ln in r.stdout.splitlines() if ln.strip()]
    return home, lines, r


def test_train_json_epochs_and_final_line(trained):
    home, lines, r = trained
    assert "Traceback" not in r.stderr
    epochs, last = lines[:-1], lines[-1]
    assert len(epochs) == 5
    for i, e in enumerate(epochs, start=1):
        assert EPOCH_KEYS <= set(e), EPOCH_KEYS - set(e)
        assert e["epoch"] == i
        assert 0 <= e["train_accuracy"] <= 1 and 0 <= e["val_accuracy"] <= e["val_top3"] <= 1
        assert e["val_perplexity"] > 1 and e["seconds"] > 0 and e["tokens_per_s"] > 0
        assert isinstance(e["observation"], str) and e["observation"]
    losses = [e["train_loss"] for e in epochs]
    assert all(b < a for a, b in zip(losses, losses[1:], strict=False)), losses
    assert last["status"] == "completed"
    assert isinstance(last["run_id"], int)


def test_runs_list_and_show(trained):
    home, lines, _ = trained
    run_id = lines[-1]["run_id"]
    runs = runs_json(home)
    assert [r["id"] for r in runs] == [run_id]
    assert runs[0]["status"] == "completed"
    assert runs[0]["epochs_done"] == 5
    assert Path(runs[0]["model_path"]).is_file()

    r = cli(home, "runs", "show", str(run_id), "--json")
    assert r.returncode == 0, r.stderr
    shown = json.loads(r.stdout)
    assert shown["id"] == run_id and len(shown["epochs"]) == 5


def test_suggest_next_word(trained):
    home, _, _ = trained
    r = cli(home, "suggest", "latest", "the cat sat on the ", "--json")
    assert r.returncode == 0, r.stderr
    sugg = json.loads(r.stdout)["suggestions"]
    assert len(sugg) == 3
    probs = [s["probability"] for s in sugg]
    assert all(0 < p <= 1 for p in probs)
    assert probs == sorted(probs, reverse=True)
    assert "mat" in [s["word"] for s in sugg]


def test_suggest_top_k_and_plain_output(trained):
    home, _, _ = trained
    r = cli(home, "suggest", "latest", "the cat sat on the ", "--top-k", "5", "--json")
    assert r.returncode == 0, r.stderr
    assert len(json.loads(r.stdout)["suggestions"]) == 5


def test_suggest_completes_partial_word(trained):
    home, _, _ = trained
    r = cli(home, "suggest", "latest", "the ca", "--json")
    assert r.returncode == 0, r.stderr
    words = [s["word"] for s in json.loads(r.stdout)["suggestions"]]
    assert words and all(w.startswith("ca") for w in words), words
    assert "cat" in words


def test_evaluate_sample(trained):
    home, _, _ = trained
    r = cli(home, "evaluate", "latest", "resources/sample_corpus.txt", "--json")
    assert r.returncode == 0, r.stderr
    m = json.loads(r.stdout)
    for k in ("perplexity", "top1", "top3", "keystroke_savings", "tokens"):
        assert k in m and m[k] is not None, k
    assert 1 < m["perplexity"] < 1300 and math.isfinite(m["perplexity"])
    assert 0 < m["top1"] <= m["top3"] <= 1
    assert 0 <= m["keystroke_savings"] < 1
    assert m["tokens"] > 1000


def test_delete_removes_run_and_model(trained_copy):
    home, run_id, model = trained_copy
    assert model.is_file()
    r = cli(home, "runs", "delete", str(run_id))
    assert r.returncode == 0, r.stderr
    assert not model.exists()
    assert runs_json(home) == []


# --------------------------------------------------------------------------- bad training input


def _write_bytes(tmp_path, name, data: bytes) -> Path:
    d = tmp_path / "data"
    d.mkdir(exist_ok=True)
    p = d / name
    p.write_bytes(data)
    return p


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89" + bytes(range(256)) * 4
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(256)) * 4 + b"PK\x05\x06" + b"\x00" * 18


@pytest.mark.parametrize("kind", ["missing", "folder_no_txt", "empty", "whitespace", "png", "zip", "one_word"])
def test_train_bad_corpus(tmp_path, kind):
    home = tmp_path / "home"
    if kind == "missing":
        path = tmp_path / "does-not-exist.txt"
    elif kind == "folder_no_txt":
        path = tmp_path / "folder"
        path.mkdir()
        (path / "notes.md").write_text("some words here and there\n" * 20)
        (path / "data.csv").write_text("a,b,c\n1,2,3\n")
    elif kind == "empty":
        path = _write_bytes(tmp_path, "x.txt", b"")
    elif kind == "whitespace":
        path = _write_bytes(tmp_path, "x.txt", b"   \n\n\t  \r\n   \n")
    elif kind == "png":
        path = _write_bytes(tmp_path, "x.txt", PNG)
    elif kind == "zip":
        path = _write_bytes(tmp_path, "x.txt", ZIP)
    else:
        path = _write_bytes(tmp_path, "x.txt", b"hello\n")
    r = cli(home, "train", str(path), *SMALL, "--epochs", "2")
    assert_user_error(r)
    assert db_runs(home) == []


@pytest.mark.parametrize("args", [
    ["--seq-len", "0"],
    ["--embed-dim", "-5"],
    ["--hidden-size", "100000000"],
    ["--vocab-size", "2"],
    ["--epochs", "0"],
    ["--lr", "nan"],
    ["--lr", "-1"],
], ids=lambda a: " ".join(a))
def test_train_bad_settings(tmp_path, args):
    r = cli(tmp_path, "train", *args)
    line = assert_user_error(r)
    flag = args[0]
    assert flag in line, line
    assert db_runs(tmp_path) == []


def test_train_names_every_bad_setting_in_its_one_error_line(tmp_path):
    line = assert_user_error(cli(tmp_path, "train", "--seq-len", "0", "--lr", "-1", "--val-fraction", "0.9"))
    assert all(flag in line for flag in ("--seq-len must be", "--lr must be", "--val-fraction must be")), line
    assert db_runs(tmp_path) == []


# --------------------------------------------------------------------------- bad run references


@pytest.mark.parametrize("cmd", [
    ["suggest", "999", "the cat"],
    ["evaluate", "999", "resources/sample_corpus.txt"],
    ["runs", "show", "999"],
    ["runs", "delete", "999"],
], ids=lambda c: " ".join(c[:2]))
def test_unknown_run_id(trained, cmd):
    home, lines, _ = trained
    assert_user_error(cli(home, *cmd))
    assert [st for _, st in db_runs(home)] == ["completed"]


def test_suggest_latest_on_empty_home(tmp_path):
    line = assert_user_error(cli(tmp_path, "suggest", "latest", "the cat"))
    assert "no" in line and "run" in line, line
    assert db_runs(tmp_path) == []


def test_evaluate_bad_path(trained, tmp_path):
    home, _, _ = trained
    assert_user_error(cli(home, "evaluate", "latest", str(tmp_path / "missing.txt")))


def test_suggest_bad_top_k(trained):
    home, _, _ = trained
    assert_user_error(cli(home, "suggest", "latest", "the cat", "--top-k", "0"))


# --------------------------------------------------------------------------- damaged model files


@pytest.fixture
def trained_copy(trained, tmp_path):
    """A private copy of the trained home (model_path in the db still points at the original: rewrite it)."""
    src, lines, _ = trained
    return copy_home(src, tmp_path, lines[-1])


def test_garbage_model_file(trained_copy):
    home, run_id, model = trained_copy
    model.write_bytes(os.urandom(4096))
    assert_user_error(cli(home, "suggest", str(run_id), "the cat sat on the "))


class _Evil:
    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


class _EvilSystem:
    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("evil", [_EvilSystem])
def test_malicious_pickle_model_file(trained_copy, tmp_path, evil):
    home, run_id, model = trained_copy
    marker = tmp_path / "PWNED"
    model.write_bytes(pickle.dumps({"state": evil(str(marker))}, protocol=2))
    r = cli(home, "suggest", str(run_id), "the cat sat on the ")
    assert not marker.exists(), "unpickling the model file ran code"
    assert_user_error(r)


def test_malicious_torch_zip_model_file(trained_copy, tmp_path):
    """The same attack inside torch.save's zip format (written by a helper process: no torch here)."""
    home, run_id, model = trained_copy
    marker = tmp_path / "PWNED_ZIP"
    code = (
        "import sys, torch\n"
        "class E:\n"
        "    def __reduce__(self):\n"
        "        return (open, (sys.argv[2], 'w'))\n"
        "torch.save({'model': E()}, sys.argv[1])\n"
    )
    subprocess.run([sys.executable, "-c", code, str(model), str(marker)], check=True, cwd=REPO, timeout=60)
    assert not marker.exists()
    r = cli(home, "suggest", str(run_id), "the cat sat on the ")
    assert not marker.exists(), "unpickling the model file ran code"
    assert_user_error(r)


# --------------------------------------------------------------------------- encodings


@pytest.mark.parametrize("encoding", ["utf-16", "latin-1"])
def test_other_encodings_train_with_warning(tmp_path, encoding):
    text = "".join(SAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)[:400])
    if encoding == "latin-1":
        text = text.encode("latin-1", errors="replace").decode("latin-1") + "\nLe café était très bon, garçon.\n"
    p = tmp_path / f"corpus-{encoding}.txt"
    p.write_bytes(text.encode(encoding))
    home = tmp_path / "home"
    r = cli(home, "train", str(p), *SMALL, "--epochs", "1", "--json")
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    assert any(ln.startswith("warning:") for ln in r.stderr.splitlines()), r.stderr
    assert json.loads(r.stdout.splitlines()[-1])["status"] == "completed"


def test_untied_flag_trains_and_stores_an_untied_model(tmp_path):
    home = tmp_path / "home"
    r = cli(home, "train", *SMALL, "--epochs", "1", "--untied", "--json")
    assert r.returncode == 0, r.stderr
    run_id = json.loads(r.stdout.splitlines()[-1])["run_id"]
    shown = json.loads(cli(home, "runs", "show", str(run_id), "--json").stdout)
    from gru_desktop.core.modelfile import load_model

    loaded = load_model(shown["model_path"])
    assert loaded.config.tie_weights is False and loaded.model.proj is None
    assert loaded.model.fc.weight.shape == (len(loaded.vocab), 32)
    r = cli(home, "suggest", str(run_id), "the cat sat on the ", "--json")
    assert r.returncode == 0 and len(json.loads(r.stdout)["suggestions"]) == 3
