"""Control baselines that give every score a floor and a ceiling.

- ``raw``: the neural activity itself (all neurons), what any embedding competes with;
- ``random``: a seeded random Gaussian projection of the neural activity to 3-D, the floor for a
  3-D embedding that knows nothing about behaviour;
- ``behavior``: the true velocity and target direction as the embedding, the ceiling. It reads behaviour
  at transform time *by design* and says so (``uses_behavior_at_transform``), so the contract check
  reports it as exempt; never use it as a method.
"""

from __future__ import annotations

import numpy as np
from sklearn.random_projection import GaussianRandomProjection

from ner_bench import Method, NerBenchError, Recording


def check_neurons(method: Method, recording: Recording, fitted: int) -> None:
    if recording.n_neurons != fitted:
        raise NerBenchError(f"method {method.name!r}: recording {recording.id!r} has {recording.n_neurons} "
                            f"neurons, the method was fitted on {fitted}")


class Raw(Method):
    name = "raw"
    description = "Control: the neural activity itself, all neurons (no reduction)"

    def fit(self, train: Recording, *, seed: int, device: str = "cpu") -> "Raw":
        self.n_neurons_ = train.n_neurons
        return self

    def transform(self, recording: Recording) -> np.ndarray:
        self.check_fitted()
        check_neurons(self, recording, self.n_neurons_)
        return recording.neural.astype(np.float32, copy=True)


class RandomProjection(Method):
    name = "random"
    description = "Control: a seeded random Gaussian projection of the neural activity to 3-D"
    defaults = {"dim": 3}

    def fit(self, train: Recording, *, seed: int, device: str = "cpu") -> "RandomProjection":
        self.model_ = GaussianRandomProjection(n_components=self.params["dim"], random_state=seed)
        self.model_.fit(train.neural)  # draws the (dim x neurons) matrix; the data only give its width
        return self

    def transform(self, recording: Recording) -> np.ndarray:
        self.check_fitted()
        check_neurons(self, recording, self.model_.n_features_in_)
        return self.model_.transform(recording.neural)


class Behavior(Method):
    """The ceiling: ``[vx, vy, cos(target angle), sin(target angle)]`` per bin, read from the recording.
    Linear decoders recover velocity exactly and the 8 targets are linearly separable on the circle."""

    name = "behavior"
    description = "Control (ceiling): the true velocity and target direction as the embedding (reads behaviour)"
    supervised = True
    uses_behavior_at_transform = True

    def fit(self, train: Recording, *, seed: int, device: str = "cpu") -> "Behavior":
        self.fitted_ = True  # nothing to learn: the fitted attribute only records that fit ran
        return self

    def transform(self, recording: Recording) -> np.ndarray:
        self.check_fitted()
        angle = np.deg2rad(recording.angle)
        return np.column_stack([recording.velocity, np.cos(angle), np.sin(angle)]).astype(np.float32)
