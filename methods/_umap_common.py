"""What ``umap`` and ``umap-label`` share: the published UMAP configuration and a once-per-process numba
warm-up, so that JIT compilation stays out of ``fit_seconds``.

Neighbours: umap-learn finds them exactly below 4096 rows and by NN-descent above. Every published fit
had more than 4096 training bins, so it used NN-descent; ``nn_descent=True`` (the default here) uses it
at every size. The exact small-data path is also slow with umap-learn 0.5.12 and scikit-learn 1.9: it
computes distances through a per-pair Python callable (~70 s to transform 3 840 bins of the synthetic
recording, against ~2.5 s with NN-descent).

Warm-up: umap-learn and pynndescent compile their numba kernels on first use in every process (~30-60 s
here), so ``prepare`` fits and transforms throwaway data once per process and kind of target, at two
shapes: a small one, and one above 4096 rows and above pynndescent's 1 MiB "local subtree" size (4200 x
128 float32), so that its breadth-first tree building and search-tree kernels, which real recordings
reach (5 480 bins x 49 neurons = 1.07 MB), are compiled too.
Seeding UMAP (``random_state``) makes it single-threaded: that is the price of reproducible embeddings.
"""

from __future__ import annotations

import logging
import time
import warnings
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

#: the published parameters (reference-protocol.md section 4), plus how neighbours are found
PUBLISHED = {"n_neighbors": 68, "min_dist": 0.2475, "metric": "euclidean", "nn_descent": True}
#: umap-learn's exact path runs below 4096 rows, NN-descent above
EXACT_LIMIT = 4096
#: pynndescent builds trees breadth-first only for nodes above 1 MiB of float32 rows
LOCAL_SUBTREE_BYTES = 1 << 20
#: (rows, columns) of the throwaway data: small, and large in both senses above
WARMUP_SHAPES = ((300, 8), (4200, 128))
_warmed: set[tuple[str, bool]] = set()


def make_umap(params: dict[str, Any], seed: int, **extra: Any):
    """A seeded ``umap.UMAP`` with the method's parameters (single-threaded: seeding requires it)."""
    import umap  # deferred: importing umap compiles numba code, plug-in discovery must stay fast

    return umap.UMAP(n_components=params["dim"], n_neighbors=params["n_neighbors"],
                     min_dist=params["min_dist"], metric=params["metric"],
                     force_approximation_algorithm=params["nn_descent"], random_state=seed,
                     transform_seed=seed, n_jobs=1, **extra)


def fit_quietly(model, neural: np.ndarray, target: np.ndarray | None = None):
    """``model.fit`` without umap's routine warnings (e.g. about n_jobs under a seed)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return model.fit(neural, target)


def warm_up(params: dict[str, Any], target_metric: str | None = None) -> None:
    """Compile umap's kernels once per process for this neighbour search and kind of target."""
    key = (target_metric or "unsupervised", bool(params["nn_descent"]))
    if key in _warmed:
        return
    started = time.perf_counter()
    rng = np.random.default_rng(0)
    extra = {"target_metric": target_metric} if target_metric else {}
    for n_rows, n_columns in WARMUP_SHAPES:
        neural = rng.normal(size=(n_rows, n_columns)).astype(np.float32)
        model = make_umap({**params, "dim": 2}, seed=0, n_epochs=10, **extra)
        fit_quietly(model, neural, _throwaway_target(rng, n_rows, target_metric))
        model.transform(neural[:50] + 0.1)
    _warmed.add(key)
    log.info("umap warm-up %s took %.1f s (kept out of fit time)", key, time.perf_counter() - started)


def _throwaway_target(rng: np.random.Generator, rows: int, target_metric: str | None) -> np.ndarray | None:
    if target_metric is None:
        return None
    if target_metric == "categorical":
        return rng.integers(0, 8, rows)
    return rng.normal(size=(rows, 2))
