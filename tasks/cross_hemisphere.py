"""Cross-hemisphere decoding: the pairs of the ``cross-hemisphere`` type, same subject and area,
hemispheres known and different (on the NER release: Chewie 2015 right M1 and Chewie 2016 left M1)."""

from __future__ import annotations

from ner_bench.pairs import CROSS_HEMISPHERE, PairwiseDecoding


class CrossHemisphere(PairwiseDecoding):
    name = "cross-hemisphere"
    description = "Decode across hemispheres: same subject and area, hemispheres known and different"
    pair_types = (CROSS_HEMISPHERE,)
