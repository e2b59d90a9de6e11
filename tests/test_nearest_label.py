"""The k-d tree positive search finds cebra's nearest training label, exactly, lowest index on ties."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
cebra = pytest.importorskip("cebra")

from ner_bench.builtins.methods._nearest_label import NearestLabelIndex


def brute_force(labels, query):
    squared = ((labels.astype(np.float64)[:, None, :] - query.astype(np.float64)[None]) ** 2).sum(axis=2)
    return squared.argmin(axis=0)  # first minimum: the lowest index


def test_nearest_equals_brute_force_with_duplicates_and_ties():
    rng = np.random.default_rng(0)
    labels = rng.integers(-3, 4, size=(400, 2)).astype(np.float32)  # a grid: many duplicates, many ties
    query = (rng.integers(-6, 7, size=(300, 2)) / 2).astype(np.float32)  # half-way points tie exactly
    found = NearestLabelIndex(labels).search(torch.from_numpy(query))
    assert found.dtype == torch.int64
    np.testing.assert_array_equal(found.numpy(), brute_force(labels, query))


def test_equals_cebra_search_on_continuous_labels():
    rng = np.random.default_rng(1)
    labels = np.cumsum(rng.normal(size=(2000, 2)), axis=0).astype(np.float32)
    query = torch.from_numpy(labels[rng.integers(0, 2000, 512)] + rng.normal(0, 0.3, (512, 2)).astype(np.float32))
    expected = cebra.distributions.ContinuousIndex(torch.from_numpy(labels)).search(query)
    found = NearestLabelIndex(labels).search(query)
    assert (found == expected).float().mean() >= 0.999
    np.testing.assert_array_equal(found.numpy(), brute_force(labels, query.numpy()))


def test_a_single_label():
    found = NearestLabelIndex(np.ones((5, 2), np.float32)).search(torch.zeros(3, 2))
    assert found.tolist() == [0, 0, 0]


def test_cpu_training_searches_on_the_tree():
    from ner_bench.builtins.methods._cebra_common import make_setup

    rng = np.random.default_rng(2)
    setup = make_setup(rng.normal(size=(60, 4)).astype(np.float32),
                       np.cumsum(rng.normal(size=(60, 2)), axis=0).astype(np.float32), dim=3, hidden_units=8,
                       model_architecture="offset1-model", iterations=2, batch_size=8, time_offset=1,
                       learning_rate=1e-3, seed=0, device="cpu")
    assert isinstance(setup.loader.distribution.index, NearestLabelIndex)
    assert len(next(iter(setup.loader)).index) == 8
