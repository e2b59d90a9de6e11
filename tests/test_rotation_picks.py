"""The range of a paper-protocol cross-session cell over the rotation picks the release's rule admits."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import special_ortho_group

from support.recordings import make_recording
from ner_bench import Context, chronological_split
from ner_bench.alignment import published_alignment, published_fits
from ner_bench.paper_cells import paper_cells, write_paper_cells
from ner_bench.pick_ranges import N_PICKS, VALUE_MAX, VALUE_MIN, with_pick_ranges
from ner_bench.protocol import PAPER, STRICT
from ner_bench.results import make_table
from ner_bench.rotation_picks import admissible_directions
from ner_bench.task import Embedding, Unit
from ner_bench.plugins import discover


def cross_session(**options):
    return discover().get("tasks", "cross-session")(**options)


def rotation(seed: int) -> np.ndarray:
    return special_ortho_group.rvs(3, random_state=seed)  # det = +1


def reflection(seed: int) -> np.ndarray:
    return rotation(seed) @ np.diag([-1.0, 1.0, 1.0])  # det = -1


def source_and_target(maps: dict[int, np.ndarray], scale: dict[int, float] | None = None):
    """A: a random 3-D embedding of a toy recording (direction d's trials scaled by ``scale[d]``); B: A's
    recording under another id, each trial of direction d carried by ``maps[d]``."""
    recording = make_recording(n_trials=40, id="A", subject="S", area="M1", date="2026-01-01")
    values = recording.neural @ np.random.default_rng(0).normal(size=(recording.n_neurons, 3))
    mapped = values.copy()
    for d, factor in (scale or {}).items():
        values[recording.direction == d] *= factor
    for d, transform in maps.items():
        mapped[recording.direction == d] = values[recording.direction == d] @ transform
    split = chronological_split(recording)
    target = recording.replace(id="B", date="2026-01-02")
    return Embedding(recording, split, values), Embedding(target, split, mapped)


def linear_velocity(rows: list[dict]) -> dict:
    return next(r for r in rows if (r["decoder"], r["target"], r["split"]) == ("linear", "velocity", "test"))


def score_under(task, fit: np.ndarray, source: Embedding, target: Embedding) -> float:
    unit = Unit(source.recording, target.recording)
    return linear_velocity(task.aligned_rows(published_alignment(fit), unit, source, target, PAPER))["value"]


def as_results(rows: list[dict], source: Embedding, target: Embedding) -> pd.DataFrame:
    rows = [dict(r, task="cross-session", method="toy", seed=0, status="ok", train_recording=source.recording,
                 test_recording=target.recording) for r in rows]
    return make_table(rows, protocol=PAPER, budget="test", device="cpu")


def test_two_rotations_tied_on_the_release_criterion_give_a_range_over_both():
    """Six directions of B are one rotation of A, two another: every fit is a rotation with |det| = 1 up to
    rounding, so the release's pick between the two is float noise; the cell's range spans both scores
    and, wider than 0.01, is flagged."""
    first, second = rotation(3), rotation(4)
    source, target = source_and_target({d: (second if d in (6, 7) else first) for d in range(8)})
    task = cross_session(decoders="linear")
    row = linear_velocity(task.evaluate(Unit(source.recording, target.recording), source, target,
                                        Context(PAPER, 0)))
    scores = score_under(task, first, source, target), score_under(task, second, source, target)
    assert row[N_PICKS] == 8
    assert row[VALUE_MIN] == pytest.approx(min(scores), abs=1e-9)
    assert row[VALUE_MAX] == pytest.approx(max(scores), abs=1e-9)
    assert row[VALUE_MIN] <= row["value"] <= row[VALUE_MAX]
    cells = paper_cells(as_results([row], source, target))
    assert cells["range_width"].iloc[0] > 0.01 and cells["wide_range"].iloc[0]


def test_a_clear_best_pick_gives_a_zero_width_range():
    """One direction, weighing 30 times the others, is a reflection of A; the other seven are different
    rotations. The lone reflection is cheaper than every rotation, so the rule admits it alone."""
    maps = {d: rotation(10 + d) for d in range(1, 8)} | {0: reflection(9)}
    source, target = source_and_target(maps, scale={0: 30.0})
    fits = published_fits(source.values, source.recording, target.values, target.recording)
    assert admissible_directions(source.values, source.recording, fits) == [0]
    rows = cross_session(decoders="linear").evaluate(Unit(source.recording, target.recording), source, target,
                                                    Context(PAPER, 0))
    assert all(r[N_PICKS] == 1 and r[VALUE_MIN] == r["value"] == r[VALUE_MAX] for r in rows)
    cells = paper_cells(as_results(rows, source, target))
    assert len(cells) == 2 and (cells["range_width"] == 0).all() and not cells["wide_range"].any()


def test_a_fit_off_orthogonal_beyond_the_tolerance_is_not_admitted():
    """The criterion ||det| - 1| admits rounding (1e-15), not a genuinely different determinant."""
    source, target = source_and_target({d: rotation(3) for d in range(8)})
    fits = {0: np.eye(3), 1: np.diag([1.0 + 1e-6, 1.0, 1.0]), 2: np.diag([1.0 + 1e-13, 1.0, 1.0])}
    assert admissible_directions(source.values, source.recording, fits) == [0, 2]


def test_a_pick_missing_a_row_or_scoring_nan_makes_the_range_nan():
    rows = [{"decoder": "linear", "target": "velocity", "metric": "r2", "split": "test", "value": 0.5}]
    other = [dict(rows[0], value=math.nan)]
    ranged = with_pick_ranges(rows, [rows, other])
    assert math.isnan(ranged[0][VALUE_MIN]) and ranged[0][N_PICKS] == 2
    assert math.isnan(with_pick_ranges(rows, [rows, []])[0][VALUE_MAX])


def test_strict_rows_have_no_pick_columns_and_the_board_writes_no_paper_cells(tmp_path):
    source, target = source_and_target({d: rotation(3) for d in range(8)})
    rows = cross_session(decoders="linear", calibration="off").evaluate(
        Unit(source.recording, target.recording), source, target, Context(STRICT, 0))
    assert not any(set(r) & {VALUE_MIN, VALUE_MAX, N_PICKS} for r in rows)
    results = as_results(rows, source, target).assign(protocol="strict")
    assert write_paper_cells(results, tmp_path) is None and not list(tmp_path.iterdir())
