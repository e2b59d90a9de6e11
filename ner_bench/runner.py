"""The runner: plan fit jobs, fit what the cache lacks, evaluate every task from the cached embeddings."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import pandas as pd

from .cache import EmbeddingCache
from .dataset import Dataset
from .errors import NerBenchError
from .executors import execute
from .jobs import FitJob, FitOutcome
from .method import Method
from .plugins import Registry, discover
from .protocol import Protocol, get_protocol
from .recording import Recording
from .results import FAILED, OK, make_table, write_results
from .specs import Spec, parse_specs
from .split import Split, chronological_split
from .task import Context, Embedding, Task, Unit

log = logging.getLogger(__name__)


@dataclass
class MethodChoice:
    """A method class with its resolved parameters."""

    cls: type[Method]
    params: dict
    given: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.cls.name


def run(methods: str | Sequence[str | Method] = "pca", tasks: str | Sequence[str] = "within-session",
        dataset: str = "synthetic", *, seeds: Sequence[int] = (0,), out: str | Path | None = "results",
        plugins: Sequence[str | Path] = (), protocol: str = "strict", budget: str = "quick",
        data_dir: str | Path | None = None, subjects: Sequence[str] = (), sessions: Sequence[str] = (),
        areas: Sequence[str] = (), device: str = "cpu", executor: str = "local", jobs: int = 1,
        train_fraction: float = 0.8) -> pd.DataFrame:
    """Run methods x tasks on a dataset and return the tidy results table (also written to ``out``).

    >>> import ner_bench as nb
    >>> results = nb.run(methods="pca", tasks="within-session", out=None)  # doctest: +SKIP
    """
    registry = discover([str(p) for p in plugins])
    chosen_protocol = get_protocol(protocol)
    method_choices = choose_methods(registry, methods, budget)
    task_objects = [registry.get("tasks", spec.name)(**spec.params) for spec in _task_specs(tasks, registry)]
    recordings = load_recordings(registry, dataset, data_dir, subjects, sessions, areas)
    splits = {r.id: chronological_split(r, train_fraction) for r in recordings}

    units = {task.name: task.units(recordings) for task in task_objects}
    needed = {rec.id: rec for task_units in units.values() for unit in task_units for rec in unit.recordings}
    fit_jobs = [FitJob(method=m.name, params=m.params, method_version=m.cls.version, recording=rec,
                       split=splits[rec.id], seed=seed, budget=budget, device=device,
                       plugin_files=tuple(str(Path(p).resolve()) for p in plugins), method_class=m.cls)
                for m in method_choices for seed in seeds for rec in needed.values()]
    cache = EmbeddingCache(Path(out or ".ner-bench") / "cache") if out else None
    outcomes = fit_all(fit_jobs, cache, executor=executor, jobs=jobs)

    rows = []
    for task in task_objects:
        for choice in method_choices:
            for seed in seeds:
                for unit in units[task.name]:
                    rows += evaluate_unit(task, choice, seed, unit, splits, outcomes, fit_jobs, chosen_protocol)
    table = make_table(rows, protocol=chosen_protocol, budget=budget, device=device)
    if out:
        write_results(table, Path(out))
    return table


def choose_methods(registry: Registry, methods: str | Sequence[str | Method], budget: str) -> list[MethodChoice]:
    if isinstance(methods, str):
        specs: list[Spec | Method] = parse_specs(methods)
    else:
        specs = [m if isinstance(m, Method) else parse_specs(m)[0] for m in methods]
    if any(isinstance(s, Spec) and s.name == "all" for s in specs):
        specs = [Spec(name) for name in sorted(registry.methods) if registry.methods[name].in_all]
    choices = []
    for spec in specs:
        if isinstance(spec, Method):
            choices.append(MethodChoice(type(spec), spec.params))
            continue
        cls = registry.get("methods", spec.name)
        choices.append(MethodChoice(cls, cls(budget=budget, **spec.params).params, spec.params))
    if not choices:
        raise NerBenchError("argument --methods: no method given")
    return choices


def _task_specs(given: str | Sequence[str], registry: Registry) -> list[Spec]:
    """Task names with options, ``cross-session[alignment=none]``; ``all`` is every task with defaults."""
    text = given if isinstance(given, str) else ",".join(given)
    specs = parse_specs(text, "--task")
    if any(spec.name == "all" for spec in specs):
        return [Spec(name) for name in sorted(registry.tasks)]
    return specs


def load_recordings(registry: Registry, dataset: str, data_dir, subjects, sessions, areas) -> list[Recording]:
    spec = parse_specs(dataset, "--dataset")[0]
    dataset_obj: Dataset = registry.get("datasets", spec.name)(data_dir=data_dir, **spec.params)
    recordings = dataset_obj.recordings(subjects=subjects, sessions=sessions, areas=areas)
    log.info("dataset %s: %d recordings", spec, len(recordings))
    return recordings


def fit_all(fit_jobs: list[FitJob], cache: EmbeddingCache | None, executor: str, jobs: int) -> dict[str, FitOutcome]:
    """Every job's outcome by key: from the cache where present, else fitted (and cached when ok)."""
    outcomes: dict[str, FitOutcome] = {}
    missing = []
    for job in fit_jobs:
        hit = cache.get(job.key) if cache else None
        if hit is not None:
            values, meta = hit
            outcomes[job.key] = FitOutcome(job.key, OK, values, meta.get("fit_seconds", float("nan")),
                                           meta.get("transform_seconds", float("nan")), meta=meta)
        elif job.key not in {j.key for j in missing}:
            missing.append(job)
    for job, outcome in execute(missing, executor=executor, jobs_in_parallel=jobs):
        outcomes[outcome.key] = outcome
        if outcome.status == OK and cache:
            cache.put(outcome.key, outcome.values, {**outcome.meta, "fit_seconds": outcome.fit_seconds,
                                                    "transform_seconds": outcome.transform_seconds,
                                                    "job": job.label(), **job.describe()})
        elif outcome.status != OK:
            log.error("%s failed: %s", job.label(), outcome.error.splitlines()[0])
    return outcomes


def evaluate_unit(task: Task, choice: MethodChoice, seed: int, unit: Unit, splits: dict[str, Split],
                  outcomes: dict[str, FitOutcome], fit_jobs: list[FitJob], protocol: Protocol) -> list[dict]:
    """Score one unit; a failed fit or a failing task becomes a row with its status and error."""
    keys = {job.recording.id: job.key for job in fit_jobs
            if job.method == choice.name and job.params == choice.params and job.seed == seed}
    base = dict(task=task.name, method=choice.name, method_params=choice.params, seed=seed,
                train_recording=unit.train, test_recording=unit.test)
    train_outcome, test_outcome = outcomes[keys[unit.train.id]], outcomes[keys[unit.test.id]]
    base["fit_seconds"] = train_outcome.fit_seconds
    for outcome in (train_outcome, test_outcome):
        if outcome.status != OK:
            return [dict(base, status=outcome.status, error=outcome.error)]
    embed = {rec.id: Embedding(rec, splits[rec.id], outcomes[keys[rec.id]].values) for rec in unit.recordings}
    try:
        metric_rows = task.evaluate(unit, embed[unit.train.id], embed[unit.test.id], Context(protocol, seed))
    except Exception as error:
        log.exception("task %s failed on %s", task.name, unit)
        return [dict(base, status=FAILED, error=f"evaluation: {type(error).__name__}: {error}")]
    return [dict(base, status=OK, **row) for row in metric_rows]
