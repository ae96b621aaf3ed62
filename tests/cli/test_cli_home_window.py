"""`gru-desktop --home DIR` with no command opens the window on DIR (it used to open the default folder)."""
from __future__ import annotations

import pytest

from storage.paths import HOME_ENV


@pytest.mark.parametrize("argv", [["--home", "{tmp}"], []])
def test_window_gets_the_home_given_on_the_command_line(tmp_path, monkeypatch, argv):
    from gru_desktop import cli
    from gru_desktop.ui.window import app

    monkeypatch.setenv(HOME_ENV, "/the/folder/from/the/environment")  # restored after the test
    seen = []
    monkeypatch.setattr(app, "run", lambda: seen.append(__import__("os").environ[HOME_ENV]) or 0)
    assert cli.main([a.format(tmp=tmp_path) for a in argv]) == 0
    expected = str(tmp_path) if argv else "/the/folder/from/the/environment"
    assert seen == [expected]
