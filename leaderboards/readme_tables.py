"""The Markdown tables of leaderboards/README.md, printed from a board folder's CSVs (no number copied by hand).

Usage: python leaderboards/readme_tables.py leaderboards/reaching   (from the repository root)

Prints (1) the headline table: mean test score of every method, with its tie letters, in a few columns of the
summary (a method scored on fewer test sessions than the column's others says on how many); (2) the
calibration tables: for each method, the largest K up to which a supervised Procrustes or CCA alignment
beats refitting a decoder on the same K trials of the new recording (velocity R^2 of the linear decoder,
peak direction accuracy of the logistic one).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

#: (column title, task, pair type, decoder, target, metric) of the headline table, test trials
HEADLINE_COLUMNS = [
    ("within vel R2", "within-session", "same recording", "linear", "velocity", "r2"),
    ("within pos R2", "within-session", "same recording", "linear", "position", "r2"),
    ("within peak dir acc", "within-session", "same recording", "logistic", "direction", "peak_accuracy"),
    ("within kNN vel R2", "within-session", "same recording", "knn", "velocity", "r2"),
    ("cross-session vel R2", "cross-session", "cross-session", "linear", "velocity", "r2"),
    ("cross-session kNN vel R2", "cross-session", "cross-session", "knn", "velocity", "r2"),
    ("cross-session pos R2", "cross-session", "cross-session", "linear", "position", "r2"),
    ("cross-hemisphere pos R2", "cross-hemisphere", "cross-hemisphere", "linear", "position", "r2"),
    ("cross-hemisphere kNN vel R2", "cross-hemisphere", "cross-hemisphere", "knn", "velocity", "r2"),
    ("cross-area pos R2", "cross-area", "cross-area", "linear", "position", "r2"),
    ("cross-area kNN vel R2", "cross-area", "cross-area", "knn", "velocity", "r2"),
    ("latent contrast r", "latent-correlation", "cross-session", "pearson", "latent_trajectory",
     "trajectory_contrast_r"),
]
CALIBRATION_ALIGNMENTS = ("procrustes", "cca")
#: (decoder, target, metric) of the calibration tables
CALIBRATION_METRICS = [("linear", "velocity", "r2"), ("logistic", "direction", "peak_accuracy")]


def headline_table(summary: pd.DataFrame) -> str:
    """Methods by within-session velocity R^2 (best first); each cell "mean (tie letters)"."""
    test = summary[(summary["split"] == "test") & (summary["protocol"] == "strict")]
    columns, order = {}, None
    for title, task, pair_type, decoder, target, metric in HEADLINE_COLUMNS:
        part = test[(test["task"] == task) & (test["pair_type"] == pair_type) & (test["decoder"] == decoder)
                    & (test["target"] == target) & (test["metric"] == metric)].set_index("method")
        if part.empty:
            continue
        most = part["n_units"].max()  # a method scored on fewer sessions says so in its cell
        columns[title] = {m: f"{row['mean']:.3f} ({row['tie_group']})"
                             + (f" [{row['n_units']} of {most} sessions]" if row["n_units"] < most else "")
                          for m, row in part.iterrows()}
        if order is None:
            order = list(part.sort_values("mean", ascending=False).index)
    methods = order + sorted({m for cells in columns.values() for m in cells} - set(order))
    lines = ["| method | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    lines += [f"| {m} | " + " | ".join(cells.get(m, "") for cells in columns.values()) + " |" for m in methods]
    return "\n".join(lines)


def calibration_summary(calibration: pd.DataFrame, decoder: str, target: str, metric: str) -> str:
    """Per pair type and method: the K up to which Procrustes and CCA beat the refit control, and the
    score at K = 16 beside the refit control's (one decoder, target and metric; test trials)."""
    rows = calibration[(calibration["split"] == "test") & (calibration["decoder"] == decoder)
                       & (calibration["target"] == target) & (calibration["metric"] == metric)]
    header = ([f"{a}: beats refit up to K" for a in CALIBRATION_ALIGNMENTS]
              + [f"{a} at K=16" for a in CALIBRATION_ALIGNMENTS] + ["refit at K=16"])
    lines = [f"{decoder} {target} {metric}, test trials", "", "| pair type | method | " + " | ".join(header) + " |",
             "|---" * (3 + 2 * len(CALIBRATION_ALIGNMENTS)) + "|"]
    for (pair_type, method), part in rows.groupby(["pair_type", "method"], sort=True):
        by = {a: part[part["alignment"] == a] for a in CALIBRATION_ALIGNMENTS}
        beats = [_first(p["beats_refit_up_to"]) for p in by.values()]
        at_16 = [p[p["calibration_size"].astype(str) == "16"] for p in by.values()]
        scores = [f"{p['mean'].iloc[0]:.3f}" if len(p) else "" for p in at_16]
        refit = next((f"{p['refit_mean'].iloc[0]:.3f}" for p in at_16 if len(p)), "")
        lines.append(f"| {pair_type} | {method} | " + " | ".join([*beats, *scores, refit]) + " |")
    return "\n".join(lines)


def _first(values: pd.Series) -> str:
    values = values.dropna()
    return str(values.iloc[0]) if len(values) else "-"


def main(board: Path) -> None:
    print(headline_table(pd.read_csv(board / "summary.csv")))
    if (board / "calibration.csv").exists():
        calibration = pd.read_csv(board / "calibration.csv")
        for decoder, target, metric in CALIBRATION_METRICS:
            print()
            print(calibration_summary(calibration, decoder, target, metric))


if __name__ == "__main__":
    if len(sys.argv) != 2 or not (Path(sys.argv[1]) / "summary.csv").exists():
        sys.exit("usage: python leaderboards/readme_tables.py BOARD_DIR   (a folder with summary.csv)")
    main(Path(sys.argv[1]))
