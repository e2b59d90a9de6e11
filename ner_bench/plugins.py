"""Plug-in discovery: built-ins (the project's methods/, datasets/, tasks/ folders, installed as
``ner_bench.builtins.*``), a user's files (``--plugin FILE``) and other packages' entry points
(group ``ner_bench.plugins``). The engine never imports a plug-in by name."""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import importlib.util
import inspect
import logging
import pkgutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Iterable, Sequence

from .dataset import Dataset
from .errors import PluginError
from .method import Method
from .task import Task

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "ner_bench.plugins"
BUILTIN_PACKAGES = ("ner_bench.builtins.methods", "ner_bench.builtins.datasets", "ner_bench.builtins.tasks")
KINDS = {"methods": Method, "datasets": Dataset, "tasks": Task}


@dataclass
class Registry:
    """Every known plug-in class by kind and name, with where each came from."""

    methods: dict[str, type[Method]] = field(default_factory=dict)
    datasets: dict[str, type[Dataset]] = field(default_factory=dict)
    tasks: dict[str, type[Task]] = field(default_factory=dict)
    origins: dict[tuple[str, str], str] = field(default_factory=dict)
    #: built-in modules that could not be imported (an optional dependency is missing), with the reason
    unavailable: dict[str, str] = field(default_factory=dict)

    def add_module(self, module: ModuleType, origin: str, require: bool = False) -> int:
        """Register the named Method/Dataset/Task classes defined in ``module``; returns how many."""
        found = 0
        for obj in vars(module).values():
            if not inspect.isclass(obj) or obj.__module__ != module.__name__ or inspect.isabstract(obj):
                continue
            for kind, base in KINDS.items():
                if issubclass(obj, base) and getattr(obj, "name", ""):
                    missing = missing_dependency(obj)
                    if missing:
                        self.unavailable[f"{module.__name__}.{obj.name.replace('-', '_')}"] = (
                            f"No module named {missing!r} (install the optional dependencies: "
                            "pip install 'ner-bench[all]')")
                        continue
                    self._add(kind, obj, origin)
                    found += 1
        if require and not found:
            raise PluginError(f"plug-in {origin} defines no usable Method, Dataset or Task: expected a "
                              "non-abstract subclass of ner_bench.Method/Dataset/Task with a 'name'")
        return found

    def _add(self, kind: str, cls: type, origin: str) -> None:
        table = getattr(self, kind)
        if cls.name in table and table[cls.name] is not cls:
            previous = self.origins[(kind, cls.name)]
            raise PluginError(f"{kind[:-1]} name {cls.name!r} is defined twice: in {previous} and in {origin}")
        table[cls.name] = cls
        self.origins[(kind, cls.name)] = origin

    def get(self, kind: str, name: str) -> type:
        table = getattr(self, kind)
        if name not in table:
            module = next((m for m in self.unavailable if m.rsplit(".", 1)[-1] == name.replace("-", "_")), None)
            if module:
                raise PluginError(f"{kind[:-1]} {name!r} is not available: {self.unavailable[module]}")
            raise PluginError(f"unknown {kind[:-1]} {name!r}; available: {', '.join(sorted(table)) or 'none'}")
        return table[name]

    def describe(self, kind: str) -> list[tuple[str, str]]:
        return [(name, cls.description) for name, cls in sorted(getattr(self, kind).items())]


def missing_dependency(cls: type) -> str | None:
    """The first of a method's declared ``dependencies`` that is not installed (found without importing it)."""
    for name in getattr(cls, "dependencies", ()):
        try:
            if importlib.util.find_spec(name) is None:
                return name
        except (ImportError, ValueError):
            return name
    return None


def discover(plugin_files: Sequence[str | Path] = (), entry_points: bool = True) -> Registry:
    """Build the registry: built-ins, then installed entry points, then the given plug-in files."""
    registry = Registry()
    for package_name in BUILTIN_PACKAGES:
        for module in _iter_package(package_name, registry.unavailable):
            registry.add_module(module, f"built-in {module.__name__}")
    if entry_points:
        for entry in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            _add_entry_point(registry, entry)
    for path in plugin_files:
        registry.add_module(load_plugin_file(path), f"plug-in file {path}", require=True)
    return registry


def _iter_package(package_name: str, unavailable: dict[str, str]) -> Iterable[ModuleType]:
    """The package's public modules; one whose optional dependency is missing is noted, not fatal."""
    package = importlib.import_module(package_name)
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        name = f"{package_name}.{info.name}"
        try:
            yield importlib.import_module(name)
        except ImportError as error:
            unavailable[name] = f"{error} (install the optional dependencies: pip install 'ner-bench[all]')"
            log.info("built-in %s unavailable: %s", name, error)


def _add_entry_point(registry: Registry, entry: importlib.metadata.EntryPoint) -> None:
    origin = f"entry point {entry.name} = {entry.value}"
    try:
        loaded = entry.load()
    except Exception as error:  # a broken third-party package must not break the tool
        log.warning("skipping %s: %s", origin, error)
        return
    if inspect.ismodule(loaded):
        registry.add_module(loaded, origin, require=True)
        return
    for kind, base in KINDS.items():
        if inspect.isclass(loaded) and issubclass(loaded, base):
            registry._add(kind, loaded, origin)
            return
    raise PluginError(f"{origin} is neither a module nor a Method, Dataset or Task class")


def load_plugin_file(path: str | Path) -> ModuleType:
    """Import a user's plug-in file under a private module name derived from its absolute path; a file
    edited since it was imported in this session is imported again (a notebook sees the edit)."""
    file = Path(path).expanduser().resolve()
    if not file.is_file() or file.suffix != ".py":
        raise PluginError(f"plug-in file {path}: not found or not a .py file")
    module_name = "ner_bench_plugin_" + hashlib.sha1(str(file).encode()).hexdigest()[:12]
    source_hash = hashlib.sha256(file.read_bytes()).hexdigest()
    loaded = sys.modules.get(module_name)
    if loaded is not None and getattr(loaded, "__ner_bench_source_hash__", None) == source_hash:
        return loaded
    spec = importlib.util.spec_from_file_location(module_name, file)
    module = importlib.util.module_from_spec(spec)
    module.__ner_bench_source_hash__ = source_hash
    sys.modules[module_name] = module  # dataclasses and pickling look the module up by name
    try:
        spec.loader.exec_module(module)
    except Exception as error:
        del sys.modules[module_name]
        raise PluginError(f"plug-in file {path} failed to import: {type(error).__name__}: {error}") from error
    return module
