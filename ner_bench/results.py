"""The tidy results table: one row per number, with the protocol and versions that made it."""

from __future__ import annotations

import pandas as pd

from . import provenance
from .jobs import FAILED, OK, SKIPPED  # noqa: F401 - OK is part of this module's API
from .pairs import pair_type
from .protocol import Protocol
from .run_folder.params import canonical_params

COLUMNS = ["task", "method", "method_params", "dataset", "subject", "area", "train_unit", "test_unit", "pair_type",
           "train_area", "train_hemisphere", "test_hemisphere", "train_session", "test_session", "split", "seed",
           "decoder", "target", "metric", "time_bin", "train_direction", "test_direction", "value", "alignment",
           "alignment_mode", "calibration_size", "calibration_block", "calibration_trials", "calibration_labelled", "calibration_curve", "protocol", "status", "error", "note", "fit_seconds", "transform_seconds", "cached", "budget", "training",
           "defects",
           "device", "fit_device", "host", "fit_host", "ner_bench_version", "versions"]

#: columns that say how and where a run went rather than what it found: they differ between an
#: interrupted-and-resumed run and an uninterrupted one, everything else must not
VOLATILE_COLUMNS = ("fit_seconds", "transform_seconds", "cached", "host", "fit_host", "fit_device")

#: the headline numbers of a board, in their order: (decoder, target, metric)
HEADLINE = [("linear", "velocity", "r2"), ("linear", "position", "r2"), ("logistic", "direction", "peak_accuracy")]

def make_table(rows: list[dict], *, protocol: Protocol, budget: str, device: str) -> pd.DataFrame:
    """Rows from the runner (with Recording objects) -> the results DataFrame with provenance; every row,
    failed ones too, says which kind of pair it scored (``pair_type``) and the two sessions."""
    versions = provenance.versions()
    records = []
    for row in rows:
        row = dict(row)
        train, test = row.pop("train_recording"), row.pop("test_recording")
        row.update(dataset=test.dataset, subject=test.subject, area=test.area, train_unit=train.id,
                   test_unit=test.id, pair_type=pair_type(train, test), train_area=train.area,
                   train_hemisphere=train.hemisphere, test_hemisphere=test.hemisphere,
                   train_session=train.session, test_session=test.session)
        row["method_params"] = canonical_params(row.get("method_params", {}))
        records.append(row)
    table = pd.DataFrame.from_records(records, columns=None)
    for column in COLUMNS:
        if column not in table:
            table[column] = None
    table = table.assign(protocol=protocol.name, budget=budget, device=device, host=provenance.host(),
                         defects="; ".join(protocol.defects), ner_bench_version=versions.get("ner-bench", ""),
                         versions=provenance.versions_json())
    extra = [c for c in table.columns if c not in COLUMNS]
    table = table[COLUMNS + extra]
    table["value"] = pd.to_numeric(table["value"], errors="coerce").astype(float)
    for column in ("time_bin", "train_direction", "test_direction"):
        table[column] = pd.array(table[column], dtype="Int64")
    for column in ("error", "note", "fit_host", "fit_device", "training"):
        table[column] = table[column].fillna("").astype(str)
    table["cached"] = table["cached"].astype("boolean").fillna(False).astype(bool)
    table["calibration_curve"] = table["calibration_curve"].astype("boolean").fillna(False).astype(bool)
    table["calibration_trials"] = pd.array(table["calibration_trials"], dtype="Int64")
    table["calibration_labelled"] = table["calibration_labelled"].astype("boolean")
    return table


def on_calibration_curve(table: pd.DataFrame) -> pd.Series:
    """The rows of the calibration ladder (``calibration_ladder.py``), which the run summary and the
    leaderboard's main tables leave to the calibration table."""
    if "calibration_curve" not in table:
        return pd.Series(False, index=table.index)
    return table["calibration_curve"].astype("boolean").fillna(False).astype(bool)


def failures(table: pd.DataFrame) -> pd.DataFrame:
    """One line per failed (method, unit, seed) with the first line of its error."""
    failed = table[table["status"] == FAILED]
    first_line = failed["error"].str.split("\n").str[0]
    return failed.assign(error=first_line)[["task", "method", "method_params", "train_unit", "test_unit", "seed",
                                            "status", "error"]].drop_duplicates()


def skip_reasons(table: pd.DataFrame) -> list[str]:
    """One line per task x method with skipped units: how many, and the first reason (``note``)."""
    skipped = table[table["status"] == SKIPPED]
    return [f"{task} x {method}: skipped {len(group)} unit(s), e.g. {group['note'].iloc[0]}"
            for (task, method), group in skipped.groupby(["task", "method"], sort=False)]
