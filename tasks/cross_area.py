"""Cross-area decoding: the pairs of the ``cross-area`` type, two areas recorded in ONE session of one
subject (M1 -> PMd and PMd -> M1 of the same day, on the NER release Chewie 2016 and Mihili). Pairs that
also change the day (``cross-session-and-area``) are left out, so that the score is the transfer between
areas alone; an area recorded alone (S1) has no pair here."""

from __future__ import annotations

from ner_bench.pairs import CROSS_AREA, PairwiseDecoding


class CrossArea(PairwiseDecoding):
    name = "cross-area"
    description = "Decode across areas of one session: M1 <-> PMd of the same subject and day"
    pair_types = (CROSS_AREA,)
