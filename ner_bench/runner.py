"""The runner: plan the run (``plan.py``), fit what the run folder lacks on the chosen executor
(``execution``), score every unit from the embeddings as their fits come in, write the results table."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from .execution import ExecutionOptions, execute, leave_out_set_up, progress_bar
from .execution.chooser import set_up_first
from .execution.local_pool import available_cpus
from .execution.slurm import SlurmOptions
from .jobs import OK, SKIPPED, FitJob, FitOutcome
from .method import Method
from .plan import (ScoringPlan, checked_seeds, choose_methods, fit_key, fit_needed, has_plug_ins, load_recordings,
                   method_skips, needed_fits, plan_fit_jobs, plan_units, resolved, task_objects, task_units)
from .plugins import discover
from .protocol import get_protocol
from .recording import Recording
from .results import make_table
from .run_folder import RunFolder, code_fingerprint
from .split import Split, chronological_split
from .threads import thread_count

log = logging.getLogger(__name__)


def run(methods: str | Sequence[str | Method] = "pca", tasks: str | Sequence[str] = "within-session",
        dataset: str = "synthetic", *, seeds: Sequence[int] = (0,), out: str | Path | None = "results",
        plugins: Sequence[str | Path] = (), protocol: str = "strict", budget: str = "quick",
        data_dir: str | Path | None = None, subjects: Sequence[str] = (), sessions: Sequence[str] = (),
        areas: Sequence[str] = (), device: str = "cpu", executor: str = "local", jobs: int | str = 1,
        train_fraction: float = 0.8, gpus: Sequence[str | int] = (), jobs_per_gpu: int = 1,
        timeout: float | None = None, retry_failed: bool = False, slurm: SlurmOptions | None = None,
        progress: bool | None = None, fresh: bool = False, task: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Run methods x tasks on a dataset and return the tidy results table (also written to ``out``).

    Parameters
    ----------
    methods : str or sequence of str or Method
        Method specs, ``"ner,pca[dim=3]"`` or ``["ner", "pca"]``, ``"all"``, or fitted-to-be Method
        instances (e.g. defined in a notebook).
    tasks : str or sequence of str
        Task specs with options, ``"cross-session[alignment=none]"``; ``"all"`` for every task.
    dataset : str
        Dataset spec, ``"synthetic"``, ``"reaching"``, ``"synthetic[n_sessions=6]"``.
    seeds : sequence of int
        One fit per method x recording x seed; results keep the seed in a column.
    out : str, Path or None
        The run folder (``ner_bench.run_folder``): embeddings, fit records and task scores are kept there
        and reused by a rerun, which fits only what is missing. None keeps nothing.
    plugins : sequence of str or Path
        Python files defining further methods, datasets or tasks.
    protocol : {"strict", "paper"}
        ``strict`` (the sound default) or ``paper`` (the published code's choices, defects flagged).
    budget : {"quick", "paper", "converged"}
        Training lengths: minutes-long runs or the published lengths.
    data_dir : str, Path or None
        Where the dataset's files are (default: the download cache).
    subjects, sessions, areas : sequence of str
        Keep only these recordings (empty: all).
    device : str
        ``"cpu"`` or a torch device such as ``"cuda"`` for the methods that use one.
    executor : {"local", "slurm", "submitit-local"}
        Where fits run (``ner_bench.execution``).
    jobs : int or "auto"
        Local worker processes (1: fits run in this process, unless a plug-in takes part; ``"auto"``: one
        per usable core, the command line's default; with ``gpus``, 1).
    train_fraction : float
        Share of each recording's trials, in time order, that the methods and decoders train on.
    gpus : sequence of str or int
        Local GPU ids, one worker pinned to each (``jobs_per_gpu`` workers per GPU).
    jobs_per_gpu : int
        Workers per GPU given in ``gpus``.
    timeout : float or None
        Seconds one fit may take before it is stopped and recorded as failed.
    retry_failed : bool
        Refit fits the run folder records as failed (otherwise their failure is reported again).
    slurm : SlurmOptions or None
        Partition, time, resources of ``executor="slurm"``.
    progress : bool or None
        A progress bar on stderr; None: only when stderr is a terminal.
    fresh : bool
        Write only this run's rows to ``out``'s results table. By default the table accumulates: it keeps
        the rows of earlier runs into the folder that this run did not redo (other methods, tasks, options).
    task : str or sequence of str, optional
        ``tasks`` as the command line spells it (``--task``); give one or the other.

    Returns
    -------
    pandas.DataFrame
        This run's rows, one per number (``ner_bench.results.COLUMNS``): task, method and parameters,
        recordings and pair type, seed, decoder, target, metric, value, status (``ok``, ``failed`` with its
        error, or ``skipped`` with the reason), protocol and versions. ``attrs["fits"]`` counts the fits
        planned, found in the run folder, run now and failed; ``attrs["folder_rows"]`` the rows of the
        folder's accumulated table.

    Notes
    -----
    Each method x seed is scored as soon as its fits are in, on the local workers when there are some.
    Whatever the executor, every fit and scoring job runs with the same numeric-library thread count
    (``NER_BENCH_THREADS``, default 1; ``ner_bench.threads``), so that the numbers do not depend on where
    they were computed; the ``threads`` column records it.

    Examples
    --------
    >>> import ner_bench as nb
    >>> results = nb.run(methods="pca", tasks="within-session", out=None,
    ...                  dataset="synthetic[n_sessions=2,n_s1_sessions=0,n_trials=24,n_neurons=12]")
    >>> sorted(results["status"].unique())
    ['ok']
    >>> velocity = results.query("split == 'test' and target == 'velocity' and decoder == 'linear'")
    >>> velocity.groupby("test_unit")["value"].size().tolist()
    [1, 1, 1]
    """
    tasks = one_of_tasks(tasks, task)
    gpus = tuple(str(g) for g in gpus)
    if jobs == "auto":
        jobs = 1 if gpus else available_cpus()
    if gpus and device == "cpu":
        device = "cuda"  # --gpus means the fits run on them
    options = ExecutionOptions(executor=executor, jobs=jobs, gpus=gpus, jobs_per_gpu=jobs_per_gpu,
                               timeout=timeout, slurm=slurm or SlurmOptions(), progress=progress)
    options.check()
    thread_count()  # a bad NER_BENCH_THREADS stops the run here, not in every fit
    seeds = checked_seeds(seeds)
    registry = discover([str(p) for p in plugins])
    chosen_protocol = get_protocol(protocol)
    method_choices = choose_methods(registry, methods, budget)
    tasks_ = task_objects(registry, tasks)
    recordings = load_recordings(registry, dataset, data_dir, subjects, sessions, areas)
    splits = {r.id: chronological_split(r, train_fraction) for r in recordings}

    units = task_units(tasks_, recordings, dataset)
    in_units = list({rec.id: rec for each in units.values() for unit in each for rec in unit.recordings}.values())
    planned = plan_units(tasks_, method_choices, seeds, units, method_skips(method_choices, in_units, splits))
    wanted = needed_fits(planned)
    fit_jobs = [job for job in plan_fit_jobs(method_choices, in_units, splits, seeds, budget=budget, device=device,
                                             plugins=plugins) if fit_needed(job, wanted)]
    folder = RunFolder(out) if out else None
    plan = ScoringPlan(planned, fit_jobs, splits, chosen_protocol, folder.evaluations() if folder else None,
                       code_fingerprint(tasks_) if folder else "", plugin_files=resolved(plugins))
    options.isolate = has_plug_ins(method_choices, tasks_)
    with folder.claimed() if folder else contextlib.nullcontext():
        outcomes = fit_all(fit_jobs, folder, options, retry_failed=retry_failed, scoring=plan)
        table = make_table(plan.all_rows(), protocol=chosen_protocol, budget=budget, device=device)
        table.attrs["fits"] = fit_counts(fit_jobs, outcomes)
        if folder:
            table.attrs["folder_rows"] = len(folder.write_results(table, fresh=fresh))
    return table


def one_of_tasks(tasks: str | Sequence[str], task: str | Sequence[str] | None) -> str | Sequence[str]:
    """``tasks``, or ``task`` (the command line's spelling) when that is the one given."""
    if task is None:
        return tasks
    if tasks != "within-session":
        raise TypeError("run(): give tasks= or task= (the same argument), not both")
    return task


def fit_all(fit_jobs: list[FitJob], folder: RunFolder | None, options: ExecutionOptions | None = None, *,
            retry_failed: bool = False, scoring: ScoringPlan | None = None) -> dict[str, FitOutcome]:
    """Every job's outcome by key: from the run folder where stored (an embedding, or a recorded failure
    unless ``retry_failed``), else run on the executor, which stores it as it finishes. With ``scoring``,
    each method x seed is scored (on the same executor) as soon as its fits are in."""
    options = options or ExecutionOptions()
    outcomes, missing = stored_outcomes(fit_jobs, folder, retry_failed)
    scoring = scoring or ScoringPlan([], [], {}, get_protocol("strict"))
    queue: deque = deque(set_up_first(missing))
    ran, failed = 0, 0
    with progress_bar(len(missing) + scoring.n_groups, options, "fits and scoring", "job") as bar:
        _release_scoring(scoring, outcomes, queue, bar)
        for job, outcome in execute(queue, options, folder, notify=lambda text: bar.set_postfix_str(text)):
            if isinstance(outcome, FitOutcome):
                outcomes[outcome.key] = outcome
                outcomes.update(checkpoint_outcomes(job, outcome))
                leave_out_set_up(bar, float(outcome.meta.get("prepare_seconds", 0) or 0), options)
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


def stored_outcomes(fit_jobs: list[FitJob], folder: RunFolder | None,
                    retry_failed: bool) -> tuple[dict[str, FitOutcome], list[FitJob]]:
    """The outcomes the run folder holds, and the distinct jobs it lacks."""
    outcomes: dict[str, FitOutcome] = {}
    missing: dict[str, FitJob] = {}
    store = folder.fits() if folder else None
    for job in fit_jobs:
        if job.key in outcomes or job.key in missing:
            continue
        stored = store.lookup(job, retry_failed) if store else None
        if stored is not None:
            outcomes[job.key] = stored
        else:
            missing[job.key] = job
    # a fit that a missing fit's checkpoints will yield waits for it rather than running on its own
    yielded = {shorter.key for job in missing.values() for shorter in job.checkpoint_jobs()}
    missing = {key: job for key, job in missing.items() if key not in yielded}
    reused = sum(o.status != OK for o in outcomes.values())
    log.info("%d fits: %d cached, %d recorded failures reused, %d to run", len(outcomes) + len(missing),
             len(outcomes) - reused, reused, len(missing))
    return outcomes, list(missing.values())


def checkpoint_outcomes(job: FitJob, outcome: FitOutcome) -> dict[str, FitOutcome]:
    """The outcomes of ``job``'s checkpoint jobs: those it brought, failures for the rest (its fit failed,
    or its process died)."""
    return {shorter.key: outcome.checkpoints.get(shorter.key) or
            shorter.failed(f"the fit whose checkpoint it is failed ({job.label()}): {outcome.error.splitlines()[0]}"
                           if outcome.error else f"the fit whose checkpoint it is brought no embedding ({job.label()})")
            for shorter in job.checkpoint_jobs()}


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




@dataclass(frozen=True, eq=False)
class FittedEmbedding:
    """One fit of ``fit_embeddings``: the embedding of every bin (``values``, None when it failed)."""

    method: str
    params: dict
    seed: int
    recording: Recording
    split: Split
    status: str
    error: str
    values: np.ndarray | None

    @property
    def ok(self) -> bool:
        return self.status == OK


def fit_embeddings(methods: str | Sequence[str | Method] = "pca", dataset: str = "synthetic", *,
                   seeds: Sequence[int] = (0,), out: str | Path | None = "results",
                   plugins: Sequence[str | Path] = (), budget: str = "quick", data_dir: str | Path | None = None,
                   subjects: Sequence[str] = (), sessions: Sequence[str] = (), areas: Sequence[str] = (),
                   device: str = "cpu", train_fraction: float = 0.8,
                   options: ExecutionOptions | None = None) -> list[FittedEmbedding]:
    """Fit ``methods`` on every recording of ``dataset`` (each seed) and return the embeddings, without
    scoring anything: for figures and notebooks.

    A fit made here is the fit ``run`` scores (same run folder, same keys), and the other way round.

    Parameters
    ----------
    methods, dataset, seeds, out, plugins, budget, data_dir, subjects, sessions, areas, device, train_fraction
        As for :func:`run`.
    options : ExecutionOptions or None
        Where the fits run (``ner_bench.execution``); None: one after the other in this process.

    Returns
    -------
    list of FittedEmbedding
        One per method x seed x recording, in that order: ``values`` is the (n_bins, dim) embedding of every
        bin, or None when the fit failed (``status="failed"``, the error in ``error``) or cannot be made
        (``status="skipped"``, the method's ``skip`` reason in ``error``).

    Examples
    --------
    >>> import ner_bench as nb
    >>> fitted = nb.fit_embeddings("pca", "synthetic[n_sessions=2,n_s1_sessions=0,n_trials=24,n_neurons=12]",
    ...                            out=None)
    >>> [(f.recording.id, f.status, f.values.shape[1]) for f in fitted][0]
    ('Synthie_20260101_M1', 'ok', 3)
    """
    registry = discover([str(p) for p in plugins])
    choices = choose_methods(registry, methods, budget)
    recordings = load_recordings(registry, dataset, data_dir, subjects, sessions, areas)
    splits = {r.id: chronological_split(r, train_fraction) for r in recordings}
    skips = method_skips(choices, recordings, splits)
    jobs = plan_fit_jobs(choices, recordings, splits, seeds, budget=budget, device=device, plugins=plugins)
    folder = RunFolder(out) if out else None
    options = dataclasses.replace(options or ExecutionOptions())  # the caller's options stay as given
    options.isolate = options.isolate or has_plug_ins(choices, [])
    with folder.claimed() if folder else contextlib.nullcontext():
        outcomes = fit_all([job for job in jobs if fit_key(job) not in skips], folder, options)
    fitted = []
    for job in jobs:
        outcome = outcomes.get(job.key) or FitOutcome(job.key, SKIPPED, error=skips[fit_key(job)])
        fitted.append(FittedEmbedding(job.method, job.params, job.seed, job.recording, job.split, outcome.status,
                                      outcome.error, outcome.values))
    return fitted
