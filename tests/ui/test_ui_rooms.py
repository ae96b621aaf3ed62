"""The rooms of ui/ (design §18) import one way: window/ → pages/ → widgets/, workers/. Read from the source
(function-local imports included), so a late import cannot hide a wrong direction."""
from __future__ import annotations

import ast
from pathlib import Path

UI = Path(__file__).resolve().parents[2] / "gru_desktop" / "ui"
ROOMS = ("window", "pages", "widgets", "workers")
MAY_IMPORT = {"window": {"window", "pages", "widgets", "workers"}, "pages": {"pages", "widgets", "workers"},
              "widgets": {"widgets", "workers"},
              "workers": {"workers", "widgets"}}  # warm_up imports the plot widgets to load pyqtgraph early


def _rooms_imported(path: Path, room: str) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module is not None:
            parts = node.module.split(".")
            if node.level == 1:  # from .x: the same room
                found.add(room)
            elif node.level == 2 and parts[0] in ROOMS:  # from ..pages.x
                found.add(parts[0])
            elif node.level == 0 and parts[:2] == ["gru_desktop", "ui"] and len(parts) > 2 and parts[2] in ROOMS:
                found.add(parts[2])
    return found


def test_every_module_of_ui_is_in_a_room():
    loose = [p.name for p in UI.glob("*.py") if p.name != "__init__.py"]
    assert loose == []


def test_rooms_import_one_way():
    wrong = []
    for room in ROOMS:
        for path in (UI / room).glob("*.py"):
            for other in _rooms_imported(path, room) - MAY_IMPORT[room]:
                wrong.append(f"ui/{room}/{path.name} imports ui/{other}")
    assert wrong == []
