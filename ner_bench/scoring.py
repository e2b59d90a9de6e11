"""Scoring: cached embeddings -> task rows, as jobs that run beside the fits.

The runner plans every (task, method, seed, unit) up front (``ScoringPlan``). Once every fit that one
method x seed needs has an outcome, its units are resolved: a failed fit becomes a row with its status, a
unit whose rows are stored (``evaluation_cache``) is read back, and the rest form one ``ScoringJob``. Any
executor runs it: on local worker processes it runs beside the remaining fits, so scoring neither waits for
the last fit nor holds the run on one core. Rows come out in the plan's order, whatever order jobs finish in.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Callable, ClassVar, Sequence

from . import threads
from .errors import NerBenchError
from .evaluation_cache import EvaluationCache
from .jobs import FAILED, OK, FitJob, FitOutcome
from .protocol import Protocol
from .split import Split
from .task import Context, Embedding, Task, Unit

log = logging.getLogger(__name__)


@dataclass(eq=False)
class ScoringItem:
    """One unit of one task to score; ``index`` is its place in the plan."""

    index: int
    task: Task
    unit: Unit
    stored_as: str | None


@dataclass
class UnitScore:
    status: str
    error: str = ""
    rows: list[dict] = field(default_factory=list)


@dataclass
class ScoringOutcome:
    key: str
    scores: dict[int, UnitScore]
    status: str = OK
    error: str = ""


@dataclass(eq=False)
class ScoringJob:
    """Every unit of one method x seed still to score, with the embeddings they need (by recording id).
    Executors run it like a fit (``jobs.Job``)."""

    method: str
    seed: int
    items: list[ScoringItem]
    embeddings: dict[str, Embedding]
    protocol: Protocol
    evaluations: EvaluationCache | None = None
    plugin_files: tuple[str, ...] = ()
    #: ``--timeout`` limits fits only
    timed: ClassVar[bool] = False

    @property
    def key(self) -> str:
        return f"scoring:{self.method}:{self.seed}:{self.items[0].index}"

    def label(self) -> str:
        units = f"{len(self.items)} units" if len(self.items) > 1 else self._unit_label(self.items[0])
        return f"scoring {self.method} (seed {self.seed}, {units})"

    @staticmethod
    def _unit_label(item: ScoringItem) -> str:
        return f"{item.task.name} {item.unit.train.id} -> {item.unit.test.id}"

    def run(self, store_root: str | None = None, on_start: Callable[[], None] | None = None) -> ScoringOutcome:
        """Score every unit under the thread policy (``threads``), so that the numbers do not depend on
        the process that scores them."""
        if on_start:
            on_start()
        with threads.limited():
            return ScoringOutcome(self.key, {item.index: self._score(item) for item in self.items})

    def failed(self, error: str, store_root: str | None = None, seconds: float = float("nan")) -> ScoringOutcome:
        """Every unit fails with ``error`` (e.g. the worker process scoring them died)."""
        text = f"evaluation: {error}"
        return ScoringOutcome(self.key, {item.index: UnitScore(FAILED, text) for item in self.items}, FAILED, text)

    def one_by_one(self) -> list["ScoringJob"]:
        """A job per unit, each with the embeddings it needs: after a crash, so that it fails alone."""
        return [ScoringJob(self.method, self.seed, [item], {rec.id: self.embeddings[rec.id] for rec in
                                                            item.unit.recordings},
                           self.protocol, self.evaluations, self.plugin_files) for item in self.items]

    def _score(self, item: ScoringItem) -> UnitScore:
        """The task's rows for one unit (stored for reuse); a failing task becomes a failed score."""
        unit = item.unit
        train, test = self.embeddings[unit.train.id], self.embeddings[unit.test.id]
        try:
            rows = item.task.evaluate(unit, train, test, Context(self.protocol, self.seed))
        except NerBenchError as error:  # an explained failure (e.g. embeddings of different sizes)
            return UnitScore(FAILED, f"evaluation: {type(error).__name__}: {error}")
        except Exception as error:
            log.exception("task %s failed on %s -> %s", item.task.name, unit.train.id, unit.test.id)
            return UnitScore(FAILED, f"evaluation: {type(error).__name__}: {error}")
        if self.evaluations and item.stored_as:
            self.evaluations.put(item.stored_as, rows)
        return UnitScore(OK, rows=rows)


@dataclass(frozen=True)
class PlannedUnit:
    task: Task
    method: str
    params: dict
    seed: int
    unit: Unit


class ScoringPlan:
    """Every unit to score, in order; hands out ``ScoringJob``s as the fits they need finish and collects
    their rows."""

    def __init__(self, planned: Sequence[PlannedUnit], fit_jobs: Sequence[FitJob], splits: dict[str, Split],
                 protocol: Protocol, evaluations: EvaluationCache | None = None,
                 plugin_files: tuple[str, ...] = ()) -> None:
        self.planned = list(planned)
        self.splits, self.protocol, self.evaluations = splits, protocol, evaluations
        self.plugin_files = plugin_files
        self.fit_keys: dict[tuple, str] = {(job.method, _frozen(job.params), job.seed, job.recording.id): job.key
                                           for job in fit_jobs}
        self.groups: dict[tuple, list[int]] = {}
        for index, entry in enumerate(self.planned):
            self.groups.setdefault((entry.method, _frozen(entry.params), entry.seed), []).append(index)
        self.bases: dict[int, dict] = {}
        self.rows: dict[int, list[dict]] = {}

    @property
    def n_groups(self) -> int:
        return len(self.groups)

    def ready(self, outcomes: dict[str, FitOutcome]) -> list[ScoringJob]:
        """Resolve every group whose fits all have outcomes; the jobs that remain to run."""
        jobs = []
        for group in [g for g, indices in self.groups.items() if self._fits_done(indices, outcomes)]:
            job = self._resolve(group, self.groups.pop(group), outcomes)
            if job is not None:
                jobs.append(job)
        return jobs

    def accept(self, outcome: ScoringOutcome) -> None:
        for index, score in outcome.scores.items():
            base = self.bases[index]
            if score.status == OK:
                self.rows[index] = [dict(base, status=OK, **row) for row in score.rows]
            else:
                entry = self.planned[index]
                log.error("task %s failed on %s -> %s: %s", entry.task.name, entry.unit.train.id,
                          entry.unit.test.id, score.error.splitlines()[0] if score.error else "")
                self.rows[index] = [dict(base, status=score.status, error=score.error)]

    def all_rows(self) -> list[dict]:
        missing = [i for i in range(len(self.planned)) if i not in self.rows]
        if missing:
            raise RuntimeError(f"{len(missing)} planned units were never scored")
        return [row for index in range(len(self.planned)) for row in self.rows[index]]

    def _key(self, entry: PlannedUnit, recording_id: str) -> str:
        return self.fit_keys[entry.method, _frozen(entry.params), entry.seed, recording_id]

    def _fits_done(self, indices: list[int], outcomes: dict[str, FitOutcome]) -> bool:
        return all(self._key(self.planned[i], rec.id) in outcomes
                   for i in indices for rec in self.planned[i].unit.recordings)

    def _resolve(self, group: tuple, indices: list[int], outcomes: dict[str, FitOutcome]) -> ScoringJob | None:
        """Rows for failed fits and stored evaluations now; a job for the units left to score."""
        items, embeddings = [], {}
        for index in indices:
            entry, unit = self.planned[index], self.planned[index].unit
            train, test = (outcomes[self._key(entry, rec.id)] for rec in (unit.train, unit.test))
            self.bases[index] = base = _base_row(entry, train, test)
            failed = [o for o in (train, test) if o.status != OK]
            if failed:
                self.rows[index] = [dict(base, status=failed[0].status, error=failed[0].error)]
                continue
            stored_as = (self.evaluations.key(entry.task, [train.key, test.key], self.protocol, entry.seed)
                         if self.evaluations else None)
            stored = self.evaluations.get(stored_as) if self.evaluations else None
            if stored is not None:
                self.rows[index] = [dict(base, status=OK, **row) for row in stored]
                continue
            items.append(ScoringItem(index, entry.task, unit, stored_as))
            for rec, outcome in ((unit.train, train), (unit.test, test)):
                embeddings[rec.id] = Embedding(rec, self.splits[rec.id], outcome.values)
        if not items:
            return None
        method, _, seed = group
        return ScoringJob(method, seed, items, embeddings, self.protocol, self.evaluations, self.plugin_files)


def _base_row(entry: PlannedUnit, train: FitOutcome, test: FitOutcome) -> dict:
    return dict(task=entry.task.name, method=entry.method, method_params=entry.params, seed=entry.seed,
                train_recording=entry.unit.train, test_recording=entry.unit.test,
                fit_seconds=train.fit_seconds, transform_seconds=train.transform_seconds,
                cached=train.cached and test.cached, fit_host=train.meta.get("fit_host", ""),
                fit_device=train.meta.get("fit_device", ""), threads=_fit_threads(train))


def _fit_threads(outcome: FitOutcome) -> int:
    """The numeric libraries' thread count A's fit ran with (``threads.limited``). A failed fit (whose
    stored record does not keep it: a resumed run must give the same row) and a fit stored before the
    count was recorded get this run's count, so that the column stays integer."""
    count = outcome.meta.get("threads") if outcome.status == OK else None
    return int(count) if count is not None else threads.thread_count()


def _frozen(params: dict) -> str:
    return json.dumps(params, sort_keys=True, default=str)
