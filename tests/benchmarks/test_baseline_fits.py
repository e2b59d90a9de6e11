"""Fit time of the baselines on one synthetic recording (96 trials x 40 bins, 40 neurons), once warm.

Run with ``pytest tests/benchmarks --benchmark-only``; numba compilation is paid by ``prepare`` first,
as in the runner, so these are the ``fit_seconds`` a run reports.
"""

from __future__ import annotations

import pytest

from ner_bench import chronological_split
from ner_bench.plugins import discover
from support.optional_deps import METHOD_MODULES

REGISTRY = discover()


@pytest.fixture(scope="module")
def train():
    recording = REGISTRY.get("datasets", "synthetic")(n_sessions=1, n_s1_sessions=0).recordings()[0]
    return chronological_split(recording).train(recording)


@pytest.mark.parametrize("name", ["umap", "umap-label", "dpca", "pca-avg"])
def test_fit_time(benchmark, train, name):
    if name in METHOD_MODULES:
        pytest.importorskip(METHOD_MODULES[name])
    method = REGISTRY.get("methods", name)()
    method.prepare()
    benchmark.pedantic(lambda: method.fit(train, seed=0), rounds=3, iterations=1)
