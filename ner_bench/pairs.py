"""Pairs of recordings, and decoding one recording (B) with decoders fitted on another's (A) embedding.

Every pairwise task scores ordered pairs (A, B) of its own ``pair_type`` (what changes from A to B: the
session, the hemisphere or the area), so that no score averages different kinds of transfer. A's
embedding, from the model fitted on A's training trials, is aligned onto B's (``alignment.py``), the
shared decoders are fitted on A's aligned training trials and scored on B's test trials (and, labelled
``split="train"``, on B's training trials; kNN, whose index is A's own and shared by every B, scores B's
test trials only: ``source_space_knn_rows``). A task only says which pairs it scores.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from .alignment import ALIGNMENTS, Alignment, align
from .calibration import DEFAULT_BLOCK, DEFAULT_SIZES, parse_block, parse_rungs, parse_sizes
from .calibration_ladder import alignment_calibration, ladder_rows
from .decoders import chosen_decoders, decoding_rows, fit_decoders
from .errors import NerBenchError
from .pick_ranges import with_pick_ranges
from .protocol import Protocol
from .recording import Recording
from .rotation_picks import admissible_alignments
from .threads import limited
from .task import Context, EmbeddedTrials, Embedding, Task, Unit


SAME_RECORDING = "same recording"
CROSS_SESSION = "cross-session"
CROSS_HEMISPHERE = "cross-hemisphere"
CROSS_AREA = "cross-area"
CROSS_SESSION_AND_AREA = "cross-session-and-area"
SAME_SESSION = "same session"
CROSS_SUBJECT = "cross-subject"
PAIR_TYPES = (SAME_RECORDING, CROSS_SESSION, CROSS_HEMISPHERE, CROSS_AREA, CROSS_SESSION_AND_AREA, SAME_SESSION,
              CROSS_SUBJECT)


def same_subject(a: Recording, b: Recording) -> bool:
    return a.subject == b.subject


def hemispheres_differ(a: Recording, b: Recording) -> bool:
    """Both hemispheres known, and different."""
    return "unknown" not in (a.hemisphere, b.hemisphere) and a.hemisphere != b.hemisphere


def pair_type(a: Recording, b: Recording) -> str:
    """What changes from recording A to recording B; one of ``PAIR_TYPES``, so that each pairwise task
    scores one kind of transfer only and a score is never an average over different ones:

    - ``same recording``: A is B;
    - ``cross-subject``: different subjects;
    - ``cross-hemisphere``: same subject and area, hemispheres known and different (on any days);
    - ``cross-session``: same subject and area, another session, hemispheres not known to differ;
    - ``cross-area``: same subject and session (one day), different areas (M1 <-> PMd);
    - ``cross-session-and-area``: same subject, another session and another area;
    - ``same session``: same subject, session and area, different recordings (e.g. two trial sets of one
      MC_Maze session).
    """
    if a.id == b.id:
        return SAME_RECORDING
    if not same_subject(a, b):
        return CROSS_SUBJECT
    same_session = a.session == b.session
    if a.area != b.area:
        return CROSS_AREA if same_session else CROSS_SESSION_AND_AREA
    if hemispheres_differ(a, b):
        return CROSS_HEMISPHERE
    return SAME_SESSION if same_session else CROSS_SESSION


def ordered_pairs(recordings: list[Recording], accepts) -> list[Unit]:
    """Every ordered pair (A, B), A = B included, that ``accepts(A, B)``, in the recordings' order."""
    return [Unit(a, b) for a in recordings for b in recordings if accepts(a, b)]


class PairwiseTask(Task):
    """A task over ordered pairs of recordings, with an ``alignment`` option (``protocol``: the
    protocol's own, ``none``, ``train-procrustes`` or ``published``)."""

    defaults = {"alignment": "protocol"}
    #: the pair types (``PAIR_TYPES``) the task scores
    pair_types: ClassVar[tuple[str, ...]] = ()

    def __init__(self, **options) -> None:
        super().__init__(**options)
        chosen = self.options["alignment"]
        if chosen != "protocol" and chosen not in ALIGNMENTS:
            raise NerBenchError(f"task {self.name!r} option 'alignment': {chosen!r} is unknown; expected "
                                f"'protocol' or one of {ALIGNMENTS}")
        own_accepts = type(self).accepts is not PairwiseTask.accepts
        if set(self.pair_types) - set(PAIR_TYPES) or not (self.pair_types or own_accepts):
            raise NerBenchError(f"task {self.name!r}: pair_types {self.pair_types!r}; expected some of {PAIR_TYPES} "
                                "(or an accepts method of its own)")

    def accepts(self, a: Recording, b: Recording) -> bool:
        """Whether the ordered pair (A, B) is scored: its pair type is one of the task's."""
        return pair_type(a, b) in self.pair_types

    def units(self, recordings: list[Recording]) -> list[Unit]:
        return ordered_pairs(recordings, self.accepts)

    def alignment_method(self, protocol: Protocol) -> str:
        chosen = self.options["alignment"]
        return protocol.alignment if chosen == "protocol" else chosen

    def align(self, train: Embedding, test: Embedding, protocol: Protocol) -> Alignment:
        return align(train, test, self.alignment_method(protocol))


class PairwiseDecoding(PairwiseTask):
    """Decoders fitted on A's aligned training trials, scored on B's test (and training) trials. Options:
    ``decoders``, which shared decoders run (``all`` by default: ``linear+ridge+logistic+knn``);
    ``calibration``, the calibration sizes K of the alignment ladder (``calibration.py``; ``off``: none),
    ``ladder``, its rungs (``all``), and ``calibration_block``, how B's K calibration trials are chosen
    (``balanced`` over directions, the default, or ``first``: the chronologically first). The ladder runs
    under protocols that keep test trials out of alignment (not ``paper``, which reproduces the release), on
    pairs of two different recordings."""

    defaults = {**PairwiseTask.defaults, "decoders": "all", "calibration": "+".join(map(str, DEFAULT_SIZES)),
                "ladder": "all", "calibration_block": DEFAULT_BLOCK}

    def __init__(self, **options) -> None:
        super().__init__(**options)
        self.decoders = chosen_decoders(self.options["decoders"], f"task {self.name!r} option 'decoders'")
        self.calibration_sizes = parse_sizes(self.options["calibration"], f"task {self.name!r} option 'calibration'")
        self.rungs = parse_rungs(self.options["ladder"], f"task {self.name!r} option 'ladder'")
        self.calibration_block = parse_block(self.options["calibration_block"],
                                             f"task {self.name!r} option 'calibration_block'")

    def evaluate(self, unit: Unit, train: Embedding, test: Embedding, context: Context) -> list[dict]:
        alignment = self.align(train, test, context.protocol)
        rows = self.aligned_rows(alignment, unit, train, test, context.protocol)
        if alignment.method == "published":  # the release's pick is float noise: score every admissible one
            picks = [rows if np.array_equal(pick.rotation, alignment.rotation)
                     else self.aligned_rows(pick, unit, train, test, context.protocol)
                     for pick in admissible_alignments(train, test)]
            rows = with_pick_ranges(rows, picks)
        rows = [with_alignment(row, alignment, test) for row in rows]
        if self.calibration_sizes and context.protocol.alignment != "published" and unit.train is not unit.test:
            rows += ladder_rows(train, test, context.protocol, self.calibration_sizes, self.rungs, self.decoders,
                                self.calibration_block)
        return rows

    def aligned_rows(self, alignment: Alignment, unit: Unit, train: Embedding, test: Embedding,
                     protocol: Protocol) -> list[dict]:
        """The decoders fitted on A's training trials mapped by ``alignment``, scored on B's trials."""
        fit_on = train.part("train")
        aligned = EmbeddedTrials(alignment.apply(fit_on.values), fit_on.recording)
        shared_knn = "knn" in self.decoders and unit.train is not unit.test and alignment.is_isometry
        decoders = tuple(d for d in self.decoders if d != "knn") if shared_knn else self.decoders
        rows = decoding_rows(aligned, {"test": test.part("test"), "train": test.part("train")},
                             protocol, knn_search_on=fit_on, decoders=decoders)
        if shared_knn:
            rows += source_space_knn_rows(fit_on, alignment, test.part("test"), protocol)
        return rows


def source_space_knn_rows(fit_on: EmbeddedTrials, alignment: Alignment, target_test: EmbeddedTrials,
                          protocol: Protocol) -> list[dict]:
    """kNN decoding of B's test trials by A's own training trials: A's index and ks are built once per
    source embedding (``decoders.fit_decoders`` remembers them) and B's bins are carried back into A's space by the
    alignment's inverse, which an isometry makes equal to decoding with an index on A's aligned copy. One
    query per target; B's training trials are not scored by kNN across recordings (four times the query,
    and the other decoders report that split)."""
    with limited():
        (knn,) = fit_decoders(fit_on, protocol, decoders=("knn",))
        return knn.rows({"test": EmbeddedTrials(alignment.invert(target_test.values), target_test.recording)})


def with_alignment(row: dict, alignment: Alignment, target: Embedding) -> dict:
    """The row with its ``alignment``, the alignment's mode and calibration (what of B it saw), and the
    alignment's note appended to its own."""
    note = "; ".join(filter(None, [row.get("note", ""), alignment.note]))
    return dict(row, alignment=alignment.method, note=note, **alignment_calibration(alignment.method, target))
