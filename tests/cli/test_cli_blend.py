"""CLI of the blend (design §11): train's samples and λ, suggest --source, evaluate's three sources, bad input."""
from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from cli_helpers import REPO, cli, copy_home  # noqa: E402
from test_cli_main import assert_user_error, db_runs  # noqa: E402

SAMPLE = REPO / "resources" / "sample_corpus.txt"
SMALL = ["--embed-dim", "16", "--hidden-size", "32", "--batch-size", "32"]
KEYS = ("perplexity", "top1", "top3", "keystroke_savings", "tokens")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A run on a private copy of the sample corpus (so a test can make its text disappear)."""
    home = tmp_path_factory.mktemp("home")
    text = home.parent / f"{home.name}-text.txt"
    shutil.copy(SAMPLE, text)
    r = cli(home, "train", str(text), "--epochs", "3", "--probe", "thank you for your", "--lr", "auto", "--json",
            timeout=300)
    assert r.returncode == 0, r.stderr
    lines = [json.loads(ln) for ln in r.stdout.splitlines() if ln.strip()]
    return home, text, lines


def _copy(trained, tmp_path):
    """A private copy of the trained home with the model path rewritten to the copy."""
    src, _, lines = trained
    return copy_home(src, tmp_path, lines[-1])


def test_train_json_has_samples_per_epoch_and_lambda(trained):
    home, _, lines = trained
    epochs, last = lines[:-1], lines[-1]
    assert len(epochs) == 3
    for e in epochs:
        prefixes = [s["prefix"] for s in e["samples"]]
        assert len(prefixes) == 6 and prefixes[-1] == "thank you for your"  # five from validation, then ours
        assert prefixes == [s["prefix"] for s in epochs[0]["samples"]]  # fixed for the run
        assert all(len(s["suggestions"]) == 3 for s in e["samples"])
    assert 0 < last["lambda"] < 1
    model = Path(last["model_path"])
    assert model.with_name(model.stem + ".counts.npz").is_file()
    shown = json.loads(cli(home, "runs", "show", str(last["run_id"]), "--json").stdout)
    assert shown["blend_lambda"] == pytest.approx(last["lambda"])
    assert shown["config"]["lr"] == 0.005 and shown["config"]["dropout"] == 0.3  # "auto", resolved for 12 k words
    assert set(shown["blend_weights"]) == {"gru", "counts", "cache", "state"}
    assert shown["eval_source"] == "blend"
    assert shown["eval_gru_perplexity"] > shown["eval_perplexity"] > 1  # on this small text the blend wins
    assert [s["prefix"] for s in shown["epochs"][0]["samples"]][-1] == "thank you for your"


def test_suggest_sources(trained):
    home, _, _ = trained
    got = {}
    for source in (None, "blend", "gru", "counts"):
        args = ["suggest", "latest", "thank you for your ", "--json"] + (["--source", source] if source else [])
        r = cli(home, *args)
        assert r.returncode == 0, r.stderr
        out = json.loads(r.stdout)
        assert out["source"] == (source or "blend")
        assert len(out["suggestions"]) == 3
        got[source] = [s["probability"] for s in out["suggestions"]]
    assert got[None] == got["blend"]
    assert got["gru"] != got["blend"] != got["counts"]


def test_evaluate_reports_the_three_sources_on_the_same_positions(trained):
    home, text, _ = trained
    r = cli(home, "evaluate", "latest", str(text), "--json")
    assert r.returncode == 0, r.stderr
    m = json.loads(r.stdout)
    assert m["source"] == "blend" and 0 < m["lambda"] < 1
    assert sum(m["weights"].values()) == pytest.approx(1.0) and set(m["weights"]) == {"gru", "counts", "cache", "state"}
    assert m["theta"] > 0
    for part in (m, m["gru"], m["counts"]):
        assert all(part[k] is not None for k in KEYS)
        assert part["tokens"] == m["tokens"]
        assert 0 < part["top1"] <= part["top3"] <= 1
    # Scored on text it was fitted on, the counts memorise; the blend is never worse than the GRU.
    assert m["perplexity"] < m["gru"]["perplexity"]


def test_old_run_gets_its_blend_on_first_use(trained, tmp_path):
    home, run_id, model = _copy(trained, tmp_path)
    counts = model.with_name(model.stem + ".counts.npz")
    counts.unlink()
    con = sqlite3.connect(home / "runs.db")
    with con:
        con.execute("UPDATE runs SET blend_weights = NULL, blend_lambda = NULL WHERE id = ?", (run_id,))
    con.close()
    r = cli(home, "suggest", str(run_id), "thank you for your ", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["source"] == "blend"
    assert counts.is_file()


def test_run_without_counts_or_text_suggests_with_the_gru(trained, tmp_path):
    home, run_id, model = _copy(trained, tmp_path)
    model.with_name(model.stem + ".counts.npz").unlink()
    con = sqlite3.connect(home / "runs.db")
    with con:  # its text is gone: the counts cannot be fitted again
        con.execute("UPDATE runs SET corpus_paths = ? WHERE id = ?", (json.dumps([str(tmp_path / "gone.txt")]), run_id))
    con.close()
    r = cli(home, "suggest", str(run_id), "thank you for your ", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["source"] == "gru"
    assert r.stderr.startswith("warning:") and "GRU alone" in r.stderr
    assert_user_error(cli(home, "suggest", str(run_id), "thank you", "--source", "counts"), "no counts")


def test_damaged_counts_file_is_refused_not_replaced(trained, tmp_path):
    home, run_id, model = _copy(trained, tmp_path)
    counts = model.with_name(model.stem + ".counts.npz")
    counts.write_bytes(b"PK\x03\x04 not really a zip" * 50)
    before = counts.read_bytes()
    r = cli(home, "suggest", str(run_id), "thank you for your ", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["source"] == "gru"
    assert "unusable" in r.stderr
    assert_user_error(cli(home, "suggest", str(run_id), "thank you", "--source", "blend"), "unusable")
    assert counts.read_bytes() == before


@pytest.mark.parametrize("args, flag", [
    (["--probe", ""], "--probe"),
    (["--probe", "   "], "--probe"),
    (["--epochs", "auto", "--budget", "0"], "--budget"),
    (["--epochs", "many"], "--epochs"),
    (["--epochs", "0"], "--epochs"),
], ids=lambda a: " ".join(a) if isinstance(a, list) else a)
def test_bad_blend_and_auto_settings(tmp_path, args, flag):
    line = assert_user_error(cli(tmp_path, "train", *SMALL, *args))
    assert flag in line, line
    assert db_runs(tmp_path) == []


def test_epochs_auto_trains_until_validation_stops_improving(tmp_path):
    r = cli(tmp_path, "train", *SMALL, "--epochs", "auto", "--patience", "1", "--lr", "0.05", "--json", timeout=300)
    assert r.returncode == 0, r.stderr
    lines = [json.loads(ln) for ln in r.stdout.splitlines() if ln.strip()]
    last = lines[-1]
    assert last["status"] == "completed" and "no better validation loss" in last["message"]
    assert len(lines) - 1 == last["best_epoch"] + 1
    shown = json.loads(cli(tmp_path, "runs", "show", str(last["run_id"]), "--json").stdout)
    assert shown["epochs_planned"] == 0 and shown["config"]["epochs"] == 0 and shown["config"]["budget"] == 600
