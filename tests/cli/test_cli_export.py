"""`runs export`: epochs to CSV, the chart to PNG, a model to .pt2 or ONNX (TorchScript: a deprecated alias);
bad input is one `error:` line and leaves no file."""
from __future__ import annotations

import csv
import json
import subprocess
import warnings

import pytest

from cli_helpers import REPO, cli  # noqa: E402

SAMPLE = REPO / "resources" / "sample_corpus.txt"
TINY = ["--epochs", "2", "--hidden-size", "16", "--embed-dim", "8"]
FLOATS = ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "val_top3", "val_perplexity", "seconds",
          "tokens_per_s", "lr")


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    """Two tiny runs (2 epochs each) in a fresh data folder."""
    home = tmp_path_factory.mktemp("home")
    for seed, name in (("0", "first"), ("1", "second, with a comma")):
        r = cli(home, "train", SAMPLE, *TINY, "--seed", seed, "--name", name, "--json")
        assert r.returncode == 0, r.stderr
    return home


def shown(home, run_id: int) -> dict:
    r = cli(home, "runs", "show", str(run_id), "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def assert_user_error(r: subprocess.CompletedProcess, contains: str | None = None) -> str:
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr + r.stdout, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), lines
    if contains:
        assert contains.lower() in lines[0].lower(), lines[0]
    return lines[0]


def test_csv_round_trips_the_recorded_epochs(home, tmp_path):
    out = tmp_path / "out.csv"
    r = cli(home, "runs", "export", "1", "2", "--csv", out)
    assert r.returncode == 0, r.stderr
    assert str(out) in r.stdout
    with open(out, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames[:3] == ["run_id", "run_name", "epoch"]
        got = list(reader)
    expected = [(run, e) for run in (shown(home, 1), shown(home, 2)) for e in run["epochs"]]
    assert len(got) == len(expected) == 4
    for row, (run, e) in zip(got, expected, strict=True):
        assert int(row["run_id"]) == run["id"] and row["run_name"] == run["name"]
        assert int(row["epoch"]) == e["epoch"]
        for key in FLOATS:
            assert float(row[key]) == e[key], key  # full precision: exactly the stored value
        assert row["observation"] == e["observation"]
    assert got[2]["run_name"] == "second, with a comma"


def test_csv_json_output(home, tmp_path):
    out = tmp_path / "one.csv"
    r = cli(home, "runs", "export", "latest", "--csv", out, "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"run_ids": [2], "csv": str(out), "csv_rows": 2}


def _suggested(home, text: str) -> dict:
    s = cli(home, "suggest", "1", text, "--json", "--source", "gru")  # the export is the network alone
    assert s.returncode == 0, s.stderr
    return json.loads(s.stdout)["suggestions"][0]


def test_pt2_loads_with_torch_export_and_matches_suggest(home, tmp_path):
    import torch

    out = tmp_path / "model.pt2"
    r = cli(home, "runs", "export", "1", "--pt2", out, "--json")
    assert r.returncode == 0, r.stderr
    done = json.loads(r.stdout)
    assert done["pt2"] == str(out) and 0 <= done["pt2_max_difference"] <= 1e-4
    extra = {"vocab.json": "", "config.json": ""}
    step = torch.export.load(str(out), extra_files=extra).module()
    vocab, config = json.loads(extra["vocab.json"]), json.loads(extra["config.json"])
    state = torch.zeros(config["layers"], 1, config["hidden_size"])
    with torch.no_grad():
        for word in ["<bos>", *"the cat sat on the".split()]:
            probs, state = step(torch.tensor([vocab.index(word) if word in vocab else 1]), state)
    best = _suggested(home, "the cat sat on the ")
    assert float(probs[vocab.index(best["word"])]) == pytest.approx(best["probability"], abs=1e-5)


def test_onnx_runs_in_onnxruntime_and_matches_suggest(home, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    import numpy as np

    out = tmp_path / "model.onnx"
    r = cli(home, "runs", "export", "latest", "--onnx", out)
    assert r.returncode == 0, r.stderr
    assert f"wrote {out}: ONNX model of run 2, made by torch.onnx" in r.stdout and "PyTorch" in r.stdout and "over 20 steps" in r.stdout
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    meta = session.get_modelmeta().custom_metadata_map
    vocab, config = json.loads(meta["vocab.json"]), json.loads(meta["config.json"])
    state = np.zeros((config["layers"], 1, config["hidden_size"]), dtype=np.float32)
    for word in ["<bos>", *"the cat sat on the".split()]:
        token = np.array([vocab.index(word) if word in vocab else 1], dtype=np.int64)
        probs, state = session.run(None, {"token": token, "state": state})
    s = cli(home, "suggest", "2", "the cat sat on the ", "--json", "--source", "gru")  # the network alone
    best = json.loads(s.stdout)["suggestions"][0]
    assert float(probs[vocab.index(best["word"])]) == pytest.approx(best["probability"], abs=1e-5)


def test_torchscript_is_a_deprecated_alias_that_still_loads(home, tmp_path):
    import torch

    out = tmp_path / "model.ts"
    r = cli(home, "runs", "export", "1", "--torchscript", out)
    assert r.returncode == 0, r.stderr
    assert r.stderr.startswith("notice: --torchscript is deprecated") and "--pt2" in r.stderr
    extra = {"vocab.json": "", "config.json": ""}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        module = torch.jit.load(str(out), _extra_files=extra)
    vocab = json.loads(extra["vocab.json"])
    assert json.loads(extra["config.json"])["hidden_size"] == 16
    unk = vocab.index("<unk>")
    ids = [2] + [vocab.index(w) if w in vocab else unk for w in "the cat sat on the".split()]
    with torch.no_grad():
        probs = module(torch.tensor([ids]))
    best = _suggested(home, "the cat sat on the ")
    assert float(probs[vocab.index(best["word"])]) == pytest.approx(best["probability"], abs=1e-5)


def test_png_of_two_runs(home, tmp_path):
    out = tmp_path / "chart.png"
    r = cli(home, "runs", "export", "1", "2", "--png", out, "--width", "800")
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    data = out.read_bytes()
    assert data[:4] == b"\x89PNG" and len(data) > 1024
    assert int.from_bytes(data[16:20], "big") == 800  # IHDR width


def test_three_at_once(home, tmp_path):
    paths = {k: tmp_path / f"x.{k}" for k in ("csv", "png", "pt2")}
    r = cli(home, "runs", "export", "2", *[a for k, p in paths.items() for a in (f"--{k}", p)], "--json")
    assert r.returncode == 0, r.stderr
    done = json.loads(r.stdout)
    assert {k: done[k] for k in paths} == {k: str(p) for k, p in paths.items()}
    assert all(p.stat().st_size > 0 for p in paths.values())


def test_unwritable_paths_are_one_error_line(home, tmp_path):
    missing = tmp_path / "no-such-folder" / "out.csv"
    assert_user_error(cli(home, "runs", "export", "1", "--csv", missing), str(missing))
    assert_user_error(cli(home, "runs", "export", "1", "--png", tmp_path / "nope" / "c.png"), "does not exist")
    assert_user_error(cli(home, "runs", "export", "1", "--torchscript", tmp_path), "folder")  # a folder, not a file
    assert_user_error(cli(home, "runs", "export", "1", "--pt2", tmp_path / "nope" / "m.pt2"), "does not exist")
    assert_user_error(cli(home, "runs", "export", "1", "--onnx", tmp_path / "nope" / "m.onnx"), "does not exist")
    assert list(tmp_path.iterdir()) == []


def test_a_run_without_a_model_is_one_error_line(tmp_path):
    import storage

    home = tmp_path / "home"
    db = storage.open_db(storage.db_path(storage.ensure_data_dir(home)))
    run_id = storage.create_run(db, name="died early", config={}, corpus="x", corpus_sha256="0", vocab_size=10,
                                epochs_planned=1)
    storage.finish_run(db, run_id, "failed", error="before its first epoch")
    db.close()
    out = tmp_path / "m.pt2"
    assert_user_error(cli(home, "runs", "export", str(run_id), "--pt2", out), "has no model")
    assert_user_error(cli(home, "runs", "export", str(run_id), "--onnx", tmp_path / "m.onnx"), "has no model")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home"]


def test_nothing_written_when_one_path_is_bad(home, tmp_path):
    good = tmp_path / "good.csv"
    r = cli(home, "runs", "export", "1", "--csv", good, "--png", tmp_path / "missing" / "c.png")
    assert_user_error(r, "missing")
    assert not good.exists()


def test_bad_requests(home, tmp_path):
    assert_user_error(cli(home, "runs", "export", "1"), "--csv")
    assert_user_error(cli(home, "runs", "export", "99", "--csv", tmp_path / "a.csv"), "99")
    assert_user_error(cli(home, "runs", "export", "1", "2", "--torchscript", tmp_path / "m.ts"), "one")
    assert_user_error(cli(home, "runs", "export", "1", "2", "--onnx", tmp_path / "m.onnx"), "--onnx exports one run")
    assert_user_error(cli(home, "runs", "export", "1", "--csv", tmp_path / "a", "--png", tmp_path / "a"), "own")
    assert not any(tmp_path.iterdir())
