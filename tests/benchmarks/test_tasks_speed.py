"""Speed of evaluation: every task on the synthetic default with PCA (goal: a `--methods all --task all`
synthetic run within minutes on 2 cores), and one kNN grid search at the release's size.
Run with `pytest tests/benchmarks --benchmark-only`."""

import numpy as np

import ner_bench as nb
from ner_bench.knn import _MEMO, search_ks, trial_block_folds
from ner_bench.protocol import KNN_GRID


def test_all_tasks_on_the_synthetic_default_with_pca(benchmark):
    table = benchmark.pedantic(lambda: nb.run(methods="pca", tasks="all", out=None), rounds=1, iterations=1)
    assert (table["status"] == "ok").all()


def test_knn_grid_search_at_release_size(benchmark):
    rng = np.random.default_rng(0)
    trial = np.repeat(np.arange(137), 40)  # 137 training trials x 40 bins, as Chewie 2015
    values = rng.normal(size=(len(trial), 3))
    velocity, direction = values[:, :2] + rng.normal(size=(len(trial), 2)), np.repeat(np.arange(137) % 8, 40)

    def search():
        _MEMO.clear()
        return search_ks(values, [(velocity, False), (direction, True)], trial_block_folds(trial), KNN_GRID)

    velocity_search, _ = benchmark.pedantic(search, rounds=3, iterations=1)
    assert velocity_search.best_k in KNN_GRID
