"""What a run folder knows about each fit: its embedding (the embedding cache, ``embeddings.py``) and its
status record (one JSON file per fit: status, error, timings, where and when it ran).

Whoever runs a fit (the runner, a local worker, a SLURM job) saves it here as soon as it finishes, the
embedding first and the record second, both atomically; so a run killed at any moment loses at most its
fits in flight, and a rerun finds everything else:

- a readable embedding is reused (a partial or corrupt one is recomputed);
- a recorded failure is reported again without refitting, unless ``retry_failed``;
- anything else is fitted.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
from pathlib import Path
from typing import Any

import numpy as np

from ..embedding_output import finite_problem, shape_problem
from ..jobs import FAILED, OK, FitJob, FitOutcome
from .embeddings import EmbeddingCache
from .files import atomic_write_bytes

log = logging.getLogger(__name__)


class FitStore:
    """Embeddings in ``cache``, status records in the folder ``records`` (both given by ``RunFolder``)."""

    def __init__(self, cache: EmbeddingCache, records: Path) -> None:
        self.cache = cache
        self.records = Path(records)

    def record_path(self, key: str) -> Path:
        return self.records / f"{key}.json"

    def read_record(self, key: str) -> dict[str, Any] | None:
        path = self.record_path(key)
        try:
            record = json.loads(path.read_text())
            if not isinstance(record, dict) or record.get("status") not in (OK, FAILED):
                raise ValueError("not a fit record (a JSON object with status 'ok' or 'failed')")
            return record
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            log.warning("fit record %s is unreadable (%s); ignoring it", path, error)
            return None

    def lookup(self, job: FitJob, retry_failed: bool = False) -> FitOutcome | None:
        """The stored outcome of ``job``, or None when it must be fitted."""
        hit = self.cache.get(job.key)
        if hit is not None and self._belongs(job, *hit):
            values, meta = hit
            return FitOutcome(job.key, OK, values, _number(meta.get("fit_seconds")),
                              _number(meta.get("transform_seconds")), meta=meta, cached=True)
        record = self.read_record(job.key)
        if record and record["status"] == FAILED and record.get("infrastructure"):
            log.info("%s: its last attempt was killed (%s); fitting it again", job.label(), record.get("error", ""))
            return None
        if record and record["status"] == FAILED and not retry_failed:
            return FitOutcome(job.key, FAILED, error=str(record.get("error", "")), cached=True,
                              fit_seconds=_number(record.get("fit_seconds")), meta=record)
        if record and record.get("status") == OK:
            log.warning("%s: the record says ok but its embedding is missing or corrupt; refitting", job.label())
        return None

    def _belongs(self, job: FitJob, values: np.ndarray, meta: dict) -> bool:
        """Whether a cached entry is this job's embedding: its meta names the job's method, recording and
        seed, and the values are (n_bins, dim) finite float32 (``embedding_output``)."""
        problem = next((f"its meta says {name} {meta.get(name)!r}, the fit is of {expected!r}"
                        for name, expected in (("method", job.method), ("recording", job.recording.id),
                                               ("seed", job.seed)) if meta.get(name) != expected), None)
        if problem is None:
            problem = (shape_problem(values, job.recording) or
                       ("" if values.dtype == np.float32 else f"dtype {values.dtype}, not float32") or
                       finite_problem(values, job.recording)) or None
        if problem:
            log.warning("%s: its cached embedding %s is not its own (%s); refitting", job.label(),
                        self.cache.path(job.key), problem)
        return problem is None

    def save(self, job: FitJob, outcome: FitOutcome) -> None:
        """Write the embedding (when ok), then the status record; then those of its checkpoints."""
        if outcome.status == OK:
            self.cache.put(job.key, outcome.values, {
                **outcome.meta, "fit_seconds": outcome.fit_seconds,
                "transform_seconds": outcome.transform_seconds, "job": job.label(), **job.describe()})
        previous = self.read_record(job.key) or {}
        record = {
            "key": job.key, "status": outcome.status, "error": outcome.error,
            **job.describe(), "params": job.params, "method_version": job.method_version,
            "split": job.split.name, "budget": job.budget, "device": job.device,
            "fit_host": outcome.meta.get("fit_host", ""), "fit_device": outcome.meta.get("fit_device", ""),
            "fit_seconds": _json_number(outcome.fit_seconds),
            "transform_seconds": _json_number(outcome.transform_seconds),
            "dim": int(outcome.values.shape[1]) if outcome.values is not None else None,
            "finished": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "attempt": _count(previous.get("attempt")) + 1,
            "infrastructure": outcome.infrastructure,
        }
        blob = json.dumps(record, indent=1, sort_keys=True, default=str).encode()
        atomic_write_bytes(self.record_path(job.key), blob)
        for shorter in job.checkpoint_jobs():  # each checkpoint: the fit its own job would have made
            if shorter.key in outcome.checkpoints:
                self.save(shorter, outcome.checkpoints[shorter.key])

    def failed_records(self) -> list[dict[str, Any]]:
        """Every recorded failure in this run folder (for summaries)."""
        records = (self.read_record(path.stem) for path in sorted(self.records.glob("*.json")))
        return [r for r in records if r and r.get("status") == FAILED]


def _json_number(value: float) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def _number(value: Any) -> float:
    """A stored timing as a float; NaN when absent or not a number (a hand-edited record)."""
    try:
        return math.nan if value is None or isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        return math.nan


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0
