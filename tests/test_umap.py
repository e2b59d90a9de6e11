"""UMAP and supervised UMAP: published parameters, held-out bins through transform, target metrics."""

from __future__ import annotations

import numpy as np
import pytest

umap = pytest.importorskip("umap")

from support.recordings import make_recording
from ner_bench import NerBenchError, chronological_split
from ner_bench.builtins.methods import _umap_common
from ner_bench.builtins.methods.umap import UMAP
from ner_bench.builtins.methods.umap_label import SupervisedUMAP


@pytest.fixture
def fit_calls(monkeypatch):
    """Records (n_rows, target, target_metric) of every umap.UMAP.fit call."""
    calls = []
    original = umap.UMAP.fit

    def spy(self, X, y=None, **kwargs):
        calls.append((len(X), None if y is None else np.asarray(y), self.target_metric))
        return original(self, X, y, **kwargs)

    monkeypatch.setattr(umap.UMAP, "fit", spy)
    return calls


@pytest.fixture(scope="module")
def recording():
    return make_recording(n_trials=24, trial_length=10, n_neurons=6)


def test_published_parameters_and_dimension():
    method = UMAP()
    assert method.params == {"dim": 2, "n_neighbors": 68, "min_dist": 0.2475, "metric": "euclidean",
                             "nn_descent": True}
    model = _umap_common.make_umap(UMAP(dim=3).params, seed=7)
    assert (model.n_components, model.n_neighbors, model.min_dist, model.random_state) == (3, 68, 0.2475, 7)
    assert model.force_approximation_algorithm and model.n_jobs == 1


def test_held_out_bins_go_through_transform_not_a_new_fit(recording, fit_calls):
    split = chronological_split(recording)
    method = UMAP(n_neighbors=15).fit(split.train(recording), seed=0)
    assert [rows for rows, _, _ in fit_calls] == [split.train(recording).n_bins]
    fitted_layout = method.model_.embedding_.copy()
    test = split.test(recording)
    held_out = method.transform(test)
    assert len(fit_calls) == 1, "transform must not fit a new model"
    np.testing.assert_array_equal(method.model_.embedding_, fitted_layout)
    np.testing.assert_allclose(held_out, method.model_.transform(test.neural))
    assert method.transform(recording).shape == (recording.n_bins, 2)


def test_prepare_warms_up_once_per_process(monkeypatch):
    (small_rows, _), (rows, columns) = _umap_common.WARMUP_SHAPES
    assert small_rows < _umap_common.EXACT_LIMIT < rows, "both sides of umap's exact/NN-descent threshold"
    assert rows * columns * 4 > 2 * _umap_common.LOCAL_SUBTREE_BYTES, "pynndescent's breadth-first trees"
    runs = []
    monkeypatch.setattr(_umap_common, "_warmed", set())
    monkeypatch.setattr(_umap_common, "WARMUP_SHAPES", ((100, 3), (120, 3)))
    monkeypatch.setattr(_umap_common, "fit_quietly", lambda model, X, y=None: runs.append(len(X)) or model.fit(X, y))
    UMAP().prepare()
    UMAP().prepare()
    assert runs == [100, 120], "one warm-up per process, at both sizes"
    SupervisedUMAP().prepare()  # another kind of target compiles other kernels: one more warm-up
    UMAP(nn_descent=False).prepare()  # so does the exact neighbour search
    assert runs == [100, 120] * 3


def test_default_target_is_the_direction_class_with_a_categorical_metric(recording, fit_calls):
    train = chronological_split(recording).train(recording)
    method = SupervisedUMAP(n_neighbors=15).fit(train, seed=0)
    (_, target, metric), = fit_calls
    assert metric == method.model_.target_metric == "categorical"
    np.testing.assert_array_equal(target, train.direction)


def test_velocity_target_uses_a_euclidean_metric(recording, fit_calls):
    train = chronological_split(recording).train(recording)
    method = SupervisedUMAP(n_neighbors=15, target="velocity").fit(train, seed=0)
    (_, target, metric), = fit_calls
    assert method.params["target_metric"] == metric == "euclidean"
    np.testing.assert_array_equal(target, train.velocity)
    unsupervised = UMAP(n_neighbors=15).fit(train, seed=0)
    assert not np.allclose(method.transform(recording), unsupervised.transform(recording))


@pytest.mark.parametrize("params, culprit", [
    ({"target": "velocity", "target_metric": "categorical"}, "every distinct velocity its own class"),
    ({"target": "speed"}, "parameter 'target'"),
])
def test_bad_supervision_settings_are_refused(params, culprit):
    with pytest.raises(NerBenchError, match=culprit):
        SupervisedUMAP(**params)
