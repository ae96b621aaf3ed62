"""*Use it elsewhere…* (design §16): from the Autocomplete page, start the server for the picked run as a child
process, read its address, copy the token and a configuration, stop it; export n-grams in a worker; closing the
window ends a server started from it."""
from __future__ import annotations

import http.client
import json
import os
import time

import pytest
from PySide6.QtWidgets import QApplication

from gru_desktop.core.config import TrainConfig
from ui_helpers import autocomplete_loaded, train_runs

CFG = TrainConfig(embed_dim=16, hidden_size=32, epochs=2, batch_size=32, vocab_size=200)


@pytest.fixture(scope="module")
def trained_home(tmp_path_factory):
    return train_runs(tmp_path_factory, {"small": CFG})


@pytest.fixture
def dialog(qtbot, window):
    page = autocomplete_loaded(qtbot, window)
    page.findChild(type(page.elsewhere_button), "useElsewhereButton").click()
    d = page.serve_dialog
    qtbot.waitUntil(lambda: d.token is not None, timeout=10_000)
    return d


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as fh:  # a zombie (exited, not yet reaped) counts as ended
        return fh.read().split(")")[-1].split()[0] != "Z"


def test_start_copy_stop(qtbot, window, dialog, home):
    assert dialog.run_id == window.autocomplete.run["id"] and dialog.isVisible()
    assert dialog.token == (home / "serve-token").read_text().strip()
    dialog.copy_token_button.click()
    assert QApplication.clipboard().text() == dialog.token
    dialog.port_spin.setValue(0)
    with qtbot.waitSignal(dialog.server_changed, check_params_cb=lambda s: s == "serving", timeout=60_000):
        dialog.start_button.click()
    assert dialog.address.text().startswith("http://127.0.0.1:") and dialog.start_button.text() == "Stop"
    port = int(dialog.url.rsplit(":", 1)[1].split("/")[0])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("POST", "/v1/suggest", body=json.dumps({"text": "the cat sat on the "}),
                 headers={"Authorization": f"Bearer {dialog.token}"})
    r = conn.getresponse()
    assert r.status == 200 and json.loads(r.read())["run"] == dialog.run_id
    conn.close()
    dialog.tool_combo.setCurrentText("Continue")
    dialog.copy_snippet_button.click()
    text = QApplication.clipboard().text()
    assert dialog.url in text and dialog.token in text and f"run-{dialog.run_id}" in text
    with qtbot.waitSignal(dialog.server_changed, check_params_cb=lambda s: s == "stopped", timeout=20_000):
        dialog.start_button.click()
    assert dialog.address.text() == "—" and dialog.start_button.text() == "Start"


def test_port_in_use_is_shown(qtbot, dialog):
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    dialog.port_spin.setValue(s.getsockname()[1])
    with qtbot.waitSignal(dialog.server_changed, check_params_cb=lambda st: st == "failed", timeout=60_000):
        dialog.start_server()
    assert "in use" in dialog.status.text()
    s.close()


def test_closing_the_window_ends_the_server(qtbot, window, dialog):
    dialog.port_spin.setValue(0)
    with qtbot.waitSignal(dialog.server_changed, check_params_cb=lambda s: s == "serving", timeout=60_000):
        dialog.start_server()
    pid = int(dialog.process.processId())
    assert _alive(pid)
    window.close()
    deadline = time.monotonic() + 15
    while _alive(pid) and time.monotonic() < deadline:
        qtbot.wait(100)
    assert not _alive(pid)


def test_export_in_a_worker(qtbot, dialog, tmp_path):
    target = tmp_path / "run.arpa"
    with qtbot.waitSignal(dialog.exported, timeout=60_000):
        dialog.export(str(target), "arpa", "counts")
    assert target.read_text().startswith("\\data\\") and "wrote" in dialog.export_status.text()
    dialog.export(str(tmp_path / "no-folder" / "x.db"), "presage", "counts")
    qtbot.waitUntil(lambda: "export failed" in dialog.export_status.text(), timeout=30_000)
    assert "does not exist" in dialog.export_status.text()


def test_runs_page_opens_it_for_the_selected_run(qtbot, window):
    page = window.runs_page
    page.start()  # reads the runs in a worker
    qtbot.waitUntil(lambda: page.model.rowCount() > 0, timeout=20_000)
    page.select_runs([1])
    qtbot.waitUntil(lambda: page.buttons["ngrams"].isEnabled(), timeout=10_000)
    page.buttons["ngrams"].click()
    d = window.autocomplete.serve_dialog
    assert d is not None and d.isVisible() and d.run_id == 1 and d.export_button.isEnabled()
