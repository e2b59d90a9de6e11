"""Executors run fit jobs and yield ``(job, outcome)`` pairs as they finish."""

from __future__ import annotations

import logging
from typing import Iterator, Sequence

from tqdm.auto import tqdm

from .errors import NerBenchError
from .jobs import FitJob, FitOutcome, run_fit_job

log = logging.getLogger(__name__)

EXECUTORS = ("local",)


def execute(jobs: Sequence[FitJob], executor: str = "local", jobs_in_parallel: int = 1,
            **_: object) -> Iterator[tuple[FitJob, FitOutcome]]:
    if executor not in EXECUTORS:
        raise NerBenchError(f"argument --executor: unknown executor {executor!r}; expected one of {EXECUTORS}")
    if not jobs:
        return
    with tqdm(total=len(jobs), desc="fits", unit="fit", disable=None) as progress:
        for job in jobs:
            progress.set_postfix_str(job.label(), refresh=False)
            outcome = run_fit_job(job)
            progress.update()
            yield job, outcome
