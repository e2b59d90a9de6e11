"""Within-session decoding: decoders fitted on a recording's training trials, scored on its test trials
(and, labelled ``train``, on the training trials themselves). Option ``decoders``: which shared decoders run
(``all`` by default: ``linear+ridge+logistic+knn``). Every row is of pair type ``same recording``."""

from __future__ import annotations

from ner_bench import Context, Embedding, Recording, Task, Unit
from ner_bench.decoders import chosen_decoders, decoding_rows


class WithinSession(Task):
    name = "within-session"
    description = "Decode velocity, position and direction on held-out trials of the same recording"
    defaults = {"decoders": "all"}

    def __init__(self, **options) -> None:
        super().__init__(**options)
        self.decoders = chosen_decoders(self.options["decoders"], f"task {self.name!r} option 'decoders'")

    def units(self, recordings: list[Recording]) -> list[Unit]:
        return [Unit(r, r) for r in recordings]

    def evaluate(self, unit: Unit, train: Embedding, test: Embedding, context: Context) -> list[dict]:
        fit_on = train.part("train")
        return decoding_rows(fit_on, {"test": train.part("test"), "train": fit_on}, context.protocol,
                             decoders=self.decoders)
