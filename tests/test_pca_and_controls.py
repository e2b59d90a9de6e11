"""pca-avg (the published PCA on direction averages) and the raw / random / behavior controls."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.decomposition import PCA as SklearnPCA

from support.recordings import make_recording
from ner_bench import NerBenchError, chronological_split
from ner_bench.builtins.methods.controls import Behavior, RandomProjection, Raw
from ner_bench.builtins.methods.pca import PCA, PCAAverage


@pytest.fixture(scope="module")
def recording():
    rec = make_recording(n_trials=32, trial_length=10, n_neurons=6)
    return rec.replace(neural=rec.neural + np.random.default_rng(1).normal(size=rec.neural.shape))


def test_pca_avg_is_fitted_on_direction_averaged_training_trials(recording):
    train = chronological_split(recording).train(recording)
    method = PCAAverage().fit(train, seed=0)
    trials = train.neural.reshape(train.n_trials, train.trial_length, -1)
    averages = np.stack([trials[train.trial_direction == d].mean(axis=0) for d in range(8)])  # (8, time, neurons)
    expected = SklearnPCA(n_components=3).fit(averages.reshape(-1, train.n_neurons))
    np.testing.assert_allclose(np.abs(method.model_.components_), np.abs(expected.components_), atol=1e-5)
    np.testing.assert_allclose(method.model_.mean_, expected.mean_, rtol=1e-5)
    plain = PCA().fit(train, seed=0)
    assert not np.allclose(np.abs(plain.model_.components_), np.abs(method.model_.components_), atol=1e-3)
    assert method.transform(recording).shape == (recording.n_bins, 3)


def test_raw_is_the_neural_activity(recording):
    np.testing.assert_array_equal(Raw().fit(recording, seed=0).transform(recording), recording.neural)
    with pytest.raises(NerBenchError, match="fitted on 6"):
        Raw().fit(recording, seed=0).transform(make_recording(n_neurons=4))


def test_random_projection_is_3d_and_seeded(recording):
    embed = lambda seed: RandomProjection().fit(recording, seed=seed).transform(recording)  # noqa: E731
    assert embed(0).shape == (recording.n_bins, 3)
    np.testing.assert_array_equal(embed(0), embed(0))
    assert not np.allclose(embed(0), embed(1))


def test_behavior_is_velocity_and_direction_and_declares_it(recording):
    values = Behavior().fit(recording, seed=0).transform(recording)
    np.testing.assert_allclose(values[:, :2], recording.velocity, rtol=1e-6)
    angle = np.arctan2(values[:, 3], values[:, 2])
    np.testing.assert_allclose(np.rad2deg(angle) % 360, recording.angle, atol=1e-3)
    assert Behavior.uses_behavior_at_transform and not Raw.uses_behavior_at_transform
