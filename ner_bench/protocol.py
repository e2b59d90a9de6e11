"""Evaluation protocols: ``strict`` (sound, the default) and ``paper`` (the published evaluation, its
defects reproduced and flagged). See ../shared/docs/reference-protocol.md sections 5 and 7."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import NerBenchError


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
    defects=("test velocity R^2 computed as r2_score(prediction, truth)",
             "cross-session alignment fitted on all trials of both sessions, labels included",
             "alignment rotation chosen among per-direction fits by a float-noise criterion"),
)

PROTOCOLS = {p.name: p for p in (STRICT, PAPER)}


def get_protocol(name: str) -> Protocol:
    try:
        return PROTOCOLS[name]
    except KeyError:
        raise NerBenchError(f"argument --protocol: unknown protocol {name!r}; expected one of "
                            f"{sorted(PROTOCOLS)}") from None
