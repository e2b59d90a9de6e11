"""UMAP with the published parameters (2-D by default). Held-out bins go through ``transform`` of the
fitted model, never a new fit (the published "test" embeddings were separate fits on the test data).
Neighbours by NN-descent at every size, as in every published fit (see ``_umap_common``)."""

from __future__ import annotations

import numpy as np

from ner_bench import Method, Recording
from ner_bench.builtins.methods._umap_common import PUBLISHED, fit_quietly, make_umap, warm_up


class UMAP(Method):
    """Every bin, training bins included, is embedded by ``transform``, so decoders are fitted and scored
    on one and the same mapping. Deterministic for a seed, hence single-threaded."""

    name = "umap"
    dependencies = ("umap",)
    prepare_group = "umap"  # umap-label compiles the same numba kernels
    description = "UMAP (umap-learn), published parameters, 2-D; held-out bins via transform"
    defaults = {"dim": 2, **PUBLISHED}

    def prepare(self) -> None:
        """numba warm-up (compiles umap's kernels once per process, ~30 s)."""
        warm_up(self.params)

    def fit(self, train: Recording, *, seed: int, device: str = "cpu") -> "UMAP":
        self.model_ = fit_quietly(make_umap(self.params, seed), train.neural)
        return self

    def transform(self, recording: Recording) -> np.ndarray:
        self.check_fitted()
        return self.model_.transform(recording.neural)
