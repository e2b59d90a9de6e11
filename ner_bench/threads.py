"""One thread policy for the numeric libraries, whatever process runs a fit or a scoring job.

BLAS, OpenMP, numba and torch split sums over their threads, so the last digits of a result depend on how
many threads computed it. Were that count taken from the machine or from ``--jobs``, ``--jobs 1`` (fits in
this process), ``--jobs 2`` (worker processes) and submitit jobs would give different numbers for the same
fit. Every fit and every scoring job therefore runs with one fixed count: ``NER_BENCH_THREADS`` if set,
else 1, whatever the executor, ``--jobs`` or the number of cores (parallelism comes from running fits
side by side, not from threads inside one). It is applied in three ways:

- ``limited()`` around every fit and scoring job, in whatever process runs it: threadpoolctl's limits on
  every BLAS and OpenMP pool loaded, and ``torch.set_num_threads`` / ``numba.set_num_threads`` when those
  are imported; the previous settings come back afterwards, so an in-process run leaves its caller as it was;
- ``worker_environment()``: the environment of local worker processes and submitit jobs, set before
  anything is imported there (numba sizes its pool from ``NUMBA_NUM_THREADS`` at import, OpenMP and
  OpenBLAS read theirs when loaded); it overrides the user's ``OMP_NUM_THREADS`` & co., which the
  in-process run could not follow either;
- the count is recorded with each fit (``threads`` in its metadata) and in the run's provenance.

A method's own thread parameter (``threads`` of the CEBRA methods, ``cpu_threads`` of piVAE) still sets
torch's count inside its fit.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Iterator, Mapping

from threadpoolctl import threadpool_limits

from .errors import NerBenchError

#: the environment variable that sets the count (also read by the torch benchmarks)
ENVIRONMENT_VARIABLE = "NER_BENCH_THREADS"
DEFAULT_THREADS = 1
#: variables that size the pools of OpenMP, MKL, OpenBLAS, Apple's Accelerate, numexpr and numba at load time
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS",
                    "NUMEXPR_NUM_THREADS", "NUMBA_NUM_THREADS")


def thread_count() -> int:
    """The policy's thread count: ``NER_BENCH_THREADS`` (a positive integer) or 1."""
    text = os.environ.get(ENVIRONMENT_VARIABLE, "").strip()
    if not text:
        return DEFAULT_THREADS
    if not text.isdigit() or int(text) < 1:
        raise NerBenchError(f"environment variable {ENVIRONMENT_VARIABLE}={text!r}: expected a positive number "
                            "of threads for the numeric libraries (unset: 1)")
    return int(text)


def worker_environment(base: Mapping[str, str] | None = None, threads: int | None = None) -> dict[str, str]:
    """``base`` (default: this process's environment) with the policy's count in every thread variable,
    for a process about to start."""
    count = thread_count() if threads is None else threads
    env = dict(os.environ if base is None else base)
    env[ENVIRONMENT_VARIABLE] = str(count)
    env.update({variable: str(count) for variable in THREAD_VARIABLES})
    return env


def adopt_in_this_process(threads: int) -> None:
    """Make this process's environment follow the policy with ``threads``: for a job process (submitit) that
    has not imported numba or torch yet, before it imports the job's code."""
    os.environ.update(worker_environment(threads=threads))


@contextlib.contextmanager
def limited(threads: int | None = None) -> Iterator[int]:
    """Run the block with the policy's count (or ``threads``) in BLAS, OpenMP, torch and numba; yields it."""
    count = thread_count() if threads is None else threads
    with threadpool_limits(limits=count), torch_threads(count), _numba_threads(count):
        yield count


@contextlib.contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """torch's intra-op threads, when torch is imported (importing it here would cost seconds), restored
    after; ``count`` 0 leaves torch's setting (a method parameter's "as torch likes")."""
    torch = sys.modules.get("torch")
    if torch is None or count <= 0:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@contextlib.contextmanager
def _numba_threads(count: int) -> Iterator[None]:
    """numba's parallel threads, when numba is imported; never above the pool it started with."""
    numba = sys.modules.get("numba")
    if numba is None or not hasattr(numba, "set_num_threads"):
        yield
        return
    previous = numba.get_num_threads()
    numba.set_num_threads(min(count, numba.config.NUMBA_NUM_THREADS))
    try:
        yield
    finally:
        numba.set_num_threads(previous)
