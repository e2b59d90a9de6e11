"""Pairs of recordings, and decoding one recording (B) with decoders fitted on another's (A) embedding.

Every pairwise task scores ordered pairs (A, B): A's embedding, from the model fitted on A's training
trials, is aligned onto B's (``alignment.py``), the shared decoders are fitted on A's aligned training
trials and scored on B's test trials (and, labelled ``split="train"``, on B's training trials). A task
only says which pairs it scores.
"""

from __future__ import annotations

from abc import abstractmethod

from .alignment import ALIGNMENTS, Alignment, align
from .decoders import chosen_decoders, decoding_rows
from .errors import NerBenchError
from .protocol import Protocol
from .recording import Recording
from .task import Context, EmbeddedTrials, Embedding, Task, Unit


def same_subject(a: Recording, b: Recording) -> bool:
    return a.subject == b.subject


def hemispheres_differ(a: Recording, b: Recording) -> bool:
    """Both hemispheres known, and different."""
    return "unknown" not in (a.hemisphere, b.hemisphere) and a.hemisphere != b.hemisphere


def ordered_pairs(recordings: list[Recording], accepts) -> list[Unit]:
    """Every ordered pair (A, B), A = B included, that ``accepts(A, B)``, in the recordings' order."""
    return [Unit(a, b) for a in recordings for b in recordings if accepts(a, b)]


class PairwiseTask(Task):
    """A task over ordered pairs of recordings, with an ``alignment`` option (``protocol``: the
    protocol's own, ``none``, ``train-procrustes`` or ``published``)."""

    defaults = {"alignment": "protocol"}

    def __init__(self, **options) -> None:
        super().__init__(**options)
        chosen = self.options["alignment"]
        if chosen != "protocol" and chosen not in ALIGNMENTS:
            raise NerBenchError(f"task {self.name!r} option 'alignment': {chosen!r} is unknown; expected "
                                f"'protocol' or one of {ALIGNMENTS}")

    @abstractmethod
    def accepts(self, a: Recording, b: Recording) -> bool:
        """Whether the ordered pair (A, B) is scored."""

    def units(self, recordings: list[Recording]) -> list[Unit]:
        return ordered_pairs(recordings, self.accepts)

    def alignment_method(self, protocol: Protocol) -> str:
        chosen = self.options["alignment"]
        return protocol.alignment if chosen == "protocol" else chosen

    def align(self, train: Embedding, test: Embedding, protocol: Protocol) -> Alignment:
        return align(train, test, self.alignment_method(protocol))


class PairwiseDecoding(PairwiseTask):
    """Decoders fitted on A's aligned training trials, scored on B's test (and training) trials. Option
    ``decoders``: which shared decoders run (``linear+logistic+knn`` by default)."""

    defaults = {**PairwiseTask.defaults, "decoders": "all"}

    def __init__(self, **options) -> None:
        super().__init__(**options)
        self.decoders = chosen_decoders(self.options["decoders"], f"task {self.name!r} option 'decoders'")

    def evaluate(self, unit: Unit, train: Embedding, test: Embedding, context: Context) -> list[dict]:
        alignment = self.align(train, test, context.protocol)
        fit_on = train.part("train")
        aligned = EmbeddedTrials(alignment.apply(fit_on.values), fit_on.recording)
        rows = decoding_rows(aligned, {"test": test.part("test"), "train": test.part("train")},
                             context.protocol, knn_search_on=fit_on, decoders=self.decoders)
        return [with_alignment(row, alignment) for row in rows]


def with_alignment(row: dict, alignment: Alignment) -> dict:
    """The row with an ``alignment`` column and the alignment's note appended to its own."""
    note = "; ".join(filter(None, [row.get("note", ""), alignment.note]))
    return dict(row, alignment=alignment.method, note=note)
