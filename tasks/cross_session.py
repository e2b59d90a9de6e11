"""Cross-session decoding: decoders fitted on recording A's aligned training trials, scored on recording
B's test trials, for every ordered pair of the ``cross-session`` type (same subject, area and hemisphere,
another day), plus the A = B diagonal (the within-session score), so that the session x session matrix can
be drawn. Pairs that also change area or hemisphere belong to other tasks, so that this score measures
the day-to-day transfer alone."""

from __future__ import annotations

from ner_bench.pairs import CROSS_SESSION, SAME_RECORDING, PairwiseDecoding


class CrossSession(PairwiseDecoding):
    name = "cross-session"
    description = ("Decode recording B with decoders fitted on recording A's aligned embedding: same subject, "
                   "area and hemisphere, another session (and A = B, the within-session diagonal)")
    pair_types = (CROSS_SESSION, SAME_RECORDING)
