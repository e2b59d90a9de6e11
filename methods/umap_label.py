"""Supervised UMAP: the published parameters, with the training labels as UMAP's target.

By default the target is the reach direction, a class, with ``target_metric='categorical'`` (as
published, where y was the target angle). ``target=velocity`` uses the hand velocity with a euclidean
target metric: with umap's default categorical metric every distinct float would be its own class and
the supervision would silently do nothing, so that combination is refused.
"""

from __future__ import annotations

import numpy as np

from ner_bench import Method, NerBenchError, Recording
from ner_bench.builtins.methods._umap_common import PUBLISHED, fit_quietly, make_umap, warm_up

TARGETS = {"direction": "categorical", "velocity": "euclidean"}  # target -> its default metric


class SupervisedUMAP(Method):
    """Labels are used while fitting only; ``transform`` embeds every bin from neural activity alone."""

    name = "umap-label"
    dependencies = ("umap",)
    prepare_group = "umap"  # the same numba kernels as umap
    description = "Supervised UMAP: target = direction class (categorical) or velocity (euclidean)"
    supervised = True
    defaults = {"dim": 2, **PUBLISHED, "target": "direction", "target_metric": "auto", "target_weight": 0.5}

    def __init__(self, budget: str = "quick", **params) -> None:
        super().__init__(budget, **params)
        target, metric = self.params["target"], self.params["target_metric"]
        if target not in TARGETS:
            raise NerBenchError(f"method 'umap-label' parameter 'target': expected one of {sorted(TARGETS)}, "
                                f"got {target!r}")
        if metric == "auto":
            self.params["target_metric"] = metric = TARGETS[target]
        if target == "velocity" and metric == "categorical":
            raise NerBenchError("method 'umap-label' parameter 'target_metric': 'categorical' makes every "
                                "distinct velocity its own class (no supervision); use 'euclidean'")

    def prepare(self) -> None:
        """numba warm-up (compiles umap's kernels once per process, ~30 s)."""
        warm_up(self.params, self.params["target_metric"])

    def fit(self, train: Recording, *, seed: int, device: str = "cpu") -> "SupervisedUMAP":
        target = train.direction if self.params["target"] == "direction" else train.velocity
        model = make_umap(self.params, seed, target_metric=self.params["target_metric"],
                          target_weight=self.params["target_weight"])
        self.model_ = fit_quietly(model, train.neural, target)
        return self

    def transform(self, recording: Recording) -> np.ndarray:
        self.check_fitted()
        return self.model_.transform(recording.neural)
