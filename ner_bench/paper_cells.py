"""The paper protocol's cross-session cells: the value the release prints (where it prints one), this
reproduction's value, and the range over the rotation picks the release's rule admits (``pick_ranges``).

The release's pick within a class of per-direction fits is float noise (``rotation_picks``), so a
reproduction matches the release's cross-session numbers only where the range is narrow. Every cell whose
range is wider than ``WIDE`` is flagged. The release prints per-cell numbers for the diagonal only
(reference protocol section 6, A = B: no alignment); its off-diagonal numbers are means over 10 Chewie
sessions, which no cell here can be held to.

Usage: python -m ner_bench.paper_cells RESULTS... [--docs docs/protocols.md]   (prints the Markdown table,
or writes it between the markers of the given file)
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import pandas as pd

from .pick_ranges import N_PICKS, VALUE_MAX, VALUE_MIN
from .run_folder import read_table
from .statistics import prepare

#: (decoder, target, metric) of the table, test trials
CELL_METRICS = [("linear", "velocity", "r2"), ("linear", "position", "r2"), ("logistic", "direction", "peak_accuracy"),
                ("knn", "velocity", "r2"), ("knn", "position", "r2"), ("knn", "direction", "peak_accuracy")]
#: a range wider than this is flagged: the cell's third decimal, even its second, is the pick's luck
WIDE = 0.01
#: the release's embedding folders (``data_NER/M1 4+6+6/<folder>/NPZ``) and the model each holds
RELEASE_FOLDERS = {"NER_Chewie": "NER", "Cebra_Chewie": "CEBRA"}
#: reference protocol section 6, test trials, linear decoder (velocity R^2 swapped, as published)
PUBLISHED = {("NER", "Chewie_20150629_M1", "linear", "velocity", "r2"): 0.548,
             ("NER", "Chewie_20150629_M1", "linear", "position", "r2"): 0.891,
             ("NER", "Chewie_20150630_M1", "linear", "velocity", "r2"): 0.603,
             ("NER", "Chewie_20150630_M1", "linear", "position", "r2"): 0.909,
             ("CEBRA", "Chewie_20150629_M1", "linear", "velocity", "r2"): -2.939,
             ("CEBRA", "Chewie_20150629_M1", "linear", "position", "r2"): 0.723,
             ("CEBRA", "Chewie_20150630_M1", "linear", "velocity", "r2"): -2.211,
             ("CEBRA", "Chewie_20150630_M1", "linear", "position", "r2"): 0.793}
CSV_NAME = "paper_cells.csv"
MARKERS = ("<!-- paper-cells: start (python -m ner_bench.paper_cells) -->", "<!-- paper-cells: end -->")


def paper_cells(results: pd.DataFrame) -> pd.DataFrame:
    """One row per paper-protocol cross-session cell (method, A -> B, seed, metric of ``CELL_METRICS``):
    ``published`` (NaN where the release prints none), ``reproduced``, the range over admissible picks,
    its width and ``wide_range``; empty when the results have no such cell."""
    rows = _cell_rows(results if "method_label" in results else prepare(results))
    cells = pd.DataFrame({
        "method": rows["method_label"], "release_model": [_release_model(p) for p in rows["method_params"]],
        "train_unit": rows["train_unit"], "test_unit": rows["test_unit"], "seed": rows["seed"],
        "decoder": rows["decoder"], "target": rows["target"], "metric": rows["metric"]})
    cells["published"] = _published(cells)
    cells = cells.assign(reproduced=rows["value"], value_min_over_picks=rows[VALUE_MIN],
                         value_max_over_picks=rows[VALUE_MAX],
                         n_admissible_picks=pd.to_numeric(rows[N_PICKS]).astype("Int64"))
    cells["range_width"] = cells["value_max_over_picks"] - cells["value_min_over_picks"]
    cells["wide_range"] = cells["range_width"] > WIDE
    return _in_table_order(cells)


def _published(cells: pd.DataFrame) -> list[float]:
    """The release's number of each cell: diagonal cells of its own embeddings only (``PUBLISHED``)."""
    diagonal_unit = cells["train_unit"].where(cells["train_unit"] == cells["test_unit"])
    keys = zip(cells["release_model"], diagonal_unit, cells["decoder"], cells["target"], cells["metric"])
    return [PUBLISHED.get(key, float("nan")) for key in keys]


def _cell_rows(table: pd.DataFrame) -> pd.DataFrame:
    """The scalar test-trial rows of ``CELL_METRICS`` of the paper protocol's cross-session task."""
    rows = table[(table["protocol"] == "paper") & (table["task"] == "cross-session") & (table["status"] == "ok")
                 & (table["alignment"] == "published") & (table["split"] == "test") & table["time_bin"].isna()]
    wanted = [metric in CELL_METRICS for metric in zip(rows["decoder"], rows["target"], rows["metric"])]
    rows = rows[pd.Series(wanted, index=rows.index, dtype=bool)]
    missing = {column: float("nan") for column in (VALUE_MIN, VALUE_MAX, N_PICKS) if column not in rows}
    return rows.assign(**missing)  # results written before the ranges existed have none


def _release_model(method_params: str) -> str:
    """``NER`` or ``CEBRA`` for the ``precomputed`` method reading a release folder of embeddings, else ''."""
    path = Path(str(json.loads(method_params or "{}").get("path", "")))
    return next((model for folder, model in RELEASE_FOLDERS.items() if folder in path.parts), "")


def _in_table_order(cells: pd.DataFrame) -> pd.DataFrame:
    order = {metric: i for i, metric in enumerate(CELL_METRICS)}
    rank = [order[m] for m in zip(cells["decoder"], cells["target"], cells["metric"])]
    diagonal = cells["train_unit"] == cells["test_unit"]
    return (cells.assign(_diagonal=diagonal, _rank=rank)
            .sort_values(["_diagonal", "method", "train_unit", "test_unit", "seed", "_rank"], kind="stable")
            .drop(columns=["_diagonal", "_rank"]).reset_index(drop=True))


def write_paper_cells(results: pd.DataFrame, out: Path) -> Path | None:
    """``out/paper_cells.csv`` when the results have paper-protocol cross-session cells; else nothing."""
    cells = paper_cells(results)
    if cells.empty:
        return None
    cells.to_csv(out / CSV_NAME, index=False)
    return out / CSV_NAME


def markdown(cells: pd.DataFrame) -> str:
    """The cells as a Markdown table, three decimals; ``wide`` flags a range wider than ``WIDE``."""
    lines = ["| embedding | A -> B | decoder | score | published | reproduced | range over picks | picks | flag |",
             "|---|---|---|---|---|---|---|---|---|"]
    for cell in cells.itertuples(index=False):
        pair = f"{_session(cell.train_unit)} -> {_session(cell.test_unit)}"
        lines.append(f"| {cell.method} | {pair} | {cell.decoder} | {cell.target} {cell.metric} | "
                     f"{_number(cell.published)} | {_number(cell.reproduced)} | "
                     f"{_number(cell.value_min_over_picks)} .. {_number(cell.value_max_over_picks)} | "
                     f"{_count(cell.n_admissible_picks)} | {'wide' if cell.wide_range else ''} |")
    return "\n".join(lines)


def _session(unit: str) -> str:
    """``Chewie_20150629_M1`` -> ``0629``: the table's pairs are of one subject and year."""
    found = re.search(r"_\d{4}(\d{4})_", unit)
    return found.group(1) if found else unit


def _number(value: float) -> str:
    return "-" if pd.isna(value) else f"{value:.3f}"


def _count(value: float) -> str:
    return "-" if pd.isna(value) else str(int(value))


def replace_between_markers(text: str, table: str) -> str:
    start, end = text.index(MARKERS[0]), text.index(MARKERS[1])
    return f"{text[:start + len(MARKERS[0])]}\n{table}\n{text[end:]}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m ner_bench.paper_cells", description=__doc__.split("\n\n")[0])
    parser.add_argument("results", nargs="+", help="run folders or results files")
    parser.add_argument("--docs", type=Path, help="a Markdown file whose table between the markers is replaced")
    args = parser.parse_args(argv)
    results = pd.concat([read_table(source)[0] for source in args.results], ignore_index=True)
    table = markdown(paper_cells(results))
    if args.docs:
        args.docs.write_text(replace_between_markers(args.docs.read_text(), table))
    else:
        print(table)


if __name__ == "__main__":
    main()
