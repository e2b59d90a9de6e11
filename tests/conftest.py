"""Shared fixtures: small synthetic recordings, the real release folder when it is at hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ner_bench import Recording

REPO = Path(__file__).resolve().parents[1]
RELEASE = REPO.parent / "shared" / "data" / "ner-release"


def pytest_collection_modifyitems(config, items):
    """Benchmarks (tests/benchmarks) run only with --benchmark-only; the default run skips them."""
    if config.getoption("benchmark_only", default=False):
        return
    skip = pytest.mark.skip(reason="benchmark: run with `pytest tests/benchmarks --benchmark-only`")
    for item in items:
        if "benchmarks" in Path(str(item.fspath)).parts:
            item.add_marker(skip)


def pytest_configure(config):
    config.benchmark_summary = []  # lines a benchmark leaves for the end of the run (e.g. speed ratios)


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter, config):
    for line in getattr(config, "benchmark_summary", []):
        terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def release_dir() -> Path:
    if not (RELEASE / "MANIFEST.tsv").exists():
        pytest.skip(f"the NER release folder is not at hand ({RELEASE})")
    return RELEASE


def make_recording(n_trials: int = 16, trial_length: int = 10, n_neurons: int = 6, seed: int = 0,
                   id: str = "toy", **meta) -> Recording:
    """A tiny recording whose neurons encode velocity linearly (plus noise)."""
    rng = np.random.default_rng(seed)
    direction = np.repeat(np.arange(n_trials) % 8, trial_length)
    angle = np.deg2rad(direction * 45.0)
    speed = np.tile(np.sin(np.linspace(0, np.pi, trial_length)), n_trials)
    velocity = np.column_stack([speed * np.cos(angle), speed * np.sin(angle)])
    neural = velocity @ rng.normal(size=(2, n_neurons)) + 0.1 * rng.normal(size=(len(speed), n_neurons))
    return Recording.from_trials(id=id, neural=neural, velocity=velocity, direction=direction,
                                 trial_length=trial_length, **meta)


@pytest.fixture
def toy_recording() -> Recording:
    return make_recording()
