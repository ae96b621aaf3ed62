"""Mistakes the CLI can see without torch are refused before torch is imported (~0.2 s instead of ~2.5 s of
CPU): bad settings, probes and canary counts, text that cannot be read, an unknown run. One process runs
them all through `cli.main` and then says whether torch was ever imported."""
from __future__ import annotations

import json
import subprocess
import sys

from cli_helpers import REPO, _env

CASES = [
    ["train", "--seq-len", "0"],
    ["train", "--processes", "0"],
    ["train", "--canaries", "-1"],
    ["train", "--probe", " "],
    ["train", "{missing}"],
    ["train", "{png}"],
    ["train", "{empty}"],
    ["suggest", "999", "the cat"],
    ["suggest", "latest", "the cat"],
    ["suggest", "latest", "the", "--top-k", "0"],
    ["evaluate", "999", "{empty}"],
    ["quiz", "99", "--json"],
    ["runs", "audit", "9"],
    ["runs", "resume", "1"],
    ["runs", "export", "1", "--pt2", "{missing}"],
]

SCRIPT = """
import contextlib, io, json, sys
from gru_desktop.cli import main
out = []
for argv in json.loads(sys.argv[1]):
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse's own usage errors
            code = exc.code
    out.append([code, err.getvalue().strip()])
print(json.dumps({"results": out, "torch": "torch" in sys.modules}))
"""


def test_mistakes_are_refused_before_torch_is_imported(tmp_path):
    (tmp_path / "empty.txt").write_text("  \n", encoding="utf-8")
    (tmp_path / "x.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    names = {"missing": str(tmp_path / "nope.txt"), "png": str(tmp_path / "x.png"), "empty": str(tmp_path / "empty.txt")}
    cases = [[a.format(**names) for a in argv] for argv in CASES]
    r = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(cases)], cwd=REPO, env=_env(tmp_path / "home"),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout.strip().splitlines()[-1])
    for argv, (code, err) in zip(cases, got["results"], strict=True):
        lines = err.splitlines()
        assert code == 2 and len(lines) == 1 and lines[0].startswith("error:"), (argv, code, err)
    assert not got["torch"], "a mistake imported torch before it was refused"
