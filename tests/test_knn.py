import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

from ner_bench.knn import published_folds, search_k, trial_block_folds
from ner_bench.source_neighbours import fitted_neighbours

GRID = (2, 4, 8, 16, 32, 64)


@pytest.fixture
def data():
    rng = np.random.default_rng(3)
    values = rng.normal(size=(400, 3))
    velocity = values[:, :2] * 2 + rng.normal(size=(400, 2))
    direction = (np.arctan2(values[:, 1], values[:, 0]) // (np.pi / 4)).astype(int) + 4
    noisy = rng.random(400) < 0.3
    direction[noisy] = rng.integers(0, 8, noisy.sum())  # noisy labels make vote ties matter
    return values, velocity, direction, np.repeat(np.arange(40), 10)


@pytest.mark.parametrize("classifier", [False, True])
def test_search_equals_gridsearchcv_with_published_folds(data, classifier):
    values, velocity, direction, _ = data
    targets = direction if classifier else velocity
    estimator = KNeighborsClassifier() if classifier else KNeighborsRegressor()
    reference = GridSearchCV(estimator, {"n_neighbors": list(GRID)}, cv=5).fit(values, targets)
    ours = search_k(values, targets, published_folds(targets, classifier), GRID, classifier)
    np.testing.assert_allclose(list(ours.mean_scores.values()), reference.cv_results_["mean_test_score"],
                               rtol=1e-10, atol=1e-12)
    assert ours.best_k == reference.best_params_["n_neighbors"]


def test_trial_block_folds_keep_trials_whole_and_equal_gridsearchcv(data):
    values, velocity, _, trial = data
    folds = trial_block_folds(trial)
    assert len(folds) == 5
    for train, validate in folds:
        assert not np.intersect1d(trial[train], trial[validate]).size
        assert np.all(np.diff(validate) == 1)  # one contiguous block of trials
    reference = GridSearchCV(KNeighborsRegressor(), {"n_neighbors": list(GRID)}, cv=folds).fit(values, velocity)
    assert search_k(values, velocity, folds, GRID, False).best_k == reference.best_params_["n_neighbors"]


def test_grid_is_capped_at_the_fold_training_size(data):
    values, velocity, _, trial = data
    small = slice(0, 50)
    result = search_k(values[small], velocity[small], trial_block_folds(trial[small]), (2, 4, 64, 1024), False)
    assert set(result.mean_scores) == {2, 4}


@pytest.mark.parametrize("dim", [3, 20])
@pytest.mark.parametrize("k_velocity, k_direction", [(5, 16), (32, 4), (1, 1)])
def test_fitted_neighbours_predict_as_scikit_learn_estimators(dim, k_velocity, k_direction):
    rng = np.random.default_rng(dim)
    values, query = rng.normal(size=(400, dim)).astype(np.float32), rng.normal(size=(250, dim)).astype(np.float32)
    velocity, direction = rng.normal(size=(400, 2)), rng.integers(0, 8, 400) * 45
    predicted_velocity, predicted_direction = fitted_neighbours(values, velocity, direction, k_velocity,
                                                                k_direction).predict(query)
    expected_velocity = KNeighborsRegressor(n_neighbors=k_velocity).fit(values, velocity).predict(query)
    expected_direction = KNeighborsClassifier(n_neighbors=k_direction).fit(values, direction).predict(query)
    np.testing.assert_allclose(predicted_velocity, expected_velocity)
    np.testing.assert_array_equal(predicted_direction, expected_direction)


def test_grid_bands_hold_the_k_nearest_for_every_k_in_small_chunks(monkeypatch):
    from ner_bench import knn

    rng = np.random.default_rng(5)
    fit_values, query = rng.normal(size=(300, 3)), rng.normal(size=(70, 3))
    monkeypatch.setattr(knn, "_CHUNK_ENTRIES", 300 * 8)  # 8 query rows a chunk
    bands = knn.nearest_by_grid(fit_values, query, GRID)
    from sklearn.neighbors import NearestNeighbors

    sorted_neighbours = NearestNeighbors(n_neighbors=max(GRID)).fit(fit_values).kneighbors(query, return_distance=False)
    for k in GRID:
        np.testing.assert_array_equal(np.sort(bands[:, :k], axis=1), np.sort(sorted_neighbours[:, :k], axis=1))


def test_source_space_knn_equals_the_general_path_under_a_real_rotation():
    """kNN decoding of B through A's own index, B's bins mapped back by the alignment's inverse, gives the
    rows of an index rebuilt on A's aligned copy (today's general path), for a fitted, non-trivial rotation."""
    from ner_bench import Embedding, chronological_split
    from ner_bench.alignment import align
    from ner_bench.decoders import knn_decoders
    from ner_bench.pairs import source_space_knn_rows
    from ner_bench.protocol import STRICT
    from support.recordings import make_recording

    rng = np.random.default_rng(11)
    embeddings = []
    for seed in (0, 1):
        recording = make_recording(n_trials=48, trial_length=10, n_neurons=3, seed=seed, id=f"rec{seed}")
        rotation = np.linalg.qr(rng.normal(size=(3, 3)))[0]
        embeddings.append(Embedding(recording, chronological_split(recording), recording.neural @ rotation + 5.0))
    source, target = embeddings
    alignment = align(source, target, "train-procrustes")
    assert alignment.is_isometry and not np.allclose(alignment.rotation, np.eye(3), atol=0.1)
    fit_on, target_test = source.part("train"), target.part("test")
    aligned = type(fit_on)(alignment.apply(fit_on.values), fit_on.recording)
    general = knn_decoders(aligned, STRICT, search_on=fit_on).rows({"test": target_test})
    shared = source_space_knn_rows(fit_on, alignment, target_test, STRICT)
    assert [(r["metric"], r["target"], r.get("time_bin"), r["note"]) for r in shared] == \
           [(r["metric"], r["target"], r.get("time_bin"), r["note"]) for r in general]
    np.testing.assert_allclose([r["value"] for r in shared], [r["value"] for r in general], rtol=1e-12, atol=1e-12)


def test_cross_recording_knn_scores_test_trials_through_the_shared_path():
    import ner_bench as nb

    table = nb.run(methods="pca", tasks="cross-session[calibration=off,decoders=knn]",
                   dataset="synthetic[n_sessions=3,n_trials=32]", out=None)
    cross = table[table["train_unit"] != table["test_unit"]]
    diagonal = table[table["train_unit"] == table["test_unit"]]
    assert len(cross) and set(cross["split"]) == {"test"} and set(diagonal["split"]) == {"test", "train"}
    assert cross["note"].str.startswith("k=").all()
