"""The Runs page's Privacy… (design §17): the audit runs in a worker and shows masked spans, extraction and
canaries; a model export asks first when the audit found exposed text."""
from __future__ import annotations

import pytest
from PySide6.QtWidgets import QLabel, QTableWidget

from gru_desktop.core.canaries import make_canaries, with_canaries
from gru_desktop.core.config import TrainConfig
from gru_desktop.jobs import runs
from ui_helpers import SENTENCES, autocomplete_loaded, click, private_copy

CFG = TrainConfig(embed_dim=8, hidden_size=16, epochs=2, batch_size=32, lr=0.01, vocab_size=300, threads=1)
SECRET = "My card number is 4111 1111 1111 1234, write to john.smith@example.org."


@pytest.fixture(scope="module")
def audited_home(tmp_path_factory):
    text = tmp_path_factory.mktemp("text") / "mail.txt"
    text.write_text("\n".join((SENTENCES + [SECRET]) * 20), encoding="utf-8")
    home = tmp_path_factory.mktemp("home")
    dataset = runs.prepare([text], CFG)
    dataset = with_canaries(dataset.corpus, CFG, make_canaries(1, CFG.seed))
    events = list(runs.train_run(dataset, CFG, home=home, name="mail"))
    assert events[-1].status == "completed"
    return home


@pytest.fixture
def home(audited_home, tmp_path, monkeypatch):
    monkeypatch.setenv("GRU_DESKTOP_HOME", str(tmp_path / "home"))
    return private_copy(audited_home, tmp_path / "home")


def test_privacy_shows_the_audit_masked_and_an_export_asks_first(qtbot, window):
    page = window.runs_page
    page.start()
    qtbot.waitUntil(lambda: page.model.rowCount() > 0, timeout=10_000)
    page.select_runs([1])
    with qtbot.waitSignal(page.privacy.audited, timeout=120_000):
        click(qtbot, page, "privacyRunButton")
    dialog = page.privacy.dialog
    spans = dialog.findChild(QTableWidget, "privacySpans")
    cells = [spans.item(r, c).text() for r in range(spans.rowCount()) for c in range(spans.columnCount())]
    assert "41** **** **** 1234" in cells and "j***@example.org" in cells
    canaries = dialog.findChild(QTableWidget, "privacyCanaries")
    assert canaries.rowCount() == 4 and canaries.item(0, 0).text() == "16×"
    shown = " ".join(cells + [dialog.findChild(QLabel, n).text() for n in ("privacySummary", "privacyExtraction")])
    assert "extraction" in shown.lower()
    for raw in ("4111 1111", "john.smith", "1111 1234"):
        assert raw not in shown
    dialog.close()
    qtbot.waitUntil(lambda: "exposed" in str(page.selected_runs()[0].get("audit") or ""), timeout=10_000)
    asked = []
    page.privacy.ask = lambda title, text: asked.append(text) or False
    page.run_actions.choose_model("pt2")  # refused at the warning: no file dialog opens
    assert asked and "exposes" in asked[0] and ("41** **** **** 1234" in asked[0] or "j***@example.org" in asked[0])
    assert "4111 1111" not in asked[0]



def test_use_it_elsewhere_warns_before_serving_an_exposed_run(qtbot, window, home):
    from gru_desktop.jobs.audit import audit_run

    page = autocomplete_loaded(qtbot, window)
    page.open_serve_dialog()
    dialog = page.serve_dialog
    label = dialog.findChild(QLabel, "serveWarning")
    with qtbot.waitSignal(dialog.warning_read, timeout=10_000) as read:  # never audited: no warning
        dialog.set_run(1)
    assert read.args == [""] and label.isHidden()
    _, db = runs.open_store(home)
    try:
        assert audit_run(db, 1)["exposed"] >= 1  # the real audit, kept with the run
    finally:
        db.close()
    with qtbot.waitSignal(dialog.warning_read, timeout=10_000):  # read in a worker when the dialog opens
        click(qtbot, page, "useElsewhereButton")
    assert not label.isHidden() and "exposes" in label.text() and dialog.start_button.isEnabled()
    assert "41** **** **** 1234" in label.text() or "j***@example.org" in label.text()
    for raw in ("4111 1111", "john.smith", "1111 1234"):
        assert raw not in label.text()
