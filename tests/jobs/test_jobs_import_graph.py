"""The import graph below the GUI (gru_desktop.core, gru_desktop.jobs, storage, gru_desktop.logs), read from
the source, imports inside functions included:
- it has no circles: a module never imports, at any depth, a module that imports it back (a circle hidden
  behind a function-local import still couples the two modules both ways);
- every import inside a function says why it is there (a comment on its line or above its block): such an
  import is kept only where start-up time needs it (torch, psutil, onnx loading late) or for an optional
  dependency."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("gru_desktop/core", "gru_desktop/jobs", "storage")
MODULES = ("gru_desktop/logs.py",)


def _files() -> list[Path]:
    files = [p for d in PACKAGES for p in sorted((ROOT / d).glob("*.py"))]
    return files + [ROOT / m for m in MODULES]


def _module(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def _imports(path: Path, tree: ast.AST) -> list[tuple[ast.stmt, str, bool]]:
    """(node, imported module, inside a function) for each first-party import of the file."""
    here = _module(path)
    package = here if path.name == "__init__.py" else here.rsplit(".", 1)[0]
    out = []

    def visit(node: ast.AST, nested: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = nested or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.Import):
                out.extend((child, a.name, nested) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - child.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                # `from . import x` / `from .pkg import name`: the submodule when there is one
                for a in child.names:
                    out.append((child, f"{base}.{a.name}" if base else a.name, nested))
            visit(child, inner)

    visit(tree, False)
    return out


def _graph() -> dict[str, set[str]]:
    known = {_module(p) for p in _files()}
    graph: dict[str, set[str]] = {}
    for path in _files():
        edges = set()
        for _, name, _ in _imports(path, ast.parse(path.read_text(encoding="utf-8"))):
            while name and name not in known:  # `from .x import f` → module x; `import storage` → storage
                name = name.rpartition(".")[0]
            if name and name != _module(path) and not _module(path).startswith(name + "."):
                edges.add(name)
        graph[_module(path)] = edges
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found, state, stack = [], {}, []

    def walk(node: str) -> None:
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                found.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                walk(nxt)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            walk(node)
    return found


def test_the_import_graph_below_the_gui_has_no_circles():
    graph = _graph()
    assert "gru_desktop.jobs.blends" in graph and "gru_desktop.core.devices" in graph
    assert _cycles(graph) == []


def _import_or_blank(line: str) -> bool:
    return not line.strip() or line.strip().startswith(("import ", "from "))


def test_every_import_inside_a_function_gives_its_reason():
    missing = []
    for path in _files():
        lines = path.read_text(encoding="utf-8").splitlines()
        for node, _name, nested in _imports(path, ast.parse("\n".join(lines))):
            if not nested:
                continue
            # the block of imports (blank lines between them allowed) this one belongs to, and the line above it
            k = node.lineno - 1
            block = [k]
            while block[0] > 0 and _import_or_blank(lines[block[0] - 1]):
                block.insert(0, block[0] - 1)
            j = k + 1
            while j < len(lines) and lines[j].strip().startswith(("import ", "from ")):
                block.append(j)
                j += 1
            above = lines[block[0] - 1] if block[0] > 0 else ""
            # a comment above the block, or on a line of it, or on the line that opens it (`try:  # why`)
            if "#" not in above and not any("#" in lines[i] for i in block):
                missing.append(f"{path.relative_to(ROOT)}:{node.lineno}: {lines[k].strip()}")
    assert missing == [], "\n".join(sorted(set(missing)))
