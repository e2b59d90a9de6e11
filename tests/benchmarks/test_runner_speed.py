"""Speed goals of the runner (run with `pytest tests/benchmarks --benchmark-only`):

- a rerun with everything cached finishes in seconds;
- `ner-bench run --methods all --task all` on the synthetic default within 3 minutes on 2 cores
  (quick budgets, `--jobs 2`).
"""

import pytest

from ner_bench.runner import run
from support.optional_deps import METHOD_MODULES

for _module in sorted(set(METHOD_MODULES.values())):  # `--methods all`: every method's package
    pytest.importorskip(_module)

ALL = dict(methods="all", tasks="all", dataset="synthetic", progress=False)


@pytest.fixture(scope="module")
def filled(tmp_path_factory):
    """A run folder holding every fit of the full synthetic benchmark."""
    out = tmp_path_factory.mktemp("filled")
    run(**ALL, out=out, jobs=2)
    return out


def test_rerun_fully_cached(benchmark, filled):
    table = benchmark.pedantic(run, kwargs=dict(**ALL, out=filled, jobs=2), rounds=3, iterations=1)
    assert table.attrs["fits"]["ran"] == 0


def test_all_methods_all_tasks_synthetic_default(benchmark, tmp_path_factory):
    def fresh_folder():
        return (), dict(**ALL, out=tmp_path_factory.mktemp("full"), jobs=2)

    table = benchmark.pedantic(run, setup=fresh_folder, rounds=1, iterations=1)
    assert table.attrs["fits"]["failed"] == 0 and table.attrs["fits"]["ran"] == table.attrs["fits"]["planned"]
