"""The warning before a model leaves the app (design §17): a run whose kept memorisation audit (the real
audit, on a tiny run trained on mail with a card number and an address in it twenty times) found exposed text
gets a `warning:` line before `runs export` writes its model or n-grams (and still exports), before `serve`
serves it (and `"warning"` in the ready line and `/v1/models`), and a `window/showMessage` Warning from `lsp`.
A run never audited, or a CSV of metrics, gets none. Secrets stay masked in every warning."""
from __future__ import annotations

import asyncio
import http.client
import json
import subprocess
import sys

import pytest
from lsprotocol import types
from pytest_lsp import make_test_lsp_client

from serve_helpers import REPO, cli, env  # noqa: E402

SENTENCES = ["the cat sat on the mat.", "the dog sat on the rug.", "my cat likes warm milk.",
             "we walked to the park today.", "thank you for your letter."]
SECRET = "My card number is 4111 1111 1111 1234, write to john.smith@example.org."
RAW = ("4111 1111", "1111 1234", "john.smith")


@pytest.fixture(scope="module")
def exposed(tmp_path_factory):
    """(home, the audited run's id, its warning line, a run never audited): trained and audited in-process."""
    import storage
    from gru_desktop.core.config import TrainConfig
    from gru_desktop.jobs import runs
    from gru_desktop.jobs.audit import audit_run, exposed_summary

    folder = tmp_path_factory.mktemp("exposed")
    home = folder / "home"
    cfg = TrainConfig(embed_dim=8, hidden_size=16, epochs=2, batch_size=32, lr=0.01, vocab_size=300, threads=1)
    ids = []
    for name, lines in (("mail", SENTENCES + [SECRET]), ("plain", SENTENCES)):
        text = folder / f"{name}.txt"
        text.write_text("\n".join(lines * 20), encoding="utf-8")
        events = list(runs.train_run(runs.prepare([text], cfg), cfg, home=home, name=name))
        assert events[-1].status == "completed"
        ids.append(events[-1].run_id)
    _, db = storage.open_store(home)
    try:
        audit = audit_run(db, ids[0])
        warning = exposed_summary(db, ids[0])
        assert exposed_summary(db, ids[1]) is None  # never audited: no warning
    finally:
        db.close()
    assert audit["exposed"] >= 1 and warning and "exposes" in warning, audit["spans"][:3]
    assert not any(raw in warning for raw in RAW)
    return home, ids[0], warning, ids[1]


def _warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("warning:")]


def test_runs_export_warns_first_and_still_exports(exposed, tmp_path):
    home, run_id, warning, _ = exposed  # (a run never audited has no warning: the fixture, and /v1/models below)
    r = cli(home, "runs", "export", run_id, "--arpa", tmp_path / "a.arpa", "--presage", tmp_path / "p.db",
            "--csv", tmp_path / "m.csv")
    assert r.returncode == 0, r.stderr
    assert _warnings(r.stderr) == [f"warning: {warning}"]
    assert (tmp_path / "a.arpa").read_text().startswith("\\data\\") and (tmp_path / "p.db").stat().st_size > 0
    assert not any(raw in r.stderr + r.stdout for raw in RAW)


def test_serve_warns_at_start_and_in_the_ready_line_and_models(exposed):
    home, run_id, warning, plain = exposed
    proc = subprocess.Popen([sys.executable, "-m", "gru_desktop", "serve", str(run_id), "--port", "0", "--json",
                             "--exit-with-stdin"], cwd=REPO, env=env(home), stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        info = json.loads(proc.stdout.readline() or "null")
        assert info and info["warning"] == warning and info["run"] == run_id
        token = (home / "serve-token").read_text().strip()
        conn = http.client.HTTPConnection("127.0.0.1", info["port"], timeout=10)
        conn.request("GET", "/v1/models", headers={"Authorization": f"Bearer {token}"})
        models = {m["id"]: m for m in json.loads(conn.getresponse().read())["data"]}
        conn.close()
        assert models[f"run-{run_id}"]["warning"] == warning and models[f"run-{plain}"]["warning"] is None
    finally:
        _, err = proc.communicate(timeout=30)  # closes its stdin: --exit-with-stdin ends it
    assert _warnings(err) == [f"warning: {warning}"] and proc.returncode == 0


@pytest.mark.asyncio
async def test_lsp_shows_a_warning_once_after_initialize(exposed, capfd):
    home, run_id, warning, _ = exposed
    client = make_test_lsp_client()
    await client.start_io(sys.executable, "-m", "gru_desktop", "lsp", str(run_id), env=env(home), cwd=REPO)
    await client.initialize_session(types.InitializeParams(capabilities=types.ClientCapabilities()))
    await asyncio.wait_for(client.wait_for_notification(types.WINDOW_SHOW_MESSAGE), 30)
    shown = [m for m in client.messages if m.type == types.MessageType.Warning]
    assert [m.message for m in shown] == [warning]
    await client.shutdown_session()
    assert await asyncio.wait_for(client._server.wait(), 30) == 0
    await asyncio.sleep(0.2)  # pytest-lsp forwards the server's stderr to ours, line by line
    assert _warnings(capfd.readouterr().err) == [f"warning: {warning}"]
