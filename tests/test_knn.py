import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

from ner_bench.knn import published_folds, search_k, trial_block_folds

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
