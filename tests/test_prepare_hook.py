"""The runner calls ``Method.prepare`` before it starts the fit timer (JIT warm-up stays out of fit time)."""

from __future__ import annotations

import itertools

from support.recordings import make_recording
from ner_bench import Method, chronological_split
from ner_bench import jobs
from ner_bench.jobs import FitJob, run_fit_job


def test_prepare_runs_before_the_fit_timer(monkeypatch):
    clock = itertools.count()  # a fake clock: every reading advances by 1 s
    calls = []

    class Warm(Method):
        name, description = "warm", "a method with an expensive prepare"

        def prepare(self):
            calls.append("prepare")
            for _ in range(100):  # 100 s of "compilation" on the fake clock
                next(clock)

        def fit(self, train, *, seed, device="cpu"):
            calls.append("fit")
            return self

        def transform(self, recording):
            return recording.neural[:, :2]

    monkeypatch.setattr(jobs.time, "perf_counter", lambda: float(next(clock)))
    rec = make_recording()
    outcome = run_fit_job(FitJob("warm", {}, "1", rec, chronological_split(rec), seed=0, method_class=Warm))
    assert outcome.status == "ok", outcome.error
    assert calls == ["prepare", "fit"]
    assert outcome.fit_seconds == 1.0 and outcome.meta["prepare_seconds"] >= 100
