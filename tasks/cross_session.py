"""Cross-session decoding: decoders fitted on recording A's aligned training trials, scored on recording
B's test trials, for every ordered pair of recordings of the same subject and area (A = B is the
within-session score), so that the session x session matrix can be drawn."""

from __future__ import annotations

from ner_bench import Recording
from ner_bench.pairs import PairwiseDecoding, same_subject


class CrossSession(PairwiseDecoding):
    name = "cross-session"
    description = ("Decode recording B with decoders fitted on recording A's aligned embedding, every ordered "
                   "pair of the same subject and area (A = B included)")

    def accepts(self, a: Recording, b: Recording) -> bool:
        return same_subject(a, b) and a.area == b.area
