"""Stored task evaluations: the metric rows of one (task, unit, fits, protocol, seed) as JSON in the run
folder, so that a rerun whose fits are all cached finishes in seconds instead of refitting
every decoder.

A stored evaluation is only reused when nothing that could change it has changed: its key holds the
keys of the fits it scored (so the method, its parameters and the data), the task and its options
(``cross-session[alignment=none]`` is not ``cross-session``), the protocol, the seed
and a fingerprint of the scoring code: every source file of ner-bench and of its built-in plug-ins, the
task's own file, and the versions of the numeric libraries. Editing any of them re-evaluates everything
(the fits stay cached); a stale number is never served.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import inspect
import json
import logging
from pathlib import Path
from typing import Any, Sequence

from .. import provenance
from ..hashing import content_key, plain
from ..protocol import Protocol
from ..task import Task
from .files import atomic_write_bytes

log = logging.getLogger(__name__)

_CODE_PACKAGES = ("ner_bench", "ner_bench.builtins.methods", "ner_bench.builtins.datasets",
                  "ner_bench.builtins.tasks")


def code_fingerprint(tasks: Sequence[Task]) -> str:
    """A hash of the code and library versions that turn embeddings into metric rows."""
    digest = hashlib.sha256(provenance.versions_json().encode())
    files: set[Path] = set()
    for name in _CODE_PACKAGES:
        for folder in importlib.import_module(name).__path__:
            files.update(Path(folder).rglob("*.py"))
    for task in tasks:
        source = inspect.getsourcefile(type(task))
        if source:
            files.add(Path(source))
    for path in sorted(files):
        digest.update(str(path.name).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def evaluation_key(task: Task, fit_keys: Sequence[str], protocol: Protocol, seed: int, fingerprint: str) -> str:
    """The key of one unit's stored rows: everything that could change them (see the module docstring)."""
    return content_key({"task": task.name, "task_class": f"{type(task).__module__}.{type(task).__qualname__}",
                        "options": task.options, "fits": list(fit_keys), "protocol": dataclasses.asdict(protocol),
                        "seed": seed, "code": fingerprint})


class EvaluationStore:
    """``root/<key[:2]>/<key>.json``: the rows a task's ``evaluate`` returned for one unit, with the key and a
    checksum of key and rows, so that an edited, truncated or misplaced entry is rescored, not served."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> list[dict[str, Any]] | None:
        """The stored rows, or None (with a warning when an entry is there but cannot be trusted)."""
        try:
            entry = json.loads(self.path(key).read_text())
            return checked_rows(entry, key)
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            log.warning("stored evaluation %s cannot be used (%s); rescoring it", self.path(key), error)
            return None

    def put(self, key: str, rows: list[dict[str, Any]]) -> None:
        """Keep ``rows`` (``ScoringJob`` has checked that no two repeat an identity)."""
        text = json.dumps(rows, default=plain)
        entry = {"key": key, "checksum": _checksum(key, text), "rows": json.loads(text)}
        atomic_write_bytes(self.path(key), json.dumps(entry).encode())


def checked_rows(entry: Any, key: str) -> list[dict[str, Any]]:
    """The rows of a stored entry, if it is one: this key's, unedited (checksum), a list of rows each with
    a metric name and a numeric or empty value."""
    if not isinstance(entry, dict) or entry.get("key") != key or not isinstance(entry.get("rows"), list):
        raise ValueError("not a stored evaluation of this key")
    rows = entry["rows"]
    if entry.get("checksum") != _checksum(key, json.dumps(rows)):
        raise ValueError("checksum mismatch: it was changed after it was written")
    for row in rows:
        if not (isinstance(row, dict) and isinstance(row.get("metric"), str)
                and (row.get("value") is None or isinstance(row.get("value"), (int, float)))):
            raise ValueError(f"a row is not a metric row: {str(row)[:80]}")
    return rows


def _checksum(key: str, text: str) -> str:
    return hashlib.sha256(f"{key}\n{text}".encode()).hexdigest()[:16]
