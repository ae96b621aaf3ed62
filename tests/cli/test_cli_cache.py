"""The token cache from the command line: filled by `train`, a damaged entry rebuilt with a warning,
`cache` shows it and `cache clear` empties it."""
from __future__ import annotations

import json

from cli_helpers import cli

TINY = ["--epochs", "1", "--embed-dim", "8", "--hidden-size", "8", "--threads", "1", "--json"]


def test_train_fills_the_cache_and_a_damaged_entry_is_rebuilt(tmp_path):
    home = tmp_path / "home"
    text = tmp_path / "t.txt"
    text.write_text("The cat sat on the mat. The dog sat on the log. " * 50)
    r = cli(home, "train", str(text), *TINY)
    assert r.returncode == 0, r.stderr
    shown = json.loads(cli(home, "cache", "--json").stdout)
    assert len(shown["entries"]) == 1 and shown["entries"][0]["bytes"] > 0
    entry = home / "cache" / shown["entries"][0]["key"]
    raw = bytearray((entry / "ids.npy").read_bytes())
    raw[-1] ^= 0x01
    (entry / "ids.npy").write_bytes(bytes(raw))
    r = cli(home, "train", str(text), *TINY)
    assert r.returncode == 0, r.stderr
    assert "warning: cache entry" in r.stderr and "rebuilt" in r.stderr
    first = [json.loads(x) for x in r.stdout.splitlines() if "\"epoch\"" in x]
    assert first  # trained on the rebuilt ids
    r = cli(home, "cache", "clear", "--json")
    assert json.loads(r.stdout)["removed"] == 1
    assert json.loads(cli(home, "cache", "--json").stdout)["entries"] == []
