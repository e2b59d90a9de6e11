"""The runner: plan fit jobs, fit what the cache lacks, evaluate every task from the cached embeddings."""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import pandas as pd

from .dataset import Dataset
from .errors import NerBenchError
from .evaluation_cache import EvaluationCache, code_fingerprint
from .executors import ExecutionOptions, execute, progress_bar
from .fit_store import FitStore
from .jobs import FitJob, FitOutcome
from .method import Method
from .plugins import Registry, discover
from .protocol import get_protocol
from .recording import Recording
from .results import OK, make_table, write_results
from .scheduling import set_up_first
from .scoring import PlannedUnit, ScoringPlan
from .slurm import SlurmOptions
from .specs import Spec, parse_specs
from .split import Split, chronological_split
from .threads import thread_count

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
        train_fraction: float = 0.8, gpus: Sequence[str | int] = (), jobs_per_gpu: int = 1,
        timeout: float | None = None, retry_failed: bool = False, slurm: SlurmOptions | None = None,
        progress: bool | None = None) -> pd.DataFrame:
    """Run methods x tasks on a dataset and return the tidy results table (also written to ``out``).

    Fits are cached in ``out`` (``cache/`` embeddings, ``fits/`` status records): a rerun fits only what
    is missing and reports recorded failures again; ``retry_failed=True`` refits those. Task scores are
    kept in ``evaluations/`` and reused while the fits, protocol and code that made them are unchanged.
    ``executor``, ``jobs``, ``gpus``, ``jobs_per_gpu``, ``timeout`` and ``slurm`` choose where fits run
    (see ``ner_bench.executors``); each method x seed is scored as soon as its fits are in, on the local
    workers when there are some (``ner_bench.scoring``). Whatever the executor, every fit and scoring job
    runs with the same numeric-library thread count (``NER_BENCH_THREADS``, default 1; ``ner_bench.threads``),
    so that the numbers do not depend on where they were computed; the ``threads`` column and the
    ``versions`` provenance record it. ``table.attrs["fits"]`` counts the fits planned, cached, run, failed.

    >>> import ner_bench as nb
    >>> results = nb.run(methods="pca", tasks="within-session", out=None)  # doctest: +SKIP
    """
    gpus = tuple(str(g) for g in gpus)
    if gpus and device == "cpu":
        device = "cuda"  # --gpus means the fits run on them
    options = ExecutionOptions(executor=executor, jobs=jobs, gpus=gpus, jobs_per_gpu=jobs_per_gpu,
                               timeout=timeout, slurm=slurm or SlurmOptions(), progress=progress)
    options.check()
    thread_count()  # a bad NER_BENCH_THREADS stops the run here, not in every fit
    registry = discover([str(p) for p in plugins])
    chosen_protocol = get_protocol(protocol)
    method_choices = choose_methods(registry, methods, budget)
    task_objects = [registry.get("tasks", spec.name)(**spec.params) for spec in _task_specs(tasks, registry)]
    recordings = load_recordings(registry, dataset, data_dir, subjects, sessions, areas)
    splits = {r.id: chronological_split(r, train_fraction) for r in recordings}

    units = {task.name: task.units(recordings) for task in task_objects}
    needed = {rec.id: rec for task_units in units.values() for unit in task_units for rec in unit.recordings}
    fit_jobs = plan_fit_jobs(method_choices, list(needed.values()), splits, seeds, budget=budget,
                             device=device, plugins=plugins)
    store = FitStore(out) if out else None
    evaluations = EvaluationCache(Path(out) / "evaluations", code_fingerprint(task_objects)) if out else None
    plan = ScoringPlan([PlannedUnit(task, choice.name, choice.params, seed, unit) for task in task_objects
                        for choice in method_choices for seed in seeds for unit in units[task.name]],
                       fit_jobs, splits, chosen_protocol, evaluations, plugin_files=resolved(plugins))
    outcomes = fit_all(fit_jobs, store, options, retry_failed=retry_failed, scoring=plan)
    table = make_table(plan.all_rows(), protocol=chosen_protocol, budget=budget, device=device)
    table.attrs["fits"] = fit_counts(fit_jobs, outcomes)
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


def plan_fit_jobs(method_choices: Sequence[MethodChoice], recordings: Sequence[Recording],
                  splits: dict[str, Split], seeds: Sequence[int], *, budget: str, device: str,
                  plugins: Sequence[str | Path] = ()) -> list[FitJob]:
    """One fit job per method x seed x recording that some task needs."""
    plugin_files = resolved(plugins)
    return [FitJob(method=m.name, params=m.params, method_version=m.cls.version, recording=rec,
                   split=splits[rec.id], seed=seed, budget=budget, device=device, plugin_files=plugin_files,
                   method_class=m.cls, prepare_group=m.cls.prepare_group or m.name)
            for m in method_choices for seed in seeds for rec in recordings]


def resolved(plugins: Sequence[str | Path]) -> tuple[str, ...]:
    """Absolute paths of the ``--plugin`` files, as worker processes load them."""
    return tuple(str(Path(p).resolve()) for p in plugins)


def fit_all(fit_jobs: list[FitJob], store: FitStore | None, options: ExecutionOptions | None = None, *,
            retry_failed: bool = False, scoring: ScoringPlan | None = None) -> dict[str, FitOutcome]:
    """Every job's outcome by key: from the run folder where stored (an embedding, or a recorded failure
    unless ``retry_failed``), else run on the executor, which stores it as it finishes. With ``scoring``,
    each method x seed is scored (on the same executor) as soon as its fits are in."""
    options = options or ExecutionOptions()
    outcomes, missing = stored_outcomes(fit_jobs, store, retry_failed)
    scoring = scoring or ScoringPlan([], [], {}, get_protocol("strict"))
    queue: deque = deque(set_up_first(missing))
    ran, failed = 0, 0
    with progress_bar(len(missing) + scoring.n_groups, options, "fits and scoring", "job") as bar:
        _release_scoring(scoring, outcomes, queue, bar)
        for job, outcome in execute(queue, options, str(store.root) if store else None):
            if isinstance(outcome, FitOutcome):
                outcomes[outcome.key] = outcome
                ran, failed = ran + 1, failed + (outcome.status != OK)
                if outcome.status != OK:
                    log.error("%s failed: %s", job.label(), outcome.error.splitlines()[0] if outcome.error else "")
                _release_scoring(scoring, outcomes, queue, bar)
            elif outcome.status != OK and len(job.items) > 1:  # its process crashed: find the unit that did
                log.warning("%s: %s; scoring its units one by one", job.label(), outcome.error.splitlines()[0])
                queue.extend(job.one_by_one())
                bar.total += len(job.items) - 1
            else:
                scoring.accept(outcome)
            bar.set_postfix_str(f"fits {ran}/{len(missing)} ({failed} failed), last: {job.label()}", refresh=False)
            bar.update()
    return outcomes


def stored_outcomes(fit_jobs: list[FitJob], store: FitStore | None,
                    retry_failed: bool) -> tuple[dict[str, FitOutcome], list[FitJob]]:
    """The outcomes the run folder holds, and the distinct jobs it lacks."""
    outcomes: dict[str, FitOutcome] = {}
    missing: dict[str, FitJob] = {}
    for job in fit_jobs:
        if job.key in outcomes or job.key in missing:
            continue
        stored = store.lookup(job, retry_failed) if store else None
        if stored is not None:
            outcomes[job.key] = stored
        else:
            missing[job.key] = job
    reused = sum(o.status != OK for o in outcomes.values())
    log.info("%d fits: %d cached, %d recorded failures reused, %d to run", len(outcomes) + len(missing),
             len(outcomes) - reused, reused, len(missing))
    return outcomes, list(missing.values())


def _release_scoring(scoring: ScoringPlan, outcomes: dict[str, FitOutcome], queue: deque, bar) -> None:
    """Queue the scoring of every method x seed whose fits are all in; tick those with nothing to score."""
    before = scoring.n_groups
    jobs = scoring.ready(outcomes)
    queue.extend(jobs)
    bar.update(before - scoring.n_groups - len(jobs))


def fit_counts(fit_jobs: Sequence[FitJob], outcomes: dict[str, FitOutcome]) -> dict[str, int]:
    """How many distinct fits the run planned, found stored, ran now, and how many of them failed."""
    keys = {job.key for job in fit_jobs}
    ran = [outcomes[k] for k in keys if not outcomes[k].cached]
    return {"planned": len(keys), "cached": len(keys) - len(ran), "ran": len(ran),
            "failed": sum(outcomes[k].status != OK for k in keys),
            "failed_now": sum(o.status != OK for o in ran)}


