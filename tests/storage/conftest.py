"""Shared fixtures for the storage tests: a fresh database per test."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlite_utils import Database

from storage import create_run, open_db


@pytest.fixture
def db(tmp_path) -> Iterator[Database]:
    database = open_db(tmp_path / "runs.db")
    yield database
    database.close()


@pytest.fixture
def make_run(db) -> Callable[..., int]:
    """Create a run with sensible defaults; keyword arguments override them."""

    def make(**overrides: Any) -> int:
        fields = {
            "name": "test run",
            "config": {"hidden": 64, "lr": 0.01},
            "corpus": "tiny corpus",
            "corpus_sha256": "ab" * 32,
            "vocab_size": 50,
            "epochs_planned": 3,
        }
        fields.update(overrides)
        return create_run(db, **fields)

    return make


@pytest.fixture(scope="session")
def dead_pid() -> int:
    """The pid of a process that has already exited."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid
