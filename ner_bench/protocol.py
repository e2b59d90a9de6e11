"""Evaluation protocols: ``strict`` (sound, the default) and ``paper`` (the published evaluation, its
defects reproduced and flagged). See ../shared/docs/reference-protocol.md sections 5 and 7."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import NerBenchError

#: the published kNN grid: n_neighbors in {2, 4, ..., 1024}
KNN_GRID = tuple(2 ** i for i in range(1, 11))


@dataclass(frozen=True)
class Protocol:
    name: str
    description: str
    #: r2_score(prediction, truth) for test velocity, as the published code does (a defect)
    swap_test_velocity_r2: bool = False
    #: "train-procrustes": one rotation on training-trial direction averages; "published": per-direction
    #: rotations on all trials of both sessions, picked as the release does (a defect: it sees test trials)
    alignment: str = "train-procrustes"
    #: standardise embeddings (scaler fitted on training trials) before the direction classifier
    standardize_classifier_input: bool = True
    logistic_max_iter: int = 1000
    #: candidate numbers of neighbours for the kNN decoders (capped at the smallest fold's training size)
    knn_grid: tuple[int, ...] = KNN_GRID
    #: folds of the kNN grid search: "trial-blocks" (5 contiguous blocks of whole training trials, the same
    #: for both decoders) or "published" (scikit-learn's cv=5 over bins: KFold for the regressor,
    #: StratifiedKFold for the classifier, unshuffled; fold edges cut through trials)
    knn_folds: str = "trial-blocks"
    #: defects this protocol carries, written into every result row
    defects: tuple[str, ...] = ()


STRICT = Protocol(
    name="strict",
    description="held-out test trials, r2_score(truth, prediction), alignment on training trials only",
)

PAPER = Protocol(
    name="paper",
    description="the published evaluation, defects included and flagged",
    swap_test_velocity_r2=True,
    alignment="published",
    standardize_classifier_input=False,
    logistic_max_iter=5000,
    knn_folds="published",
    defects=("test velocity R^2 computed as r2_score(prediction, truth)",
             "cross-session alignment fitted on all trials of both sessions, labels included",
             "alignment rotation: rotation vs reflection by the release's L1 cost, the fit within that class by float noise "
             "(|det| closest to 1); value_min/max_over_picks: the range over every fit the rule admits"),
)

PROTOCOLS = {p.name: p for p in (STRICT, PAPER)}


def get_protocol(name: str) -> Protocol:
    try:
        return PROTOCOLS[name]
    except KeyError:
        raise NerBenchError(f"argument --protocol: unknown protocol {name!r}; expected one of "
                            f"{sorted(PROTOCOLS)}") from None
