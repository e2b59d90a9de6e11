"""Cross-area decoding: M1 -> PMd and PMd -> M1 of the same subject and hemisphere, on the same day and
across days; S1 recordings among themselves (every ordered pair, A = B included: S1 has no partner area
at hand, so its cross-area score is its cross-session one)."""

from __future__ import annotations

from ner_bench import Recording
from ner_bench.pairs import PairwiseDecoding, same_subject

MOTOR_AREAS = {"M1", "PMd"}


class CrossArea(PairwiseDecoding):
    name = "cross-area"
    description = ("Decode across areas: M1 <-> PMd (same subject and hemisphere, same day and across days); "
                   "S1 recordings among themselves")

    def accepts(self, a: Recording, b: Recording) -> bool:
        if not same_subject(a, b) or a.hemisphere != b.hemisphere:
            return False
        return {a.area, b.area} == MOTOR_AREAS or a.area == b.area == "S1"
