"""Speed goal: one `quick` piVAE fit on a default synthetic recording (~3 000 training bins, 40 neurons)
takes a few seconds on 2 CPU cores. Run with `pytest tests/benchmarks --benchmark-only`."""

import pytest

pytest.importorskip("torch")

from ner_bench import chronological_split
from ner_bench.builtins.methods.pivae import PiVAE
from ner_bench.plugins import discover


@pytest.fixture(scope="module")
def training_trials():
    recording = discover().get("datasets", "synthetic")().recordings()[0]
    return chronological_split(recording).train(recording)


@pytest.mark.parametrize("budget", ["quick", "paper"])
def test_pivae_fit_on_a_default_synthetic_recording(benchmark, training_trials, budget):
    method = benchmark.pedantic(lambda: PiVAE(budget=budget).fit(training_trials, seed=0), rounds=1, iterations=1)
    assert method.training_.best_epoch >= 0
