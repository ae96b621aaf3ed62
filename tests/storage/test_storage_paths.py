import sys
from pathlib import Path

from storage import data_dir, db_path, ensure_data_dir, model_path


def test_data_dir_honors_gru_desktop_home(monkeypatch, tmp_path):
    monkeypatch.setenv("GRU_DESKTOP_HOME", str(tmp_path / "custom"))
    assert data_dir() == tmp_path / "custom"


def test_empty_gru_desktop_home_is_ignored(monkeypatch, tmp_path):
    monkeypatch.setenv("GRU_DESKTOP_HOME", "")
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert data_dir() == tmp_path / "xdg" / "gru-desktop"


def test_linux_uses_xdg_data_home(monkeypatch, tmp_path):
    monkeypatch.delenv("GRU_DESKTOP_HOME", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert data_dir() == tmp_path / "xdg" / "gru-desktop"


def test_linux_falls_back_to_local_share(monkeypatch, tmp_path):
    monkeypatch.delenv("GRU_DESKTOP_HOME", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert data_dir() == tmp_path / ".local" / "share" / "gru-desktop"


def test_macos_uses_application_support(monkeypatch, tmp_path):
    monkeypatch.delenv("GRU_DESKTOP_HOME", raising=False)
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert data_dir() == tmp_path / "Library" / "Application Support" / "GRU Desktop"


def test_windows_uses_appdata(monkeypatch, tmp_path):
    monkeypatch.delenv("GRU_DESKTOP_HOME", raising=False)
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("APPDATA", str(tmp_path / "Roaming"))
    assert data_dir() == tmp_path / "Roaming" / "GRU Desktop"


def test_windows_without_appdata_falls_back_to_home(monkeypatch, tmp_path):
    monkeypatch.delenv("GRU_DESKTOP_HOME", raising=False)
    monkeypatch.delenv("APPDATA", raising=False)
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert data_dir() == tmp_path / "AppData" / "Roaming" / "GRU Desktop"


def test_data_dir_does_not_create_anything(monkeypatch, tmp_path):
    monkeypatch.setenv("GRU_DESKTOP_HOME", str(tmp_path / "not-yet"))
    data_dir()
    assert not (tmp_path / "not-yet").exists()


def test_ensure_data_dir_creates_home_and_models(tmp_path):
    home = ensure_data_dir(tmp_path / "home")
    assert home == tmp_path / "home"
    assert (home / "models").is_dir()


def test_ensure_data_dir_defaults_to_data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("GRU_DESKTOP_HOME", str(tmp_path / "env-home"))
    assert ensure_data_dir() == tmp_path / "env-home"
    assert (tmp_path / "env-home" / "models").is_dir()


def test_db_and_model_paths():
    home = Path("/somewhere")
    assert db_path(home) == home / "runs.db"
    assert model_path(home, 7) == home / "models" / "7.pt"
