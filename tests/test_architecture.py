"""The package's module map holds: no import cycles, and the run folder's layout spelled in one module."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import ner_bench

PACKAGE = Path(ner_bench.__file__).parent


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, modules: set[str]) -> set[str]:
    """The package's modules that ``path`` imports, at import time or inside functions alike."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            stem = ".".join(filter(None, [base, node.module or ""]))
            targets = [f"{stem}.{alias.name}" for alias in node.names] + [stem]
        else:
            continue
        # ``from .run_folder import RunFolder`` imports the package, ``from . import threads`` a module; a
        # module's own parent packages are imported before it anyway and are no dependency
        found.update(t for t in targets if t in modules and not name.startswith(f"{t}."))
    return found - {name}


def import_graph() -> dict[str, set[str]]:
    paths = [p for p in PACKAGE.rglob("*.py") if "builtins" not in p.parts]
    modules = {module_name(p) for p in paths}
    return {module_name(p): imported_modules(p, modules) for p in paths}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_package_has_no_import_cycles():
    graph = import_graph()
    assert "ner_bench.run_folder" in graph["ner_bench.runner"]  # the graph sees package imports
    assert cycles(graph) == []


def test_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_run_folder_layout_is_spelled_in_one_module():
    layout = re.compile(r"""/ ["'](cache|fits|evaluations|submitit)["']|["']results\.(csv|parquet)["']""")
    spelled = sorted(module_name(p) for p in PACKAGE.rglob("*.py") if layout.search(p.read_text()))
    assert spelled == ["ner_bench.run_folder.layout"]


def test_every_subpackage_is_listed_for_installation():
    import tomllib

    listed = set(tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {module_name(p.parent / "__init__.py") for p in PACKAGE.rglob("__init__.py") if "builtins" not in p.parts}
    assert found <= listed
