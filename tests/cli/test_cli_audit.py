"""`runs audit` and `train --canaries` (design §17): the JSON's keys, secrets masked in every output (text,
JSON, the data folder's log), a corpus partly or wholly gone, and bad canary counts."""
from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from cli_helpers import assert_user_error, cli  # noqa: E402
from gru_desktop import logs
from gru_desktop.resources import SAMPLE_CORPUS

SECRETS = ["john.smith@example.org", "4111 1111 1111 1234", "+44 20 7946 0958", "DE89 3704 0044 0532 0130 00",
           "a8f93kd02mx7qp41zz", "4821"]
RAW = [*SECRETS, "john.smith", "7946", "0532"]  # nor any telling piece of them
TEXT = ["Please write to john.smith@example.org about the invoice.",
        "My card number is 4111 1111 1111 1234 and it expires soon.",
        "Call me on +44 20 7946 0958 tomorrow.",
        "The reset link is https://accounts.example.com/reset?token=a8f93kd02mx7qp41zz today.",
        "Pay into DE89 3704 0044 0532 0130 00 please.", "My pin is 4821."]


def _no_secret(text: str) -> None:
    for s in RAW:
        assert s not in text, s


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("audit")
    words = Path(SAMPLE_CORPUS).read_text(encoding="utf-8").split()
    a, b = folder / "a.txt", folder / "b.txt"
    a.write_text("\n".join([" ".join(words[i : i + 30]) + "\n" + "\n".join(TEXT) for i in range(0, 300, 30)]),
                 encoding="utf-8")
    b.write_text(" ".join(words[300:600]), encoding="utf-8")
    home = folder / "home"
    r = cli(home, "train", a, b, "--epochs", "2", "--embed-dim", "8", "--hidden-size", "16", "--batch-size", "32",
            "--threads", "1", "--canaries", "1", "--json", timeout=300)
    assert r.returncode == 0, r.stderr
    lines = [json.loads(line) for line in r.stdout.splitlines()]
    return home, a, b, lines, r


def test_train_reports_canary_exposure_each_epoch_masked(trained):
    home, _, _, lines, r = trained
    epochs = [row for row in lines if "epoch" in row]
    assert len(epochs) == 2
    for row in epochs:
        assert set(row["canary_exposure"]) == {"16", "4", "1", "0"}
        assert len(row["canaries"]) == 4 and all("* * * * * *" in c["masked"] for c in row["canaries"])
    shown = json.loads(cli(home, "runs", "show", "latest", "--json").stdout)
    assert [e["canary_exposure"]["by_repeats"] for e in shown["epochs"]] == [e["canary_exposure"] for e in epochs]
    assert shown["canaries"] == 1
    _no_secret(r.stdout + r.stderr)


def test_audit_json_and_text_are_masked(trained):
    home, a, _, _, _ = trained
    r = cli(home, "runs", "audit", "latest", "--json", timeout=300)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert {"spans", "extraction", "canaries"} <= set(data)
    assert set(data["extraction"]) == {"gru", "counts", "sentences"} and data["extraction"]["sentences"] > 0
    assert 0 <= data["extraction"]["gru"] <= 1 and 0 <= data["extraction"]["counts"] <= 1
    kinds = {s["kind"] for s in data["spans"]}
    assert kinds == {"email", "card", "phone", "url", "iban", "number"}
    for s in data["spans"]:
        assert {"kind", "masked", "exposure", "max_exposure", "file", "line"} <= set(s)
        assert s["file"] == str(a) and s["line"] >= 1 and 0 <= s["exposure"] <= s["max_exposure"]
    masked = {s["kind"]: s["masked"] for s in data["spans"]}
    assert masked["email"] == "j***@example.org" and masked["card"] == "41** **** **** 1234"
    assert [c["reps"] for c in data["canaries"]] == [16, 4, 1, 0]
    assert all(len(c["per_epoch"]) == 2 for c in data["canaries"])
    text = cli(home, "runs", "audit", "latest", timeout=300)
    assert text.returncode == 0 and "j***@example.org" in text.stdout and "extraction:" in text.stdout
    log = home / logs.LOG_NAME
    _no_secret(r.stdout + r.stderr + text.stdout + text.stderr + (log.read_text() if log.exists() else ""))
    import storage
    from gru_desktop.jobs.audit import exposed_summary  # what the serve and export warnings call

    _, db = storage.open_store(home, write=False)
    line = exposed_summary(db, data["run_id"])
    assert (line is None) == (data["exposed"] == 0)
    if line is not None:
        assert "exposes" in line and data["spans"][0]["masked"] in line
        _no_secret(line)


def test_a_gone_file_is_said_and_no_text_at_all_is_an_error(trained, tmp_path):
    import shutil

    home, a, b, _, _ = trained
    saved = tmp_path / "b.txt"
    shutil.copy(b, saved)
    b.unlink()
    try:
        r = cli(home, "runs", "audit", "latest", "--json", timeout=300)
        assert r.returncode == 0, r.stderr
        data = json.loads(r.stdout)
        assert any("is gone" in n for n in data["notes"]) and data["spans"]
        assert data["extraction"]["sentences"] == 0  # the split needs the text the run trained on
        a_text = a.read_text()
        a.unlink()
        assert_user_error(cli(home, "runs", "audit", "latest"), "no longer has")
        a.write_text(a_text)
    finally:
        shutil.copy(saved, b)


def test_bad_canary_counts_are_refused(tmp_path):
    # -1 too (and 101): test_core_canaries; here the CLI's one error line and exit 2, before any text is read
    assert_user_error(cli(tmp_path / "home", "train", "--canaries", "-1", "--epochs", "1"), "--canaries")
    assert not (tmp_path / "home" / "runs.db").exists()


def test_the_audit_log_is_masked(tmp_path):
    log = logging.getLogger(logs.LOGGER)
    saved = list(log.handlers), log.level, log.propagate
    try:
        logs.setup(tmp_path)
        from gru_desktop.jobs import audit

        audit.log.warning("could not keep the audit for %s (%s)", "john.smith@example.org", "4111 1111 1111 1234")
        text = (tmp_path / logs.LOG_NAME).read_text(encoding="utf-8")
        assert "j***@example.org" in text and "41** **** **** 1234" in text
        _no_secret(text)
    finally:
        for h in list(log.handlers):
            log.removeHandler(h)
            h.close()
        log.handlers[:], log.level, log.propagate = saved
