"""Cross-hemisphere decoding: the cross-session pairs whose hemispheres are known and differ (on the NER
release: Chewie 2015 right M1 and Chewie 2016 left M1)."""

from __future__ import annotations

from ner_bench import Recording
from ner_bench.pairs import PairwiseDecoding, hemispheres_differ, same_subject


class CrossHemisphere(PairwiseDecoding):
    name = "cross-hemisphere"
    description = "Decode across hemispheres: same subject and area, hemispheres known and different"

    def accepts(self, a: Recording, b: Recording) -> bool:
        return same_subject(a, b) and a.area == b.area and hemispheres_differ(a, b)
