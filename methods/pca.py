"""PCA: principal components of the training bins (``pca``) or, as published, of the direction-averaged
training trials (``pca-avg``); every bin is projected."""

from __future__ import annotations

import numpy as np
from sklearn.decomposition import PCA as SklearnPCA

from ner_bench import Method, Recording


class PCA(Method):
    name = "pca"
    description = "PCA fitted on the training bins (scikit-learn), every bin projected"
    defaults = {"dim": 3}

    def fit(self, train: Recording, *, seed: int, device: str = "cpu") -> "PCA":
        self.model = SklearnPCA(n_components=self.params["dim"], random_state=seed).fit(train.neural)
        return self

    def transform(self, recording: Recording) -> np.ndarray:
        return self.model.transform(recording.neural)


class PCAAverage(Method):
    """The published PCA: fitted on the training trials averaged per direction (directions x time bins
    rows), so its axes capture condition-dependent structure; every bin is then projected."""

    name = "pca-avg"
    description = "PCA fitted on direction-averaged training trials (as published), every bin projected"
    supervised = True  # the averages are grouped by direction labels
    needs_trials = True
    defaults = {"dim": 3}

    def fit(self, train: Recording, *, seed: int, device: str = "cpu") -> "PCAAverage":
        averages = direction_averages(train)
        rows = averages.reshape(-1, train.n_neurons)
        self.model = SklearnPCA(n_components=self.params["dim"], random_state=seed).fit(rows)
        return self

    def transform(self, recording: Recording) -> np.ndarray:
        return self.model.transform(recording.neural)


def direction_averages(recording: Recording) -> np.ndarray:
    """Trial-averaged activity per direction: a (directions, time bins, neurons) array, directions sorted."""
    trials = recording.neural.reshape(recording.n_trials, recording.trial_length, recording.n_neurons)
    directions = recording.trial_direction
    return np.stack([trials[directions == d].mean(axis=0) for d in np.unique(directions)])
