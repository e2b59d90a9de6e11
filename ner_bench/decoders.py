"""Decoders shared by every task: linear regression, ridge regression and kNN to velocity (position is
the within-trial cumulative sum of true and predicted velocity), and direction classifiers (multinomial
logistic and kNN) scored as accuracy per time bin, its peak over the trial and its mean.

Each decoder is fitted on one set of embedded trials and scored on others; R^2 is always
``r2_score(truth, prediction)`` unless a protocol reproduces the published swapped order (flagged).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Callable

import numpy as np
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.metrics import r2_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from .errors import NerBenchError
from .knn import trial_block_folds
from .memo import BoundedMemo
from .protocol import Protocol
from .source_neighbours import source_neighbours
from .threads import limited
from .task import EmbeddedTrials

SWAPPED_NOTE = "r2_score(prediction, truth) as published"


def within_trial_cumsum(values: np.ndarray, trial: np.ndarray) -> np.ndarray:
    """Cumulative sum of ``values`` restarted at every trial (trials are contiguous), starting at the
    trial's first value (the convention that reproduces the published position R^2)."""
    total = np.cumsum(values, axis=0)
    starts = np.flatnonzero(np.r_[True, trial[1:] != trial[:-1]])
    before_trial = np.zeros_like(total)
    before_trial[starts[1:]] = total[starts[1:] - 1]
    lengths = np.diff(np.r_[starts, len(trial)])
    return total - np.repeat(before_trial[starts], lengths, axis=0)


def velocity_rows(decoder: str, predictions: dict[str, np.ndarray], score_on: dict[str, EmbeddedTrials],
                  protocol: Protocol, note: str = "") -> list[dict]:
    """Velocity and position R^2 of a regressor's ``predictions``, one row per (scored split, target)."""
    rows = []
    for split, data in score_on.items():
        truth = data.recording.velocity
        prediction = predictions[split]
        swapped = protocol.swap_test_velocity_r2 and split == "test"
        velocity_r2 = r2_score(prediction, truth) if swapped else r2_score(truth, prediction)
        trial = data.recording.trial
        position_r2 = r2_score(within_trial_cumsum(truth, trial), within_trial_cumsum(prediction, trial))
        velocity_note = "; ".join(filter(None, [note, SWAPPED_NOTE if swapped else ""]))
        rows.append(dict(decoder=decoder, target="velocity", metric="r2", split=split,
                         value=float(velocity_r2), note=velocity_note))
        rows.append(dict(decoder=decoder, target="position", metric="r2", split=split,
                         value=float(position_r2), note=note))
    return rows


def direction_accuracy_rows(decoder: str, predictions: dict[str, np.ndarray],
                            score_on: dict[str, EmbeddedTrials], note: str = "") -> list[dict]:
    """Accuracy of a classifier's ``predictions`` per time bin across the scored trials, its peak over the
    trial, and the mean over bins."""
    rows = []
    for split, data in score_on.items():
        correct = predictions[split] == data.recording.direction
        per_bin = np.bincount(data.recording.time_in_trial, weights=correct) / np.bincount(
            data.recording.time_in_trial)
        common = dict(decoder=decoder, target="direction", split=split, note=note)
        rows += [dict(common, metric="accuracy", time_bin=int(t), value=float(a)) for t, a in enumerate(per_bin)]
        rows.append(dict(common, metric="peak_accuracy", value=float(per_bin.max())))
        rows.append(dict(common, metric="mean_accuracy", value=float(correct.mean())))
    return rows


@dataclass(frozen=True, eq=False)
class FittedDecoder:
    """One decoder fitted once; ``rows(score_on)`` scores it on any embedded trials (e.g. several
    alignments of one target recording) without fitting again."""

    score: Callable[[dict[str, EmbeddedTrials]], list[dict]]

    def rows(self, score_on: dict[str, EmbeddedTrials]) -> list[dict]:
        return self.score(score_on)


def linear_velocity(fit_on: EmbeddedTrials, protocol: Protocol) -> FittedDecoder:
    """Linear regression embedding -> velocity."""
    model = LinearRegression().fit(fit_on.values, fit_on.recording.velocity)
    return FittedDecoder(lambda score_on: velocity_rows("linear", predicted_by(model, score_on), score_on, protocol))


def linear_velocity_rows(fit_on: EmbeddedTrials, score_on: dict[str, EmbeddedTrials],
                         protocol: Protocol) -> list[dict]:
    """Linear regression embedding -> velocity, fitted on ``fit_on`` and scored on ``score_on``."""
    return linear_velocity(fit_on, protocol).rows(score_on)


#: ridge penalties searched by cross-validation, smallest first
RIDGE_ALPHAS = tuple(float(a) for a in np.logspace(-4, 4, 17))


def ridge_velocity(fit_on: EmbeddedTrials, protocol: Protocol) -> FittedDecoder:
    """Ridge regression embedding -> velocity, on the raw embedding (no standardising: that would blow the
    near-empty axes up to unit variance), penalty chosen among ``RIDGE_ALPHAS`` by cross-validation over
    whole training trials (``trial_block_folds``, see ``ridge_search``); the note says ``alpha=...``.

    Why next to ``linear``: some embeddings have axes that hold almost nothing (cebra-16 has axes of
    variance ~5e-7). Ordinary least squares puts huge coefficients on them (~760), which chance
    correlations within one recording justify; the Procrustes alignment, fitted on direction averages,
    cannot pin such axes, so in another recording they carry real signal and the cross-recording
    predictions blow up (velocity R^2 -9 to -15 where Ridge(alpha=1) gives -0.05 / +0.58). The penalty
    keeps those coefficients near zero and leaves the well-filled axes almost as OLS fits them."""
    search = ridge_search(fit_on.values, fit_on.recording.velocity, trial_block_folds(fit_on.recording.trial))
    model = Ridge(alpha=search.alpha).fit(fit_on.values, fit_on.recording.velocity)
    note = f"alpha={search.alpha:g} (1-SE rule; CV best alpha={search.best_cv_alpha:g})"
    if search.best_cv_alpha in (RIDGE_ALPHAS[0], RIDGE_ALPHAS[-1]):
        note += "; CV best at the edge of the alpha grid"
    return FittedDecoder(lambda score_on: velocity_rows("ridge", predicted_by(model, score_on), score_on, protocol,
                                                       note=note))


@dataclass(frozen=True)
class RidgeSearch:
    """The chosen penalty, the one of highest mean validation R^2 (``RidgeCV(cv=folds).alpha_``), that
    score's standard error over the folds, and the mean validation R^2 of every candidate."""

    alpha: float
    best_cv_alpha: float
    standard_error: float
    mean_scores: dict[float, float]


def ridge_search(values: np.ndarray, targets: np.ndarray, folds, alphas: tuple[float, ...] = RIDGE_ALPHAS
                 ) -> RidgeSearch:
    """The largest alpha whose mean fold R^2 (uniform over the targets) is within one standard error of
    the best one's (the one-standard-error rule, as glmnet's ``lambda.1se``).

    Why not the best alpha itself: within one recording the validation score is flat over a wide range of
    alphas (the near-empty axes add almost nothing to predictions there), so the best is picked by fold
    noise, often at the small end, where those axes keep large coefficients that wreck cross-recording
    predictions. Among the alphas the folds cannot tell apart, the rule takes the most stable fit. One SVD
    per fold serves every alpha."""
    values, targets = np.asarray(values, np.float64), np.asarray(targets, np.float64)
    if len(folds) < 2:
        raise NerBenchError(f"ridge cross-validation needs at least 2 folds of training trials, got {len(folds)}")
    per_fold = np.array([_ridge_fold_scores(values, targets, train, validate, alphas) for train, validate in folds])
    means = per_fold.mean(axis=0)
    best = int(np.argmax(means))  # the first (smallest alpha) among ties, as GridSearchCV
    standard_error = float(per_fold[:, best].std(ddof=1) / np.sqrt(len(folds)))
    chosen = max(i for i in range(len(alphas)) if means[i] >= means[best] - standard_error)
    return RidgeSearch(alpha=alphas[chosen], best_cv_alpha=alphas[best], standard_error=standard_error,
                       mean_scores=dict(zip(alphas, map(float, means))))


def _ridge_fold_scores(values, targets, train, validate, alphas) -> list[float]:
    """Validation R^2 of ridge with an intercept (X and y centred on the training part) for every alpha."""
    x_mean, y_mean = values[train].mean(axis=0), targets[train].mean(axis=0)
    u, singular, vt = np.linalg.svd(values[train] - x_mean, full_matrices=False)
    projected = u.T @ (targets[train] - y_mean)
    centred_validate = values[validate] - x_mean
    scores = []
    for alpha in alphas:
        coef = vt.T @ ((singular / (singular ** 2 + alpha))[:, None] * projected)
        scores.append(float(r2_score(targets[validate], centred_validate @ coef + y_mean)))
    return scores


def direction_classifier(fit_on: EmbeddedTrials, protocol: Protocol) -> FittedDecoder:
    """Multinomial logistic regression on every training bin."""
    classifier = LogisticRegression(max_iter=protocol.logistic_max_iter)
    if protocol.standardize_classifier_input:
        classifier = make_pipeline(StandardScaler(), classifier)
    classifier.fit(fit_on.values, fit_on.recording.direction)
    return FittedDecoder(lambda score_on: direction_accuracy_rows("logistic", predicted_by(classifier, score_on),
                                                                 score_on))


def predicted_by(model, score_on: dict[str, EmbeddedTrials]) -> dict[str, np.ndarray]:
    return {split: model.predict(data.values) for split, data in score_on.items()}


def knn_decoders(fit_on: EmbeddedTrials, protocol: Protocol, search_on: EmbeddedTrials | None = None
                 ) -> FittedDecoder:
    """kNN regressor to velocity and kNN direction classifier, k chosen by a 5-fold grid search over
    ``protocol.knn_grid`` on ``search_on`` (default ``fit_on``; pass the unaligned training trials when
    ``fit_on`` is a rotated copy of them: the search sees only distances, so the result is the same)."""
    neighbours = source_neighbours(fit_on, protocol, search_on)
    note_velocity, note_direction = f"k={neighbours.k_velocity}", f"k={neighbours.k_direction}"

    def score(score_on: dict[str, EmbeddedTrials]) -> list[dict]:
        predicted = {split: neighbours.predict(d.values) for split, d in score_on.items()}
        velocity_predictions = {split: v for split, (v, _) in predicted.items()}
        direction_predictions = {split: d for split, (_, d) in predicted.items()}
        return (velocity_rows("knn", velocity_predictions, score_on, protocol, note=note_velocity)
                + direction_accuracy_rows("knn", direction_predictions, score_on, note=note_direction))

    return FittedDecoder(score)


DECODERS = ("linear", "ridge", "logistic", "knn")


def chosen_decoders(value: str | list | tuple, where: str) -> tuple[str, ...]:
    """A task's ``decoders`` option: names joined by ``+`` (``linear+knn``) or a list; ``all`` for every one."""
    names = [n.strip() for n in (value.replace(",", "+").split("+") if isinstance(value, str) else value)]
    names = list(DECODERS) if names == ["all"] else [n for n in names if n]
    unknown = sorted(set(names) - set(DECODERS))
    if unknown or not names:
        raise NerBenchError(f"{where}: decoders {value!r}; expected names among {DECODERS} joined by '+', or 'all'")
    return tuple(names)


def decoding_rows(fit_on: EmbeddedTrials, score_on: dict[str, EmbeddedTrials], protocol: Protocol,
                  knn_search_on: EmbeddedTrials | None = None,
                  decoders: tuple[str, ...] = DECODERS) -> list[dict]:
    """The shared decoders named in ``decoders``: fitted on ``fit_on``, scored on each of ``score_on``
    (keyed by split label).

    BLAS and OpenMP run on the thread policy's count (``threads.limited``: 1 unless ``NER_BENCH_THREADS``
    says otherwise), wherever this is called from: the problems are small, and on a shared machine thread
    pools cost more than they save (logistic regression is 20x slower on 2 loaded cores)."""
    with limited():
        return [row for fitted in fit_decoders(fit_on, protocol, knn_search_on, decoders)
                for row in fitted.rows(score_on)]


#: fitted decoders remembered by content: the calibration ladder fits the same ones for every pair that
#: shares a source (A's fixed decoders) or a target and K (``refit``, ``ceiling``)
_FITTED: "BoundedMemo[list[FittedDecoder]]" = BoundedMemo(128)


def fit_decoders(fit_on: EmbeddedTrials, protocol: Protocol, knn_search_on: EmbeddedTrials | None = None,
                 decoders: tuple[str, ...] = DECODERS) -> list[FittedDecoder]:
    """The decoders named in ``decoders``, fitted on ``fit_on``, in ``DECODERS`` order (call within
    ``threads.limited()``); fitted once per content (every fit is deterministic)."""
    key = trials_key(f"{protocol!r}{decoders}", fit_on, *([knn_search_on] if knn_search_on is not None else []))
    return _FITTED.get(key, lambda: _fitted_now(fit_on, protocol, knn_search_on, decoders))


def trials_key(prefix: str, *trials: EmbeddedTrials) -> str:
    """A hash of embedded trials as the decoders see them (values, velocity, direction, trial), after
    ``prefix`` (what else a fit depends on)."""
    digest = hashlib.sha1(prefix.encode())
    for part in trials:
        recording = part.recording
        for array in (part.values, recording.velocity, recording.direction, recording.trial):
            array = np.ascontiguousarray(array)
            digest.update(f"{array.shape}{array.dtype}".encode())
            digest.update(array.tobytes())
    return digest.hexdigest()


def _fitted_now(fit_on: EmbeddedTrials, protocol: Protocol, knn_search_on: EmbeddedTrials | None,
                decoders: tuple[str, ...]) -> list[FittedDecoder]:
    makers = {"linear": lambda: linear_velocity(fit_on, protocol), "ridge": lambda: ridge_velocity(fit_on, protocol),
              "logistic": lambda: direction_classifier(fit_on, protocol),
              "knn": lambda: knn_decoders(fit_on, protocol, knn_search_on)}
    return [makers[name]() for name in DECODERS if name in decoders]
