"""A cell's range over the rotation picks the release's rule admits (``rotation_picks.py``).

Under the published alignment, the reproduced row is scored with the fit this environment's rounding
picked; the same rows scored under every admissible pick give each number's range, written beside it as
``value_min_over_picks``, ``value_max_over_picks`` and ``n_admissible_picks`` (measurements, not part of
the row's identity: ``row_identity.MEASUREMENT``). Rows of other alignments do not have these columns.
"""

from __future__ import annotations

import math
from typing import Sequence

from .row_identity import identity_columns

VALUE_MIN, VALUE_MAX, N_PICKS = "value_min_over_picks", "value_max_over_picks", "n_admissible_picks"
PICK_COLUMNS = (VALUE_MIN, VALUE_MAX, N_PICKS)


def with_pick_ranges(rows: list[dict], rows_per_pick: Sequence[list[dict]]) -> list[dict]:
    """``rows`` (this reproduction) each with its range over ``rows_per_pick`` (the same rows scored under
    each admissible pick, matched by identity); a pick missing a row, or scoring it NaN, makes its range
    NaN rather than narrower than it is."""
    scored = [{_identity(row): row["value"] for row in pick} for pick in rows_per_pick]
    return [dict(row, **_range([pick.get(_identity(row), math.nan) for pick in scored])) for row in rows]


def _range(values: list[float]) -> dict:
    values = [float(v) if v is not None else math.nan for v in values]
    if not values or any(math.isnan(v) for v in values):
        return {VALUE_MIN: math.nan, VALUE_MAX: math.nan, N_PICKS: len(values)}
    return {VALUE_MIN: min(values), VALUE_MAX: max(values), N_PICKS: len(values)}


def _identity(row: dict) -> tuple:
    return tuple((column, str(row[column])) for column in identity_columns(row))
