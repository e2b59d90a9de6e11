"""The run plan: which fits a run needs and which units it scores.

``choose_methods``, ``task_objects`` and ``load_recordings`` turn the run's arguments into method classes
with resolved parameters, task objects and recordings; ``plan_fit_jobs`` makes one ``FitJob`` per method x
seed x recording that some task needs; ``ScoringPlan`` holds every (task, method, seed, unit) up front.
Once every fit that one method x seed needs has an outcome, its units are resolved: a failed fit becomes a
row with its status, a unit whose rows the run folder keeps is read back, and the rest form one
``ScoringJob``. Rows come out in the plan's order, whatever order jobs finish in.
"""

from __future__ import annotations

import logging
import numbers
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from . import threads
from .checkpoints import PARAMETER as CHECKPOINTS
from .dataset import Dataset
from .errors import ArgumentError, ArgumentTypeError, NerBenchError
from .jobs import OK, SKIPPED, FitJob, FitOutcome, ScoringItem, ScoringJob, ScoringOutcome
from .method import Method
from .plugins import Registry
from .protocol import Protocol
from .provenance import built_in, code_identity
from .recording import Recording
from .run_folder import canonical_params, evaluation_key
from .run_folder.evaluations import EvaluationStore
from .specs import Spec, parse_specs
from .split import Split
from .task import Embedding, Task, Unit

log = logging.getLogger(__name__)


@dataclass
class MethodChoice:
    """A method class with its resolved parameters, and an instance to ask what it can fit (``skip``)."""

    cls: type[Method]
    params: dict
    instance: Method
    given: dict = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.cls.name

    def skip(self, train: Recording) -> str | None:
        """Why this method cannot be fitted on ``train`` (a recording's training trials), or None."""
        return self.instance.skip(train)


def choose_methods(registry: Registry, methods: str | Method | type | Sequence[str | Method | type],
                   budget: str) -> list[MethodChoice]:
    """The methods of ``--methods`` (a spec string) or of the Python API: names or specs, Method instances,
    Method classes (fitted with their defaults), or a list of them; ``all`` is every method in ``all``."""
    if isinstance(methods, (str, Method)) or isinstance(methods, type):
        methods = [methods] if not isinstance(methods, str) else parse_specs(methods)
    if not isinstance(methods, Iterable):
        raise ArgumentTypeError(f"methods: expected names, Method instances or classes, got {methods!r}")
    specs = [_method_spec(m) for m in methods]
    if any(isinstance(s, Spec) and s.name == "all" for s in specs):
        specs = [Spec(name) for name in sorted(registry.methods) if registry.methods[name].in_all]
    choices = []
    for spec in specs:
        if isinstance(spec, Method):
            choices.append(MethodChoice(type(spec), spec.params, spec))
            choices += checkpoint_choices(type(spec), spec, spec.params, spec.budget)
            continue
        cls = spec if isinstance(spec, type) else registry.get("methods", spec.name)
        given = {} if isinstance(spec, type) else spec.params
        instance = cls(budget=budget, **given)
        choices.append(MethodChoice(cls, instance.params, instance, given))
        choices += checkpoint_choices(cls, instance, given, budget)
    if not choices:
        raise ArgumentError("argument --methods: no method given")
    return distinct(choices)


def distinct(choices: list[MethodChoice]) -> list[MethodChoice]:
    """Each method x parameters once (a repeat would double its rows; a checkpoint of one spec may also be
    given as a spec of its own)."""
    kept: dict[tuple, MethodChoice] = {}
    for choice in choices:
        identity = (choice.cls, canonical_params(choice.params))
        if identity not in kept:
            kept[identity] = choice
            continue
        log.info("method %r given more than once: scored once", choice.instance)
        if set(choice.instance.checkpoints) > set(kept[identity].instance.checkpoints):
            kept[identity] = choice  # the fit that also yields checkpoints
    return list(kept.values())


def checkpoint_choices(cls: type[Method], instance: Method, given: dict, budget: str) -> list[MethodChoice]:
    """A method per checkpoint of ``instance`` (``checkpoints.py``): its spec with the length parameter at
    the checkpoint, scored like any method; its fits come from the long fit's checkpoints."""
    shorter = []
    for steps in instance.checkpoints:
        spec = {k: v for k, v in given.items() if k != CHECKPOINTS} | {cls.length_parameter: steps}
        method = cls(budget=budget, **spec)
        shorter.append(MethodChoice(cls, method.params, method, spec))
    return shorter


def _method_spec(method: object) -> Spec | Method | type:
    if isinstance(method, (Spec, Method)) or (isinstance(method, type) and issubclass(method, Method)):
        return method
    if isinstance(method, str):
        return parse_specs(method)[0]
    raise ArgumentTypeError(f"methods: expected a name, a Method instance or a Method class, got {method!r}")


#: numpy's seeds: 0 .. 2**32 - 1
MAX_SEED = 2**32 - 1


def checked_seeds(seeds: int | Sequence[int]) -> list[int]:
    """The seeds as a list, each once and in numpy's range (a repeat would double every row of the table).
    One int is one seed; a string is refused (``"0,1"`` is the command line's spelling of ``[0, 1]``)."""
    if isinstance(seeds, numbers.Integral) and not isinstance(seeds, bool):
        seeds = [seeds]
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Iterable):
        hint = " (the command line's --seeds 0,1 is seeds=[0, 1] here)" if isinstance(seeds, str) else ""
        raise ArgumentTypeError(f"seeds: expected an int or a list of ints, got {seeds!r}{hint}")
    seeds = list(seeds)
    if not seeds:
        raise ArgumentError("argument --seeds: no seed given")
    bad = [s for s in seeds if isinstance(s, bool) or not isinstance(s, numbers.Integral) or not 0 <= s <= MAX_SEED]
    if bad:
        raise ArgumentError(f"argument --seeds: expected integers from 0 to {MAX_SEED}, got {', '.join(map(repr, bad))}")
    repeated = sorted({s for s in seeds if seeds.count(s) > 1})
    if repeated:
        raise ArgumentError(f"argument --seeds: seed(s) {', '.join(map(str, repeated))} given more than once")
    return [int(s) for s in seeds]


def task_specs(given: str | Sequence[str], registry: Registry) -> list[Spec]:
    """Task names with options, ``cross-session[alignment=none]``; ``all`` is every task with defaults."""
    text = given if isinstance(given, str) else ",".join(given)
    specs = parse_specs(text, "--task")
    if any(spec.name == "all" for spec in specs):
        return [Spec(name) for name in sorted(registry.tasks)]
    return specs


def task_objects(registry: Registry, given: str | Sequence[str]) -> list[Task]:
    """The tasks of ``--task``, built with their options."""
    return [registry.get("tasks", spec.name)(**spec.params) for spec in task_specs(given, registry)]


def load_recordings(registry: Registry, dataset: str, data_dir, subjects, sessions, areas) -> list[Recording]:
    """The selected recordings of ``dataset``; a dataset plug-in that fails or returns something else than
    Recordings is named with its file."""
    spec = parse_specs(dataset, "--dataset")[0]
    cls = registry.get("datasets", spec.name)
    origin = registry.origins.get(("datasets", spec.name), cls.__module__)
    dataset_obj: Dataset = cls(data_dir=data_dir, **spec.params)
    try:
        recordings = list(dataset_obj.recordings(subjects=subjects, sessions=sessions, areas=areas))
    except NerBenchError:
        raise
    except Exception as error:
        raise NerBenchError(f"dataset {spec.name!r} ({origin}) failed to load: {type(error).__name__}: {error}") from error
    wrong = [type(item).__name__ for item in recordings if not isinstance(item, Recording)]
    if wrong:
        raise NerBenchError(f"dataset {spec.name!r} ({origin}): load() must return Recordings, got "
                            f"{len(wrong)} {', '.join(sorted(set(wrong)))}")
    log.info("dataset %s: %d recordings", spec, len(recordings))
    return recordings


def plan_fit_jobs(method_choices: Sequence[MethodChoice], recordings: Sequence[Recording],
                  splits: dict[str, Split], seeds: Sequence[int], *, budget: str, device: str,
                  plugins: Sequence[str | Path] = ()) -> list[FitJob]:
    """One fit job per method x seed x recording."""
    plugin_files = resolved(plugins)
    codes = {m.cls: code_identity(m.cls) for m in method_choices}  # reads a plug-in's file once
    return [FitJob(method=m.name, params=m.params, method_version=m.cls.version, recording=rec,
                   split=splits[rec.id], seed=seed, budget=budget, device=device, plugin_files=plugin_files,
                   method_class=m.cls, prepare_group=m.cls.prepare_group or m.name, code=codes[m.cls],
                   checkpoints=m.instance.checkpoints, length_parameter=m.cls.length_parameter)
            for m in method_choices for seed in seeds for rec in recordings]


def has_plug_ins(choices: Sequence[MethodChoice], tasks: Sequence[Task]) -> bool:
    """Whether a method or task that is not built in takes part (its fits and scoring then run isolated)."""
    return not all(built_in(cls) for cls in [*(c.cls for c in choices), *(type(t) for t in tasks)])


def resolved(plugins: Sequence[str | Path]) -> tuple[str, ...]:
    """Absolute paths of the ``--plugin`` files, as worker processes load them."""
    return tuple(str(Path(p).resolve()) for p in plugins)


def fit_key(job: FitJob) -> tuple[str, str, str]:
    """(method, canonical parameters, recording id): what ``method_skips`` keys a fit by."""
    return job.method, canonical_params(job.params), job.recording.id


def task_units(tasks: Sequence[Task], recordings: Sequence[Recording], dataset: str) -> dict[str, list[Unit]]:
    """Each task's units; a task with none says so in one line (it scores nothing on this dataset)."""
    units = {task.name: task.units(list(recordings)) for task in tasks}
    for task in tasks:
        if not units[task.name]:
            log.warning("task %s: nothing to score among the %d recordings of %s (it scores: %s)", task.name,
                        len(recordings), dataset, task.description or type(task).__name__)
    return units


def plan_units(tasks: Sequence[Task], choices: Sequence[MethodChoice], seeds: Sequence[int],
               units: dict[str, list[Unit]], skips: dict[tuple[str, str, str], str]) -> list["PlannedUnit"]:
    """Every (task, method, seed, unit) of the run, in order, each with its skip reason if it has one."""
    return [PlannedUnit(task, choice.name, choice.params, seed, unit, unit_skip(task, choice, unit, skips))
            for task in tasks for choice in choices for seed in seeds for unit in units[task.name]]


def needed_fits(planned: Sequence["PlannedUnit"]) -> set[tuple[str, str, int, str]]:
    """(method, canonical parameters, seed, recording id) of every fit a scored (not skipped) unit needs."""
    return {(entry.method, canonical_params(entry.params), entry.seed, rec.id)
            for entry in planned if not entry.skipped for rec in entry.unit.recordings}


def fit_needed(job: FitJob, needed: set[tuple[str, str, int, str]]) -> bool:
    return (job.method, canonical_params(job.params), job.seed, job.recording.id) in needed


def method_skips(choices: Sequence[MethodChoice], recordings: Sequence[Recording],
                 splits: dict[str, Split]) -> dict[tuple[str, str, str], str]:
    """``{(method, canonical params, recording id): reason}`` for every fit a method cannot make: its
    ``skip`` sees the training trials, what ``fit`` would see."""
    trains = [splits[rec.id].train(rec) for rec in recordings]  # once, whatever the number of methods
    reasons = {}
    for choice in choices:
        for rec, train in zip(recordings, trains):
            reason = choice.skip(train)
            if reason:
                reasons[choice.name, canonical_params(choice.params), rec.id] = reason
    return reasons


def unit_skip(task: Task, choice: MethodChoice, unit: Unit, skips: dict[tuple[str, str, str], str]) -> str:
    """Why ``task`` cannot score ``choice`` on ``unit`` ("" when it can): the task declines the method,
    or the method cannot be fitted on one of the unit's recordings."""
    reason = task.skip(choice.cls)
    if reason:
        return reason
    params = canonical_params(choice.params)
    return next((skips[choice.name, params, rec.id] for rec in unit.recordings
                 if (choice.name, params, rec.id) in skips), "")


@dataclass(frozen=True)
class PlannedUnit:
    task: Task
    method: str
    params: dict
    seed: int
    unit: Unit
    #: why this unit is not scored ("" when it is): it becomes one ``skipped`` row with the reason as note
    skipped: str = ""


class ScoringPlan:
    """Every unit to score, in order; hands out ``ScoringJob``s as the fits they need finish and collects
    their rows."""

    def __init__(self, planned: Sequence[PlannedUnit], fit_jobs: Sequence[FitJob], splits: dict[str, Split],
                 protocol: Protocol, evaluations: EvaluationStore | None = None, fingerprint: str = "",
                 plugin_files: tuple[str, ...] = ()) -> None:
        self.planned = list(planned)
        self.splits, self.protocol = splits, protocol
        #: where units' rows are kept and the code fingerprint their keys hold (``run_folder.evaluations``)
        self.evaluations, self.fingerprint = evaluations, fingerprint
        self.plugin_files = plugin_files
        self.fit_keys: dict[tuple, str] = {(job.method, canonical_params(job.params), job.seed, job.recording.id): job.key
                                           for job in fit_jobs}
        self.groups: dict[tuple, list[int]] = {}
        self.bases: dict[int, dict] = {}
        self.rows: dict[int, list[dict]] = {}
        for index, entry in enumerate(self.planned):
            if entry.skipped:
                self.rows[index] = [dict(_base_row(entry), status=SKIPPED, note=entry.skipped)]
                continue
            self.groups.setdefault((entry.method, canonical_params(entry.params), entry.seed), []).append(index)

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
        return self.fit_keys[entry.method, canonical_params(entry.params), entry.seed, recording_id]

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
            stored_as = (evaluation_key(entry.task, [train.key, test.key], self.protocol, entry.seed,
                                        self.fingerprint) if self.evaluations else None)
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
        return ScoringJob(method, seed, items, embeddings, self.protocol, self.plugin_files)


def _base_row(entry: PlannedUnit, train: FitOutcome | None = None, test: FitOutcome | None = None) -> dict:
    """What every row of a unit says; a skipped unit (no fits) has no timings and this run's thread count."""
    base = dict(task=entry.task.name, method=entry.method, method_params=entry.params, seed=entry.seed,
                train_recording=entry.unit.train, test_recording=entry.unit.test)
    if train is None or test is None:
        return dict(base, cached=False, threads=threads.thread_count())
    return dict(base, fit_seconds=train.fit_seconds, transform_seconds=train.transform_seconds,
                cached=train.cached and test.cached, fit_host=train.meta.get("fit_host", ""),
                fit_device=train.meta.get("fit_device", ""), threads=_fit_threads(train),
                training=train.meta.get("training", ""))


def _fit_threads(outcome: FitOutcome) -> int:
    """The numeric libraries' thread count A's fit ran with (``threads.limited``). A failed fit (whose
    stored record does not keep it: a resumed run must give the same row) and a fit stored before the
    count was recorded get this run's count, so that the column stays integer."""
    count = outcome.meta.get("threads") if outcome.status == OK else None
    return int(count) if count is not None else threads.thread_count()
