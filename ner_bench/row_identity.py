"""What makes a result row *that* number: one definition, used wherever rows are merged or checked.

A row is identified by every column except those that carry its measurement (value, status, error, note)
or say how and where it was made (timings, hosts, versions...). Listing the non-identifying columns, not
the identifying ones, means a column a task adds (``train_direction``, ``pair_type``, ``alignment``) is
part of the identity by default: two rows that differ in it are never merged, and a new column cannot be
forgotten here as ``train_direction`` once was.
"""

from __future__ import annotations

from typing import Iterable

import pandas as pd

from .errors import NerBenchError

#: the measurement itself (with its range over the release's admissible rotation picks, ``pick_ranges``),
#: and what the leaderboard derives from other columns
MEASUREMENT = ("value", "status", "error", "note", "value_min_over_picks", "value_max_over_picks",
               "n_admissible_picks", "method_label", "cells", "results_source")
#: how and where a number was made; equal numbers made on two machines are the same row
PROVENANCE = ("fit_seconds", "transform_seconds", "cached", "budget", "training", "defects", "device", "fit_device",
              "host", "fit_host", "ner_bench_version", "versions", "threads")
NOT_IDENTITY = frozenset(MEASUREMENT + PROVENANCE)


def identity_columns(columns: Iterable[str]) -> list[str]:
    """The identifying columns among ``columns``, in their order."""
    return [c for c in columns if c not in NOT_IDENTITY]


def identity_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The identifying columns, with missing values made comparable (NaN, None and <NA> are equal)."""
    return table[identity_columns(table.columns)].astype(object).where(lambda f: f.notna(), "<missing>").astype(str)


def duplicated_rows(table: pd.DataFrame, keep: str | bool = "last") -> pd.Series:
    """True for rows whose identity repeats an earlier (``keep="last"``: a later) row's."""
    return identity_frame(table).duplicated(keep=keep)


def check_unique(rows: list[dict], where: str) -> None:
    """A task's rows of one unit must each be a different number; name the first repeat."""
    if not rows:
        return
    frame = pd.DataFrame.from_records(rows)
    repeated = duplicated_rows(frame, keep="first")
    if repeated.any():
        first = frame[repeated].iloc[0]
        shown = {c: first[c] for c in identity_columns(frame.columns) if pd.notna(first[c])}
        raise NerBenchError(f"{where}: {int(repeated.sum())} row(s) repeat another row's identity, e.g. {shown}; "
                            "every row must differ in a column other than value/note (add the column that tells "
                            "them apart)")
