"""PCA: principal components of the training bins (``pca``) or, as published, of the direction-averaged
training trials (``pca-avg``); every bin is projected."""

from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA as SklearnPCA

from ner_bench import Method, Recording
from ner_bench.trajectories import direction_averages


class PCA(Method):
    name = "pca"
    description = "PCA fitted on the training bins (scikit-learn), every bin projected"
    defaults = {"dim": 3}

    def fit(self, train: Recording, *, seed: int, device: str = "cpu") -> "PCA":
        self.model_ = SklearnPCA(n_components=self.params["dim"], random_state=seed).fit(train.neural)
        return self

    def transform(self, recording: Recording) -> np.ndarray:
        self.check_fitted()
        return self.model_.transform(recording.neural)


class PCAAverage(Method):
    """The published PCA: fitted on the training trials averaged per direction (directions x time bins
    rows), so its axes capture condition-dependent structure; every bin is then projected."""

    name = "pca-avg"
    description = "PCA fitted on direction-averaged training trials (as published), every bin projected"
    supervised = True  # the averages are grouped by direction labels
    needs_trials = True
    defaults = {"dim": 3}

    def fit(self, train: Recording, *, seed: int, device: str = "cpu") -> "PCAAverage":
        averages = np.stack(list(direction_averages(train.neural, train, dtype=None).values()))  # sorted
        rows = averages.reshape(-1, train.n_neurons)
        self.model_ = SklearnPCA(n_components=self.params["dim"], random_state=seed).fit(rows)
        return self

    def transform(self, recording: Recording) -> np.ndarray:
        self.check_fitted()
        return self.model_.transform(recording.neural)
