"""The house rules of ARCHITECTURE.md, checked on the source (issue 10): the domain never
imports views or the CLI, no import cycle between modules, no module over 400 lines, and the
models are imported from `admints.models` only."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "admints"
MAX_LINES = 400


def _modules() -> dict[str, tuple[Path, list[str]]]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
            package = parts
        else:
            package = parts[:-1]
        out[".".join(parts)] = (path, package)
    return out


def _imports() -> dict[str, set[str]]:
    """Module → the admints modules it imports (module level and inside functions)."""
    modules = _modules()
    edges: dict[str, set[str]] = {name: set() for name in modules}
    for name, (path, package) in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package[:len(package) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                not_modules = False
                for alias in node.names:
                    child = f"{target}.{alias.name}"
                    if child in modules:
                        edges[name].add(child)
                    else:
                        not_modules = True
                if not_modules and target in modules:
                    edges[name].add(target)
            elif isinstance(node, ast.Import):
                edges[name].update(a.name for a in node.names if a.name in modules)
        edges[name].discard(name)
    return edges


def test_architecture_domain_never_imports_views_or_cli():
    edges = _imports()
    upward = sorted((m, t) for m, targets in edges.items() for t in targets
                    if not m.startswith(("admints.views", "admints.cli"))
                    and m != "admints"  # the factory wires views and the CLI in
                    and t.startswith(("admints.views", "admints.cli")))
    assert upward == []


def test_architecture_no_import_cycle():
    edges = _imports()
    # The factory (admints/__init__) imports everything and nothing imports it back for code.
    edges = {m: {t for t in ts if t != "admints"} for m, ts in edges.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in edges:
        if node not in index:
            visit(node)
    assert cycles == []


def test_architecture_small_modules():
    big = {str(path.relative_to(ROOT)): n for path, _ in _modules().values()
           if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert big == {}


def test_architecture_models_imported_from_the_package():
    offenders = []
    for path in list(PACKAGE.rglob("*.py")) + list((ROOT / "tests").rglob("*.py")) + \
            list((ROOT / "bench").glob("*.py")):
        if path.parent.name == "models" and path.parent.parent == PACKAGE:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and \
                    ".models." in f".{node.module}." and not node.module.endswith("models"):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []
