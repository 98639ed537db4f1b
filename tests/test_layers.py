"""The top-level packages form layers: each imports only those below it, so no import cycle.

core → ontology → ingest → export → api → rightsgraph (the CLI). `queries` holds Cypher files
and a loader only. A new import that points upwards (or a new cycle) fails here.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("core", "ontology", "queries", "ingest", "export", "api", "rightsgraph")


def package_imports() -> dict[str, dict[str, set[str]]]:
    """{package: {imported package: {"module -> imported module", ...}}} over every import,
    including those inside functions."""
    edges: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for package in LAYERS:
        for path in sorted((ROOT / package).rglob("*.py")):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top in LAYERS and top != package:
                        edges[package][top].add(f"{module} -> {name}")
    return edges


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of `graph` as a list of nodes (first == last), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_find_cycle_finds_one() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}}) is None


def test_no_import_cycle_between_top_level_packages() -> None:
    edges = package_imports()
    graph = {pkg: set(targets) for pkg, targets in edges.items()}
    cycle = find_cycle(graph)
    if cycle:
        detail = [sorted(edges[a][b])[0] for a, b in zip(cycle, cycle[1:], strict=False)]
        raise AssertionError(f"import cycle {' -> '.join(cycle)}: {detail}")


def test_every_import_points_down_the_layers() -> None:
    rank = {pkg: i for i, pkg in enumerate(LAYERS)}
    upward = [
        example
        for pkg, targets in package_imports().items()
        for target, examples in targets.items()
        if rank[target] > rank[pkg]
        for example in sorted(examples)
    ]
    assert not upward, "imports pointing up the layers:\n" + "\n".join(upward)
