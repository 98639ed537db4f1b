"""The test modules stand on the packages and on shared helpers only: nothing from `bench/`
(benchmarks are run as commands), no test module from another, no module loaded by its path."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
BENCH_MODULES = {p.stem for p in (TESTS.parent / "bench").glob("*.py")} | {"bench"}


def imported(tree: ast.AST) -> set[str]:
    """Top-level names of the modules a module imports, anywhere in it."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def loads_by_path(tree: ast.AST) -> bool:
    return any(
        isinstance(node, ast.Attribute) and node.attr == "spec_from_file_location"
        for node in ast.walk(tree)
    )


@pytest.mark.parametrize("path", sorted(TESTS.glob("*.py")), ids=lambda p: p.name)
def test_a_test_module_imports_no_benchmark_and_no_other_test_module(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = imported(tree)
    assert not names & BENCH_MODULES, f"{path.name} imports {names & BENCH_MODULES} from bench/"
    tests = {n for n in names if n.startswith("test_") or n == "tests"}
    assert not tests, f"{path.name} imports the test modules {tests}: move shared code to helpers"
    assert not loads_by_path(tree), f"{path.name} loads a module by its path"


def test_the_checks_see_the_imports_they_refuse() -> None:
    bad = ast.parse(
        "import importlib.util\nfrom test_export import dump\nimport benchlib\n"
        "spec = importlib.util.spec_from_file_location('g', 'bench/graphgen.py')\n"
    )
    assert {"test_export", "benchlib"} <= imported(bad) and loads_by_path(bad)
