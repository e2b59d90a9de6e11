"""Curved versus straight reaches (MC_Maze): decoding, and how far apart the latent trajectories of
straight and curved versions of the same maze lie (the paper's Figure 8 claim, made measurable).

Scored per recording (one area x one trial set of the ``mc_maze`` dataset); other datasets have no units
here. Decoders are fitted on the recording's training trials and scored on its test trials:

- ``linear`` velocity and position R^2 and the ``logistic`` per-bin condition classifier (the shared
  decoders; ``direction`` is the condition class here), test and training trials;
- ``trajectory-logistic``, metric ``balanced_accuracy``: the version of each test trial from its whole
  latent trajectory: target ``reach:<type>`` (straight or curved, trials of one maze type), ``reach``
  (straight or curved over all types of the set) and ``condition`` (every (type, reach) of the set);
- ``trajectory-mean``, metrics ``distance`` and ``separation`` (distance / within-condition spread):
  between the average trajectories of straight and curved trials of one type (``reach:<type>``), their
  mean over types (``reach``), and the mean over all pairs of conditions (``condition``), on test and on
  training trials.

A condition without (enough) trials in a part of the chronological split gives NaN with a note.
Figures: ``plot_condition_trajectories`` and ``trajectory_figures`` (see ``_maze_figures``).
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

from ner_bench import Context, Embedding, Recording, Task, Unit
from ner_bench.builtins.tasks._maze_figures import plot_condition_trajectories, trajectory_figures
from ner_bench.builtins.tasks._trajectories import Score, Trajectories, classify, mean_score, separate
from ner_bench.decoders import decoding_rows

__all__ = ["CurvedVsStraight", "plot_condition_trajectories", "trajectory_figures"]

REACHES = ("straight", "curved")
N_WINDOWS = 10  # time windows of the classifier's trajectory features (50 ms each at 5-ms bins)


def is_maze_recording(recording: Recording) -> bool:
    return "trial_conditions" in recording.meta


class CurvedVsStraight(Task):
    name = "curved-vs-straight"
    description = ("MC_Maze: decode velocity and position, and separate straight from curved reaches' latent "
                   "trajectories (classification and distances between condition averages)")

    def units(self, recordings: list[Recording]) -> list[Unit]:
        return [Unit(r, r) for r in recordings if is_maze_recording(r)]

    def evaluate(self, unit: Unit, train: Embedding, test: Embedding, context: Context) -> list[dict]:
        fit_on, held_out = train.part("train"), train.part("test")
        rows = decoding_rows(fit_on, {"test": held_out, "train": fit_on}, context.protocol)
        trajectories = {"train": Trajectories.of(fit_on), "test": Trajectories.of(held_out)}
        rows += classification_rows(trajectories["train"], trajectories["test"], context.protocol.logistic_max_iter)
        for split, part in trajectories.items():
            rows += distance_rows(part, split)
        return rows


def classification_rows(train: Trajectories, test: Trajectories, max_iter: int) -> list[dict]:
    def row(target: str, train_part: Trajectories, test_part: Trajectories, by: str, classes: list[str]) -> dict:
        score = classify(train_part, test_part, getattr(train_part, by), getattr(test_part, by), classes,
                         n_windows=N_WINDOWS, max_iter=max_iter)
        return dict(decoder="trajectory-logistic", target=target, metric="balanced_accuracy", split="test",
                    value=score.value, note=score.note)

    rows = [row("condition", train, test, "labels", list(train.conditions))]
    both = train.types_with_both_reaches()
    if both:
        in_both = lambda part: part.where(np.isin(part.trial_types, both))
        rows.append(row("reach", in_both(train), in_both(test), "reaches", list(REACHES)))
    for trial_type in both:
        of_type = lambda part: part.where(part.trial_types == trial_type)
        rows.append(row(f"reach:{trial_type}", of_type(train), of_type(test), "reaches", list(REACHES)))
    return rows


def distance_rows(part: Trajectories, split: str) -> list[dict]:
    def rows_for(target: str, distance: Score, separation: Score) -> list[dict]:
        return [dict(decoder="trajectory-mean", target=target, metric=metric, split=split, value=s.value, note=s.note)
                for metric, s in (("distance", distance), ("separation", separation))]

    pairs = [separate(part.group(a), part.group(b), (a, b)) for a, b in combinations(part.conditions, 2)]
    rows = rows_for("condition", mean_score([d for d, _ in pairs], "condition pairs"),
                    mean_score([s for _, s in pairs], "condition pairs"))
    per_type = {t: separate(part.group(f"{t}-straight"), part.group(f"{t}-curved"), (f"{t}-straight", f"{t}-curved"))
                for t in part.types_with_both_reaches()}
    if per_type:
        rows += rows_for("reach", mean_score([d for d, _ in per_type.values()], "types"),
                         mean_score([s for _, s in per_type.values()], "types"))
    for trial_type, (distance, separation) in per_type.items():
        rows += rows_for(f"reach:{trial_type}", distance, separation)
    return rows
