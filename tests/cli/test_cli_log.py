"""The app's one log (gru_desktop/logs.py): a rotating file in the data folder, created only when something
is logged, never the thing that fails; `warning:` lines on stderr for the CLI; a bug's traceback in the file."""
from __future__ import annotations

import logging

import pytest

from cli_helpers import cli, cli_patched  # noqa: E402
from gru_desktop import logs


@pytest.fixture
def restore_logger():
    log = logging.getLogger(logs.LOGGER)
    saved = list(log.handlers), log.level, log.propagate
    yield log
    for h in list(log.handlers):
        log.removeHandler(h)
        h.close()
    log.handlers[:], log.level, log.propagate = saved[0], saved[1], saved[2]


def test_the_file_appears_with_the_first_record_and_rotates(tmp_path, restore_logger, monkeypatch):
    home = tmp_path / "data"
    monkeypatch.setattr(logs, "MAX_BYTES", 2000)
    log = logs.setup(home)
    assert not home.exists() and logs.log_file() is None  # nothing logged, nothing made
    for i in range(100):
        logging.getLogger("gru_desktop.jobs.runs").warning("warning number %d with some words to fill the line", i)
    assert logs.log_file() == home / logs.LOG_NAME
    files = sorted(p.name for p in home.iterdir())
    assert files == [logs.LOG_NAME, *(f"{logs.LOG_NAME}.{k}" for k in range(1, logs.BACKUPS + 1))]
    assert all(p.stat().st_size <= 2000 for p in home.iterdir())
    assert "warning number 99" in (home / logs.LOG_NAME).read_text(encoding="utf-8")
    assert log is logging.getLogger("gru_desktop")


def test_a_log_that_cannot_be_written_stays_quiet(tmp_path, restore_logger, capsys):
    (tmp_path / logs.LOG_NAME).mkdir()  # a folder where the file should be: opening it fails, even as root
    logs.setup(tmp_path, stderr=True)
    logging.getLogger("gru_desktop.x").warning("disk says no")
    assert logs.log_file() is None
    assert capsys.readouterr().err == "warning: disk says no\n"  # the stderr line, no "--- Logging error ---"


def test_stderr_lines_keep_the_cli_prefixes_and_leave_tracebacks_to_the_file(tmp_path, restore_logger, capsys):
    logs.setup(tmp_path, stderr=True)
    logging.getLogger("gru_desktop.a").info("no baseline for a corpus this big")
    logging.getLogger("gru_desktop.a").warning("the checkpoint could not be written")
    try:
        raise ValueError("a bug")
    except ValueError:
        logging.getLogger("gru_desktop.a").error("unexpected", exc_info=True, extra={"file_only": True})
    assert capsys.readouterr().err.splitlines() == ["note: no baseline for a corpus this big",
                                                    "warning: the checkpoint could not be written"]
    text = (tmp_path / logs.LOG_NAME).read_text(encoding="utf-8")
    assert "Traceback" in text and "ValueError: a bug" in text and "INFO gru_desktop.a" in text


def test_a_bug_in_a_command_is_one_line_with_the_traceback_in_the_log(tmp_path):
    patch = """
        import gru_desktop.jobs.cache_folder as cache_folder
        def broken(*a, **k):
            raise ZeroDivisionError("a bug in the job")
        cache_folder.token_cache = broken
    """
    r = cli_patched(tmp_path, patch, "cache")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: unexpected ZeroDivisionError: a bug in the job")
    assert f"details in {tmp_path / logs.LOG_NAME}" in lines[0]
    text = (tmp_path / logs.LOG_NAME).read_text(encoding="utf-8")
    assert "unexpected error in `gru-desktop cache`" in text and "Traceback" in text and "a bug in the job" in text


def test_a_command_that_logs_nothing_makes_no_data_folder(tmp_path):
    home = tmp_path / "never"
    r = cli(home, "cache", "--json")
    assert r.returncode == 0, r.stderr
    assert not (home / logs.LOG_NAME).exists()
