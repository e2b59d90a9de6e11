"""Simulate an install with only the base dependencies and the ``test`` extra.

Every installed distribution outside the dependency closure of ``[project].dependencies`` plus the
``test`` extra of pyproject.toml (torch, cebra, umap-learn, dPCA, numba, pooch, submitit, matplotlib,
pynwb, dandi, ... and what they pull in, e.g. h5py) is made invisible: importing one of its top-level
modules raises ModuleNotFoundError, and importlib.metadata no longer finds it (so pytest does not load
its pytest11 plug-ins either). Enabled for every Python process that has
``tests/support/without_optional`` on PYTHONPATH (its sitecustomize calls :func:`install`)::

    PYTHONPATH=tests/support/without_optional pytest --collect-only -q
    PYTHONPATH=tests/support/without_optional python -c "import ner_bench; ner_bench.run"
    NER_BENCH_KEEP_EXTRAS=test,maze PYTHONPATH=tests/support/without_optional pytest tests/test_mc_maze.py

tests/test_optional_dependencies.py runs the suite's collection this way. Standard library only, plus
``packaging`` (a dependency of pytest).
"""

from __future__ import annotations

import importlib.abc
import importlib.metadata
import os
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PYPROJECT = REPO / "pyproject.toml"
WITHOUT_OPTIONAL = Path(__file__).resolve().parent / "without_optional"  # the folder to put on PYTHONPATH
#: the extras installed besides the base: ``test``, or NER_BENCH_KEEP_EXTRAS (e.g. "test,maze": pip install -e ".[test,maze]")
KEPT_EXTRAS = tuple(filter(None, os.environ.get("NER_BENCH_KEEP_EXTRAS", "test").split(",")))
ALWAYS_KEPT = {"pip", "setuptools", "wheel", "ner-bench"}  # present in any virtual environment / the project

#: the optional package (top-level module) each built-in method needs to fit; the others need the base only.
#: Tests over many methods skip one with ``pytest.importorskip(METHOD_MODULES[name])``.
METHOD_MODULES = {"ner": "cebra", "cebra": "cebra", "cebra-16": "cebra", "cebra-time": "cebra",
                  "cebra-hybrid": "cebra", "umap": "umap", "umap-label": "umap", "dpca": "dPCA", "pivae": "torch",
                  "pivae-posterior": "torch", "gpfa": "elephant", "psid": "PSID"}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def base_requirements() -> list[str]:
    """``[project].dependencies`` and the kept extras, from pyproject.toml (installed metadata as fallback)."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        tomllib = None
    if tomllib is not None and PYPROJECT.is_file():
        project = tomllib.loads(PYPROJECT.read_text())["project"]
        extras = project.get("optional-dependencies", {})
        return list(project.get("dependencies", [])) + [r for extra in KEPT_EXTRAS for r in extras.get(extra, [])]
    from packaging.requirements import Requirement

    kept = []
    for text in importlib.metadata.requires("ner-bench") or []:
        marker = Requirement(text).marker
        if marker is None or any(marker.evaluate({"extra": extra}) for extra in KEPT_EXTRAS):
            kept.append(text)
    return kept


def closure(requirements: list[str]) -> set[str]:
    """Canonical names of the installed distributions that ``requirements`` pull in, transitively."""
    from packaging.requirements import Requirement

    seen: set[tuple[str, frozenset[str]]] = set()
    names: set[str] = set()
    todo = [Requirement(text) for text in requirements]
    while todo:
        requirement = todo.pop()
        key = (canonical(requirement.name), frozenset(requirement.extras))
        if key in seen:
            continue
        seen.add(key)
        try:
            dist = importlib.metadata.distribution(requirement.name)
        except importlib.metadata.PackageNotFoundError:
            continue
        names.add(key[0])
        for text in dist.requires or []:
            needed = Requirement(text)
            marker = needed.marker
            if marker is None or any(marker.evaluate({"extra": extra}) for extra in ("", *requirement.extras)):
                todo.append(needed)
    return names


def blocked_distributions() -> set[str]:
    """Canonical names of the installed distributions a base + test install would not have."""
    kept = closure(base_requirements()) | ALWAYS_KEPT
    installed = {canonical(dist.metadata["Name"]) for dist in importlib.metadata.distributions()}
    return installed - kept


def blocked_modules(distributions: set[str]) -> set[str]:
    """Top-level import names provided only by ``distributions``."""
    providers: dict[str, set[str]] = {}
    for module, dists in importlib.metadata.packages_distributions().items():
        if module.isidentifier():
            providers.setdefault(module, set()).update(canonical(d) for d in dists)
    return {module for module, dists in providers.items() if dists <= distributions}


class OptionalBlocker(importlib.abc.MetaPathFinder):
    """Makes importing a blocked top-level module (or any submodule of it) raise ModuleNotFoundError."""

    def __init__(self, modules: set[str], distributions: set[str]):
        self.modules = frozenset(modules)
        self.distributions = frozenset(distributions)

    def find_spec(self, fullname, path=None, target=None):
        if fullname.partition(".")[0] in self.modules:
            raise ModuleNotFoundError(f"No module named {fullname!r} (optional dependency hidden by "
                                      f"tests/support/optional_deps.py)", name=fullname)
        return None


def install() -> OptionalBlocker:
    """Hide the optional distributions from imports and from importlib.metadata in this process."""
    for finder in sys.meta_path:
        if isinstance(finder, OptionalBlocker):
            return finder
    distributions = blocked_distributions()
    blocker = OptionalBlocker(blocked_modules(distributions), distributions)
    imported = sorted(name for name in sys.modules if name.partition(".")[0] in blocker.modules)
    if imported:
        raise RuntimeError(f"optional modules imported before the blocker was installed: {', '.join(imported)}")
    sys.meta_path.insert(0, blocker)

    discover = importlib.metadata.Distribution.discover.__func__

    def discover_kept(cls, **kwargs):
        return (dist for dist in discover(cls, **kwargs)
                if canonical(dist.metadata["Name"] or "") not in blocker.distributions)

    importlib.metadata.Distribution.discover = classmethod(discover_kept)
    return blocker


def active() -> OptionalBlocker | None:
    """The installed blocker, if this process runs without the optional dependencies."""
    return next((finder for finder in sys.meta_path if isinstance(finder, OptionalBlocker)), None)
