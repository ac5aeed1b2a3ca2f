"""Domains import one way: a package may import only the packages below it.

Every import counts, including those inside functions: a function-local import is still
a dependency, and hiding a cycle in one is how the code base used to hold together.
"""

from __future__ import annotations

import ast
import itertools
from collections import defaultdict
from pathlib import Path

QC = Path(__file__).resolve().parents[1] / "qc"

# Bottom to top. The composition modules (qc/app.py, qc/cli.py, qc/wiring.py, qc/models.py)
# and the infrastructure modules (qc/config.py, qc/db.py, qc/errors.py) are not packages.
LAYERS = [
    "kit",
    "jobs",
    "users",
    "calls",
    "transcription",
    "scoring",
    "reviews",
    "evaluations",
    "feedback",
    "coaching",
    "training",
    "notifications",
    "privacy",
    "browse",
    "performance",
    "reports",
    "board",
    "digest",
    "demo",
]
NOT_DOMAINS = {"migrations"}


def _packages() -> list[str]:
    return sorted(p.name for p in QC.iterdir() if (p / "__init__.py").exists() and p.name not in NOT_DOMAINS)


def _imported_packages(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "qc" and len(parts) > 1 and (QC / parts[1] / "__init__.py").exists():
                found.add(parts[1])
    return found


def package_graph() -> dict[str, dict[str, list[str]]]:
    """package -> imported package -> the files that import it."""
    graph: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for package in _packages():
        for path in sorted((QC / package).rglob("*.py")):
            for target in _imported_packages(path) - {package, *NOT_DOMAINS}:
                graph[package][target].append(str(path.relative_to(QC.parent)))
    return graph


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle in a directed graph, as a path that ends where it starts; None if acyclic."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_cycle_finder_finds_cycles() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"x": {"x"}}) == ["x", "x"]


def test_no_import_cycle_between_packages() -> None:
    graph = package_graph()
    cycle = find_cycle({package: set(targets) for package, targets in graph.items()})
    if cycle:
        steps = [f"  {a} -> {b} in {', '.join(graph[a][b])}" for a, b in itertools.pairwise(cycle)]
        raise AssertionError("import cycle between qc packages:\n" + "\n".join(steps))


def test_every_package_has_a_layer() -> None:
    missing = [p for p in _packages() if p not in LAYERS]
    assert not missing, f"add {missing} to LAYERS in {Path(__file__).name}, above what they import"


def test_packages_import_only_downwards() -> None:
    rank = {name: i for i, name in enumerate(LAYERS)}
    upward = [
        f"{package} ({', '.join(files)}) imports {target}, which sits above it"
        for package, targets in package_graph().items()
        for target, files in targets.items()
        if rank.get(target, -1) > rank.get(package, len(LAYERS))
    ]
    assert not upward, "\n".join(upward)
