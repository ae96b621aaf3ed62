"""`gru-desktop quiz` (design §15): --json questions with the documented keys, the same questions for the same
seed and run, asking on stdin with the answers stored, and bad input as one `error:` line."""
from __future__ import annotations

import json
import re
import sqlite3

import pytest

from cli_helpers import assert_user_error, cli, copy_home  # noqa: E402

KEYS = {"id", "family", "difficulty", "text", "options", "answer", "hint", "solution", "mistakes", "given"}
SHAPE_GIVEN = {"batch", "seq_len", "embed", "hidden", "layers", "vocab", "batch_first", "tensor"}
TUPLE = re.compile(r"^\((\d+, )*\d+,?\)$")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    home = tmp_path_factory.mktemp("home")
    r = cli(home, "train", "--epochs", "2", "--embed-dim", "8", "--hidden-size", "16", "--batch-size", "32",
            "--vocab-size", "600", "--json", timeout=300)
    assert r.returncode == 0, r.stderr
    return home, json.loads(r.stdout.splitlines()[-1])


def _questions(home, *args):
    r = cli(home, "quiz", *args, "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout), r.stderr


def test_json_questions(trained):
    home, last = trained
    families = set()
    for seed in (0, 2):
        qs, _ = _questions(home, "--mode", "test", "--seed", str(seed))
        assert len(qs) == 10
        assert {q["difficulty"] for q in qs} == {"easy", "medium", "hard"}
        for q in qs:
            assert KEYS <= set(q)
            assert len(set(q["options"])) == len(q["options"]) >= 3 and 0 <= q["answer"] < len(q["options"])
            assert sorted(m["option"] for m in q["mistakes"]) == [i for i in range(len(q["options"])) if i != q["answer"]]
            assert all(m["misconception"] and m["explanation"] for m in q["mistakes"])
            assert q["solution"][-2].startswith("Final answer") or any(s.startswith("Final answer") for s in q["solution"])
            if q["family"] == "shapes":
                assert SHAPE_GIVEN <= set(q["given"])
                assert q["given"]["embed"] == 8 and q["given"]["hidden"] == 16 and q["given"]["batch"] == 32
                assert all(TUPLE.match(o) for o in q["options"]), q["options"]
            families.add(q["family"])
    assert {"training", "behaviour", "padding", "vocabulary"} <= families  # the run's and the text's own
    again, _ = _questions(home, "latest", "--mode", "test", "--seed", "2")
    assert again == qs  # same seed and run: the same questions
    by_id, _ = _questions(home, str(last["run_id"]), "--mode", "test", "--seed", "2")
    assert by_id == qs
    practice, _ = _questions(home, "--mode", "practice", "--seed", "2")
    assert len(practice) == 5


def test_bad_input(trained):
    home, _ = trained
    assert_user_error(cli(home, "quiz", "--mode", "banana", "--json"), "banana")
    assert_user_error(cli(home, "quiz", "--seed", "-1", "--json"), "seed")
    assert_user_error(cli(home, "quiz", "99", "--json"), "99")
    assert_user_error(cli(home, "quiz", "nonsense"), "nonsense")


def test_no_runs_uses_the_sample_and_says_what_is_left_out(tmp_path):
    qs, err = _questions(tmp_path, "--mode", "test", "--seed", "4")
    assert len(qs) == 10
    assert not {q["family"] for q in qs} & {"training", "behaviour"}
    assert "training questions left out" in err and "behaviour questions left out" in err


def test_damaged_model_leaves_out_behaviour(trained, tmp_path):
    src, last = trained
    home, _, model = copy_home(src, tmp_path, last)
    model.write_bytes(b"not a model")
    qs, err = _questions(home, "--mode", "test", "--seed", "1")
    assert len(qs) == 10 and "behaviour" not in {q["family"] for q in qs}
    assert "behaviour questions left out" in err and "model" in err
    assert "Traceback" not in err


def test_asks_on_stdin_and_stores_answers(trained, tmp_path):
    import subprocess
    import sys

    from cli_helpers import REPO, _env

    src, last = trained
    home, run_id, _ = copy_home(src, tmp_path, last)
    r = subprocess.run([sys.executable, "-m", "gru_desktop", "quiz", "--mode", "practice", "--seed", "5"],
                       input="h\n9\n1\n2\n", cwd=REPO, env=_env(home), capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "hint:" in r.stdout and "type a number" in r.stdout
    assert "score: " in r.stdout and "/2 (of 5 questions)" in r.stdout
    con = sqlite3.connect(home / "runs.db")
    rows = con.execute("SELECT question_id, correct, misconception, chosen, mode, run_id FROM learn_answers").fetchall()
    con.close()
    assert len(rows) == 2 and {row[4] for row in rows} == {"practice"} and {row[5] for row in rows} == {run_id}
    assert [row[3] for row in rows] == [0, 1]
    for _, correct, tag, _, _, _ in rows:
        assert (tag is None) == bool(correct)
    qs, _ = _questions(home, "--mode", "practice", "--seed", "5")
    first = qs[0]
    assert rows[0][0] == first["id"] and bool(rows[0][1]) == (first["answer"] == 0)
