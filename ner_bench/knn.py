"""How the kNN decoders pick their number of neighbours: scikit-learn's ``GridSearchCV`` over
``n_neighbors``, computed with one neighbour query per fold instead of one per candidate k.

The k nearest neighbours are the first k of the ``max(grid)`` nearest, so every candidate's fold score
(R^2 of the neighbours' mean for the regressor, accuracy of their majority vote for the classifier,
ties to the smallest class as scikit-learn breaks them) follows from a single query. The result equals
``GridSearchCV(KNeighbors*(), {"n_neighbors": grid}, cv=folds)`` (``tests/test_knn.py`` checks it) at a
tenth of the cost (ties in distance aside, which any neighbour search breaks its own way).

Fitted decoders predict the same way (``source_neighbours.py``): one query for the larger of the two
chosen ks serves the regressor (mean of the first ``k_velocity``) and the classifier (vote of the first
``k_direction``), as ``KNeighborsRegressor``/``KNeighborsClassifier`` would predict them.

The search depends on the training embedding only through its pairwise distances, so it is the same for
every rotation and translation of it: a cross-session decoder fitted on A's aligned training trials uses
the k found on A's own training trials, and searches are remembered by content (a bounded memo).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import r2_score
from sklearn.model_selection import check_cv

from .errors import NerBenchError
from .memo import BoundedMemo

N_FOLDS = 5
Folds = list[tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class GridSearch:
    """The chosen k and the mean validation score of every candidate k (as ``cv_results_``)."""

    best_k: int
    mean_scores: dict[int, float]


def trial_block_folds(trial: np.ndarray, n_folds: int = N_FOLDS) -> Folds:
    """Folds of whole trials: the trials in order, cut into ``n_folds`` contiguous blocks. No trial is split
    between fitting and validation, so neighbouring (strongly correlated) bins cannot leak across folds."""
    trial_ids = trial[np.r_[True, trial[1:] != trial[:-1]]]
    if len(trial_ids) < 2:
        raise NerBenchError(f"kNN grid search needs at least 2 training trials, got {len(trial_ids)}")
    blocks = np.array_split(trial_ids, min(n_folds, len(trial_ids)))
    return [(np.flatnonzero(~np.isin(trial, block)), np.flatnonzero(np.isin(trial, block))) for block in blocks]


def published_folds(targets: np.ndarray, classifier: bool, n_folds: int = N_FOLDS) -> Folds:
    """``cv=5`` as GridSearchCV reads it: unshuffled KFold over bins for a regressor, StratifiedKFold for a
    classifier."""
    splitter = check_cv(n_folds, targets, classifier=classifier)
    return list(splitter.split(np.zeros((len(targets), 1)), targets))


def capped_grid(grid: tuple[int, ...], folds: Folds) -> tuple[int, ...]:
    """The candidate ks that every fold's training part can supply (at least the smallest candidate)."""
    smallest = min(len(train) for train, _ in folds)
    kept = tuple(k for k in sorted(grid) if k <= smallest)
    if not kept:
        raise NerBenchError(f"kNN grid {grid}: no candidate k fits a fold of {smallest} training bins")
    return kept


#: distance-matrix entries computed at once by ``nearest_by_grid`` (8 bytes each)
_CHUNK_ENTRIES = 4_000_000
_MEMO: "BoundedMemo[list[GridSearch]]" = BoundedMemo(256)


def search_k(values: np.ndarray, targets: np.ndarray, folds: Folds, grid: tuple[int, ...],
             classifier: bool) -> GridSearch:
    """GridSearchCV's choice of ``n_neighbors`` among ``grid`` (capped to what the folds allow): the
    highest mean validation score, the smallest k among ties."""
    return search_ks(values, [(targets, classifier)], folds, grid)[0]


def search_ks(values: np.ndarray, targets: list[tuple[np.ndarray, bool]], folds: Folds,
              grid: tuple[int, ...]) -> list[GridSearch]:
    """``search_k`` for several ``(targets, classifier)`` on the same folds, sharing each fold's query."""
    grid = capped_grid(grid, folds)
    return _MEMO.get(_memo_key(values, targets, folds, grid), lambda: _searched(values, targets, folds, grid))


def _searched(values, targets, folds, grid) -> list[GridSearch]:
    per_fold = np.array([_fold_scores(values, targets, train, validate, grid) for train, validate in folds])
    means = per_fold.mean(axis=0)  # (n_targets, n_candidates)
    return [GridSearch(best_k=int(grid[int(np.argmax(m))]), mean_scores={k: float(v) for k, v in zip(grid, m)})
            for m in means]


def nearest_by_grid(fit_values: np.ndarray, query: np.ndarray, grid: tuple[int, ...]) -> np.ndarray:
    """Indices, per query row, of fit rows whose first k columns are its k nearest for every k of
    ``grid`` (ranked in bands, unsorted within a band: enough for means and votes over the first k).
    Brute force with a partition at every k, by chunks of query rows: about twice as fast as a sorted
    kd-tree query of ``max(grid)`` neighbours."""
    fit_values, query = (np.asarray(a, dtype=np.float64) for a in (fit_values, query))
    fit_norms = (fit_values ** 2).sum(axis=1)
    chunk = max(1, _CHUNK_ENTRIES // len(fit_values))
    bands = []
    for start in range(0, len(query), chunk):
        rows = query[start:start + chunk]
        distances = fit_norms[None, :] - 2 * rows @ fit_values.T  # + |row|^2, the same along a row
        bands.append(np.argpartition(distances, [k - 1 for k in grid], axis=1)[:, :max(grid)])
    return np.concatenate(bands)


def _fold_scores(values, targets, train, validate, grid) -> list[list[float]]:
    """Validation score of every candidate k, for each of ``targets``, from one neighbour search."""
    neighbours = nearest_by_grid(values[train], values[validate], grid)
    scores = []
    for target, classifier in targets:
        if classifier:
            classes, codes = np.unique(target[train], return_inverse=True)
            scores.append(_vote_accuracies(codes[neighbours], target[validate], classes, grid))
        else:
            scores.append(_mean_r2s(target[train][neighbours], target[validate], grid))
    return scores


def _mean_r2s(neighbour_targets, truth, grid) -> list[float]:
    """R^2 of the mean of the first k neighbours' targets, for every k of the grid."""
    scores, sums, done = [], 0.0, 0
    for k in grid:
        sums = sums + neighbour_targets[:, done:k].sum(axis=1)
        done = k
        scores.append(float(r2_score(truth, sums / k)))
    return scores


def _vote_accuracies(codes, truth, classes, grid) -> list[float]:
    """Accuracy of the majority vote of the first k neighbours (``codes``: their class indices in
    ``classes``), for every k of the grid."""
    counts, done, scores = 0, 0, []
    for k in grid:
        counts = counts + class_counts(codes[:, done:k], len(classes))
        done = k
        predicted = classes[counts.argmax(axis=1)]  # ties: the smallest class
        scores.append(float(np.mean(predicted == truth)))
    return scores


def class_counts(codes: np.ndarray, n_classes: int) -> np.ndarray:
    """(rows, classes): how many of each row's ``codes`` (class indices) fall in each class."""
    n = len(codes)
    flat = (np.arange(n)[:, None] * n_classes + codes).ravel()
    return np.bincount(flat, minlength=n * n_classes).reshape(n, n_classes)


def _memo_key(values, targets, folds, grid) -> str:
    digest = hashlib.sha1()
    for array, classifier in [(values, None), *targets]:
        array = np.ascontiguousarray(array)
        digest.update(f"{array.shape}{array.dtype}{classifier}".encode())
        digest.update(array.tobytes())
    for train, validate in folds:
        digest.update(np.asarray(validate, dtype=np.int64).tobytes())
        digest.update(b"|")
    digest.update(f"{grid}".encode())
    return digest.hexdigest()
