"""PCA: principal components of the training bins; every bin is projected."""

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
