"""The label side of the NER loss: far-to-near orders and tie groups, per batch and from the rank table."""

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")  # ner_bench.label_ranking is torch code

from ner_bench import label_ranking, native
from ner_bench.label_ranking import LabelRankTable, label_distance, rank_labels


@pytest.fixture(params=["compiled", "numpy"], autouse=True)
def ranking_path(request, monkeypatch):
    """Every test on both paths: the compiled packing and read-back, and the NumPy-only fallback."""
    if request.param == "numpy":
        monkeypatch.setenv(native.SWITCH_VARIABLE, "0")
    elif native.load(Path(label_ranking.__file__).with_name("kernels") / "label_ranking.cpp",
                     fast_math=False) is None:
        pytest.skip("the ranking kernel could not be built here (no C++ compiler)")
    return request.param


def tied_labels(batch_size: int, rng: np.random.Generator) -> np.ndarray:
    labels = np.column_stack([rng.integers(-3, 4, batch_size) * 0.5, rng.normal(size=batch_size).round(1),
                              rng.integers(0, 8, batch_size) * 45.0]).astype(np.float32)
    labels[: batch_size // 3] = labels[0]  # many repeated labels
    return labels


def assert_exact_ranking(ranking, labels):
    """Distances never increase along each order; group counts are the item counts per distinct distance
    (two items per label column, one in the anchor's own column)."""
    distance = label_distance(labels)
    order, group_count = ranking.order.numpy(), ranking.group_count.numpy()
    ordered = np.take_along_axis(distance, order, axis=1)
    assert (np.diff(ordered, axis=1) <= 0).all()
    for row in range(len(labels)):
        values, counts = np.unique(distance[row], return_counts=True)
        items = 2 * counts - (values == 0)
        ends = group_count[row] > 0
        np.testing.assert_array_equal(ordered[row][ends], values[::-1])
        np.testing.assert_array_equal(group_count[row][ends], items[::-1])


@pytest.mark.parametrize("batch_size", [2, 3, 17, 300])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])  # radix sort / argsort
def test_rank_labels_is_exact(batch_size, dtype):
    labels = tied_labels(batch_size, np.random.default_rng(batch_size)).astype(dtype)
    assert_exact_ranking(rank_labels(labels), labels)


@pytest.mark.parametrize("batch_size", [40, 512, 2048])
def test_distances_equal_in_their_high_bits_are_ordered_exactly(batch_size):
    """The compiled path sorts keys that keep a distance's bits above the column bits; distances of 64 plus
    a few ulps agree there and must be settled from their full value."""
    rng = np.random.default_rng(batch_size)
    labels = np.column_stack([rng.integers(0, 600, batch_size) * 2.0 ** -17, rng.choice([0.0, 64.0], batch_size),
                              rng.integers(0, 3, batch_size) * 120.0]).astype(np.float32)
    ranking = rank_labels(labels)
    assert_exact_ranking(ranking, labels)
    assert ranking.order.dtype == torch.int32


def test_compiled_and_numpy_rankings_agree(ranking_path, monkeypatch):
    labels = tied_labels(300, np.random.default_rng(9))
    ranking = rank_labels(labels)
    monkeypatch.setenv(native.SWITCH_VARIABLE, "0")
    reference = rank_labels(labels)
    np.testing.assert_array_equal(ranking.group_count.numpy(), reference.group_count.numpy())
    distance = label_distance(labels)
    np.testing.assert_array_equal(np.take_along_axis(distance, ranking.order.numpy().astype(np.int64), axis=1),
                                  np.take_along_axis(distance, reference.order.numpy().astype(np.int64), axis=1))


def test_rank_table_equals_rank_labels():
    rng = np.random.default_rng(0)
    training = tied_labels(700, rng)
    training[::5, :2] = rng.normal(size=(140, 2)).astype(np.float32)
    table = LabelRankTable(training, rows_per_chunk=97)
    for batch in (rng.integers(0, 700, 256), np.arange(5), np.array([3, 3, 3, 4])):
        from_table, direct = table.rank(batch), rank_labels(training[batch])
        assert_exact_ranking(from_table, training[batch])
        np.testing.assert_array_equal(from_table.group_count.numpy(), direct.group_count.numpy())


def test_distances_wrap_around_the_period():
    labels = np.array([[0.0, 0.0, 350.0], [0.0, 0.0, 10.0], [0.0, 0.0, 370.0], [1.0, -1.0, -30.0]])
    distance = label_distance(labels)
    assert distance[0, 1] == pytest.approx(20.0) and distance[1, 2] == pytest.approx(0.0)
    assert distance[0, 3] == pytest.approx(2.0 + 20.0)
    assert label_distance(labels, circular_columns=())[0, 1] == pytest.approx(340.0)
