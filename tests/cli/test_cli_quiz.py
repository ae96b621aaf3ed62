"""`gru-desktop quiz` (design §15): --json questions with the documented keys, the same questions for the same
seed and run, asking on stdin with the answers stored, and bad input as one `error:` line."""
from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys

import pytest

from cli_helpers import REPO, _env, assert_user_error, cli, copy_home  # noqa: E402

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


# Several `gru-desktop ARGS` in ONE child process (torch imported once, not per call): each call goes through
# the CLI's own main() with its stdout and stderr captured apart, as a separate process would show them.
MANY = """
import contextlib, io, json, sys
from gru_desktop.cli import main
out = []
for argv in json.loads(sys.argv[1]):
    o, e = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(o), contextlib.redirect_stderr(e):
        try:
            rc = main(argv)
        except SystemExit as exc:  # argparse's usage errors
            rc = exc.code
    out.append({"rc": rc, "stdout": o.getvalue(), "stderr": e.getvalue()})
sys.__stdout__.write(json.dumps(out))
"""


def cli_many(home, *calls: list[str]) -> list[subprocess.CompletedProcess]:
    r = subprocess.run([sys.executable, "-c", MANY, json.dumps([list(map(str, c)) for c in calls])], cwd=REPO,
                       env=_env(home), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return [subprocess.CompletedProcess(c, x["rc"], x["stdout"], x["stderr"]) for c, x in zip(calls, json.loads(r.stdout), strict=True)]


def _many_questions(home, *calls: list[str]) -> list[list[dict]]:
    out = []
    for r in cli_many(home, *(["quiz", *c, "--json"] for c in calls)):
        assert r.returncode == 0, r.stderr
        out.append(json.loads(r.stdout))
    return out


def test_json_questions(trained):
    home, last = trained
    families = set()
    test0, test2, again, by_id, practice = _many_questions(
        home, ["--mode", "test", "--seed", "0"], ["--mode", "test", "--seed", "2"],
        ["latest", "--mode", "test", "--seed", "2"], [str(last["run_id"]), "--mode", "test", "--seed", "2"],
        ["--mode", "practice", "--seed", "2"])
    for qs in (test0, test2):
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
    assert again == qs  # same seed and run: the same questions
    assert by_id == qs
    assert len(practice) == 5


def test_bad_input(trained):
    home, _ = trained
    banana, seed, unknown, nonsense = cli_many(home, ["quiz", "--mode", "banana", "--json"],
                                               ["quiz", "--seed", "-1", "--json"], ["quiz", "99", "--json"],
                                               ["quiz", "nonsense"])
    assert_user_error(banana, "banana")
    assert_user_error(seed, "seed")
    assert_user_error(unknown, "99")
    assert_user_error(nonsense, "nonsense")
    assert_user_error(cli(home, "quiz", "99", "--json"), "99")  # and once in a process of its own


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
        if not correct:  # the misconception in words, not its tag
            assert "Not quite (you " in r.stdout and f"({tag})" not in r.stdout
    qs, _ = _questions(home, "--mode", "practice", "--seed", "5")
    first = qs[0]
    assert rows[0][0] == first["id"] and bool(rows[0][1]) == (first["answer"] == 0)
