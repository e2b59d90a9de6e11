"""The results table on disk: ``results.csv`` for people, ``results.parquet`` for the engine."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import NerBenchError
from ..row_identity import identity_frame
from .files import atomic_write_all
from .layout import RESULT_FILES, RESULTS_CSV, RESULTS_PARQUET, VERSIONS


def write_results(table: pd.DataFrame, folder: Path) -> None:
    """Both files, written whole before either replaces its old version (``atomic_write_all``), so that a
    full disk or a crash while writing leaves the previous pair as it was. The CSV names each row's
    versions record by a short id (``versions_id``); the records are in ``versions.json``, so that the
    CSV does not repeat a few hundred bytes on every row."""
    csv, records = with_versions_ids(table)
    atomic_write_all({folder / RESULTS_PARQUET: lambda stream: table.to_parquet(stream, index=False),
                      folder / VERSIONS: lambda stream: stream.write(json.dumps(records, indent=1).encode()),
                      folder / RESULTS_CSV: lambda stream: csv.to_csv(stream, index=False)})


def with_versions_ids(table: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """The table with ``versions`` replaced by ``versions_id``, and ``{id: versions record}``."""
    if "versions" not in table:
        return table, {}
    texts = table["versions"].astype(object).where(table["versions"].notna(), "")
    records = {hashlib.sha256(text.encode()).hexdigest()[:12]: text for text in dict.fromkeys(texts)}
    ids = {text: key for key, text in records.items()}
    position = table.columns.get_loc("versions")
    csv = table.drop(columns="versions")
    csv.insert(position, "versions_id", texts.map(ids))
    return csv, records


def with_versions(table: pd.DataFrame, folder: Path) -> pd.DataFrame:
    """``with_versions_ids`` undone, from the folder's ``versions.json`` (when it is there)."""
    path = folder / VERSIONS
    if "versions_id" not in table or not path.exists():
        return table
    try:
        records = json.loads(path.read_text())
    except (OSError, ValueError):
        return table
    position = table.columns.get_loc("versions_id")
    restored = table.drop(columns="versions_id")
    restored.insert(position, "versions", table["versions_id"].map(records))
    return restored


def results_file(source: str | Path) -> Path:
    """The results file of a run folder (``results.parquet``, else ``results.csv``), or ``source`` itself."""
    path = Path(source)
    if path.is_dir():
        found = [path / name for name in RESULT_FILES if (path / name).exists()]
        if not found:
            raise NerBenchError(f"results folder {path}: neither {' nor '.join(RESULT_FILES)} is in it "
                                f"(write one with `ner-bench run --out {path}`)")
        return found[0]
    if not path.exists():
        raise NerBenchError(f"results {path}: no such file or folder")
    return path


def read_table(source: str | Path) -> tuple[pd.DataFrame, Path]:
    """The raw results table of ``source`` and the file it came from."""
    path = results_file(source)
    try:
        table = pd.read_parquet(path) if path.suffix == ".parquet" else with_versions(
            pd.read_csv(path, keep_default_na=False, na_values=[""]), path.parent)
    except Exception as error:  # a truncated parquet, a CSV that is not one
        raise NerBenchError(f"results {path}: cannot be read ({type(error).__name__}: {error})") from None
    return table, path


#: what names one scored unit: a rerun of it replaces its failed or skipped rows
UNIT_KEY = ["task", "method", "method_params", "dataset", "train_unit", "test_unit", "seed", "protocol"]


def accumulated(new: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """The folder's table after a run: the run's rows, then the previous rows it did not redo. A previous
    row is redone when a new row has its identity (``row_identity``), and a previous failed or skipped row
    when the run scored its unit again; rows of other methods, tasks or options are kept."""
    if previous.empty:
        return new
    both = pd.concat([new, previous], ignore_index=True)
    identities = identity_frame(both)
    redone = identities.duplicated(keep="first").to_numpy()[len(new):]
    # one 64-bit hash per row's unit, vectorised (a row-wise string join took 25 s on 186 000 rows)
    keys = pd.util.hash_pandas_object(both[UNIT_KEY].astype(str), index=False).to_numpy()
    stale = (previous["status"].to_numpy() != "ok") & np.isin(keys[len(new):], keys[: len(new)])
    kept = previous[~(redone | stale)]
    return pd.concat([new, kept], ignore_index=True) if len(kept) else new
