"""Local worker processes (``--executor local --jobs N``, ``--gpus 0,1 --jobs-per-gpu K``).

Each worker is a fresh Python process (``python -m ner_bench.execution.worker``; never a fork, since torch and
fork do not mix) that runs one job at a time: a fit, which it stores in the run folder itself, or the
scoring of one method's embeddings (``jobs.ScoringJob``). Jobs reach it as
bytes over a socket (see ``wire.py``), so the caller's ``__main__`` is never re-imported: scripts
need no ``if __name__ == "__main__"`` guard and notebook-defined methods work. A worker may be pinned
to one GPU: ``CUDA_VISIBLE_DEVICES`` is set in its environment when it starts, before anything (torch
included) is imported, so it only ever sees that GPU. Its thread variables (``OMP_NUM_THREADS`` & co.) are
set there too, to the thread policy's count (``threads.py``), the same as in-process fits run with, not a
share of the cores: the numbers must not depend on ``--jobs``. A fit that runs past
``timeout`` seconds (counted from the moment the method starts fitting, imports excluded) has its
worker killed; a worker that dies (segfault, out of memory) fails only its own job. Either way a fresh
worker takes the slot and the run goes on. Workers exit when the runner goes away, even by SIGKILL.
"""

from __future__ import annotations

import gc
import logging
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any, Callable, Iterator, Sequence

from ..jobs import FitJob, Job
from ..run_folder import RunFolder
from ..threads import thread_count, worker_environment
from .chooser import JobChooser, has_set_up, prepare_group, set_up_description
from .running import record_failure, run_and_store
from .wire import decode_job, encode_job

log = logging.getLogger(__name__)

#: time a worker may take between receiving a job and starting to fit it (imports, unpickling)
START_GRACE_SECONDS = 120.0
#: how often a busy worker is checked for death even when its socket stays silent
LIVENESS_SECONDS = 1.0


def worker_slots(jobs: int, gpus: Sequence[str] = (), jobs_per_gpu: int = 1) -> list[str | None]:
    """One entry per worker: the GPU it is pinned to, or None. GPUs alternate, so that fewer fits than
    workers still spread over every GPU."""
    if gpus:
        return [gpu for _ in range(jobs_per_gpu) for gpu in gpus]
    return [None] * jobs


@dataclass(eq=False)
class _Slot:
    gpu: str | None
    process: subprocess.Popen | None = None
    conn: Connection | None = None
    job: Job | None = None
    #: prepare groups of the fits this worker was given: their once-per-process set-up is done here
    warm: set = field(default_factory=set)
    sent_at: float = 0.0
    started_at: float | None = None


class WorkerPool:
    """Runs jobs on worker processes; ``run`` yields ``(job, outcome)`` as they finish."""

    def __init__(self, slots: Sequence[str | None], timeout: float | None = None,
                 folder: RunFolder | None = None, notify: Callable[[str], None] | None = None) -> None:
        self.slots = [_Slot(gpu) for gpu in slots]
        self.timeout = timeout
        self.folder = folder
        #: told what a worker is about to do that is worth saying (a method's set-up)
        self.notify = notify
        self.chooser = JobChooser()
        #: the thread policy's count, whatever the number of workers (``threads.py``)
        self.threads = thread_count()

    def run(self, pending: deque) -> Iterator[tuple[Job, Any]]:
        """Run the jobs of ``pending``, which the caller may extend whenever a ``(job, outcome)`` is yielded
        to it (the runner adds scoring jobs as the fits they need finish)."""
        try:
            while pending or self._busy():
                for slot, job in self._assign(pending):
                    unsent = self._send(slot, job)
                    if unsent:
                        yield unsent
                self._wait()
                for slot in self._busy():
                    finished = self._collect(slot)
                    if finished:
                        yield finished
        finally:
            self.close()

    def close(self) -> None:
        """Idle workers exit when their pipe closes; busy ones (interrupted run) are killed."""
        for slot in self.slots:
            if slot.process is None:
                continue
            if slot.job is not None:
                slot.process.kill()
            slot.conn.close()
            try:
                slot.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                slot.process.kill()
                slot.process.wait()
            slot.process = slot.conn = slot.job = None

    def _assign(self, pending: deque) -> list[tuple[_Slot, Job]]:
        """Free workers and the jobs they take (``scheduling.JobChooser``); a worker may stay idle while
        another one is busy, never when none is (the first free worker then takes the first job)."""
        chosen = []
        for slot in self.slots:
            if slot.job is None and pending:
                elsewhere = set().union(*(other.warm for other in self.slots if other is not slot))
                job = self.chooser.choose(pending, slot.warm, elsewhere)
                if job is not None:
                    chosen.append(self._prepared_for(slot, job))
        if pending and not chosen and not self._busy():
            chosen.append(self._prepared_for(next(slot for slot in self.slots if slot.job is None), pending.popleft()))
        return chosen

    def _prepared_for(self, slot: _Slot, job: Job) -> tuple[_Slot, Job]:
        """Mark the worker as prepared for the job's group (at once, so that the next free worker of this
        round sees it) and pair them; a set-up about to run is named on the progress bar (``notify``)."""
        group = prepare_group(job)
        if group is not None:
            if group not in slot.warm and has_set_up(job) and self.notify:
                self.notify(set_up_description(job))
            slot.warm.add(group)
        return slot, job

    def _busy(self) -> list[_Slot]:
        return [slot for slot in self.slots if slot.job is not None]

    def _send(self, slot: _Slot, job: Job) -> tuple[Job, Any] | None:
        """Hand ``job`` to the slot's worker (started if need be); a job that cannot be shipped fails."""
        try:
            payload = encode_job(job)
        except Exception as error:  # e.g. a method class holding a lock or an open file
            return job, self._failed(job, f"could not send the job to a worker process: "
                                          f"{type(error).__name__}: {error}")
        if slot.process is None:
            self._start(slot)
        slot.job, slot.sent_at, slot.started_at = job, time.monotonic(), None
        try:
            slot.conn.send_bytes(payload)
        except OSError:  # the worker died while idle: _collect reports it and replaces it
            log.debug("could not hand %s to its worker", job.label())
        return None

    def _start(self, slot: _Slot) -> None:
        parent_end, child_end = socket.socketpair()
        env = worker_environment(threads=self.threads)  # before the worker imports numba or torch
        if slot.gpu is not None:
            env["CUDA_VISIBLE_DEVICES"] = slot.gpu
        command = [sys.executable, "-m", "ner_bench.execution.worker", str(child_end.fileno()),
                   str(os.getpid()), str(self.folder.root) if self.folder else ""]
        with child_end:
            slot.process = subprocess.Popen(command, env=env, pass_fds=(child_end.fileno(),))
        slot.conn = Connection(parent_end.detach())

    def _deadline(self, slot: _Slot) -> float | None:
        if self.timeout is None or not slot.job.timed:
            return None
        if slot.started_at is None:
            return slot.sent_at + START_GRACE_SECONDS + self.timeout
        return slot.started_at + self.timeout

    def _wait(self) -> None:
        busy = self._busy()
        deadlines = [d for d in map(self._deadline, busy) if d is not None]
        timeout = max(0.0, min(deadlines) - time.monotonic()) if deadlines else LIVENESS_SECONDS
        wait([s.conn for s in busy], min(timeout, LIVENESS_SECONDS))

    def _collect(self, slot: _Slot) -> tuple[Job, Any] | None:
        """The slot's finished job and outcome, or None while it is still running."""
        job = slot.job
        closed = False
        try:
            while slot.conn.poll():
                message = pickle.loads(slot.conn.recv_bytes())
                if message[0] == "started":
                    slot.started_at = time.monotonic()
                elif message[0] == "done":
                    slot.job = None
                    log.info("%s: done in %.1f s (worker %d)", job.label(), time.monotonic() - slot.sent_at,
                             self.slots.index(slot))
                    self.chooser.observe(job, message[1])
                    return job, message[1]
                else:  # "error": the worker could not even decode the job
                    slot.job = None
                    return job, self._failed(job, message[1])
        except (EOFError, OSError):
            closed = True  # the worker died, possibly mid-message
        if closed or slot.process.poll() is not None:
            code = self._discard(slot, grace=2.0)
            return job, self._failed(job, died(code, "fit" if isinstance(job, FitJob) else "job"),
                                     infrastructure=code in KILLED_FROM_OUTSIDE)
        deadline = self._deadline(slot)
        if deadline is not None and time.monotonic() >= deadline:
            started = slot.started_at is not None
            self._discard(slot)
            where = "" if started else " (it never started fitting: stuck importing or building the method)"
            return job, self._failed(job, f"TimeoutError: the fit ran past --timeout {self.timeout:g} s{where}; "
                                          "its worker was killed", seconds=self.timeout)
        return None

    def _discard(self, slot: _Slot, grace: float = 0.0) -> int:
        """Kill the slot's worker (after ``grace`` seconds to exit by itself) and return its exit code;
        the next job starts a fresh one."""
        try:
            code = slot.process.wait(timeout=grace) if grace else None
        except subprocess.TimeoutExpired:
            code = None
        if code is None:
            slot.process.kill()
            code = slot.process.wait()
        slot.conn.close()
        slot.process = slot.conn = slot.job = None
        slot.warm = set()  # the next job starts a fresh process
        return code

    def _failed(self, job: Job, error: str, seconds: float = float("nan"), infrastructure: bool = False) -> Any:
        """The outcome of a job its worker could not finish (a failed fit is recorded in the run folder)."""
        log.debug("%s: %s", job.label(), error)
        return record_failure(job, error, self.folder, seconds, infrastructure=infrastructure)


#: exit codes of a worker killed from outside (SIGKILL: the out-of-memory killer; SIGTERM): retried by a rerun
KILLED_FROM_OUTSIDE = (-signal.SIGKILL, -signal.SIGTERM)


def died(code: int | None, what: str) -> str:
    """Why a worker's job failed, from its exit code."""
    if code in KILLED_FROM_OUTSIDE:
        cause = "it was killed from outside (the system running out of memory is the usual cause); a rerun tries again"
    elif code is not None and code < 0:
        cause = f"signal {signal_name(-code)} (a crash in native code)"
    else:
        cause = "the code it ran ended the process (os._exit, sys.exit in a thread, or a crash)"
    return f"WorkerDied: the worker process running this {what} died (exit code {code}): {cause}"


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS
        return os.cpu_count() or 1


def serve(fd: int, parent_pid: int, folder: RunFolder | None) -> None:
    """A worker's life: receive a job, run and store it, send back its outcome; until the pipe closes."""
    os.set_inheritable(fd, False)  # a method's own subprocesses must not hold the runner's socket open
    conn = Connection(fd)
    threading.Thread(target=_exit_when_orphaned, args=(parent_pid,), daemon=True).start()
    while True:
        try:
            payload = conn.recv_bytes()
        except (EOFError, OSError):
            return
        try:
            job = decode_job(payload)
        except Exception as error:
            conn.send_bytes(pickle.dumps(("error", f"could not load the job in a worker process: "
                                          f"{type(error).__name__}: {error}\n{traceback.format_exc(limit=-4)}")))
            continue
        outcome = run_and_store(job, folder, on_start=lambda: _tell(conn, ("started",)))
        try:
            reply = pickle.dumps(("done", outcome))
        except Exception as error:  # e.g. a parameter value that cannot be pickled
            reply = pickle.dumps(("error", f"could not send the job's outcome back: {type(error).__name__}: {error}"))
        conn.send_bytes(reply)
        del job, outcome
        _release_memory()


def _tell(conn: Connection, message: tuple) -> None:
    """Send ``message`` to the runner; if it is gone, stop at once (storing the job's failure would blame
    the method for a broken pipe)."""
    try:
        conn.send_bytes(pickle.dumps(message))
    except OSError:
        os._exit(1)


def _exit_when_orphaned(parent_pid: int) -> None:
    """The runner was killed (even by SIGKILL, which it cannot catch): stop rather than linger."""
    while os.getppid() == parent_pid:
        time.sleep(1.0)
    os._exit(1)


def _release_memory() -> None:
    gc.collect()
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available() and torch.cuda.is_initialized():
        torch.cuda.empty_cache()

