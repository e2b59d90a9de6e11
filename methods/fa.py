"""Factor analysis (scikit-learn): a latent-variable model with a private noise variance per neuron, the
classic single-trial alternative to PCA (Yu et al. 2009 start GPFA from it). 3-D; every bin embedded as
the posterior mean of its factors."""

from __future__ import annotations

import numpy as np
from sklearn.decomposition import FactorAnalysis as SklearnFA

from ner_bench import Method, Recording


class FactorAnalysis(Method):
    name = "fa"
    description = "Factor analysis (scikit-learn), posterior mean of the factors, 3-D"
    defaults = {"dim": 3, "max_iter": 1000, "tol": 1e-2}
    minimums = {"max_iter": 1, "tol": 0.0}

    def fit(self, train: Recording, *, seed: int, device: str = "cpu") -> "FactorAnalysis":
        p = self.params
        self.model_ = SklearnFA(n_components=p["dim"], max_iter=p["max_iter"], tol=p["tol"],
                                random_state=seed).fit(train.neural)
        return self

    def transform(self, recording: Recording) -> np.ndarray:
        self.check_fitted()
        return self.model_.transform(recording.neural)
