"""The Markdown tables of leaderboards/README.md, printed from a board folder's CSVs (no number copied by hand).

Usage: python leaderboards/readme_tables.py leaderboards/reaching   (from the repository root)
       python leaderboards/readme_tables.py leaderboards/budget     (the budget-curve table)
       python leaderboards/readme_tables.py leaderboards/reaching --write leaderboards/README.md
       (replaces every block of the README between ``<!-- readme_tables NAME -->`` markers)

Blocks: ``headline`` (mean test score of every method with its letters, in a few columns of the summary; a
method scored on fewer test sessions than the column's others says on how many, one shown apart says "not
ranked"); ``claims`` (every pairwise comparison the READMEs state, ``CLAIMS``, with its difference, interval,
Holm p blocked by subject and of the mixed model, subjects' agreement and verdict); ``calibration-digest``
and ``calibration-velocity`` / ``calibration-direction`` (the K up to which an alignment beats refitting a
decoder on the same K trials, by a paired test with Holm over K); ``shuffle-controls`` and
``flagged-controls`` (each method against its shuffled control, by the family's blocked test). A folder with
``budget_curve.csv`` gets ``budget-table`` and ``budget-rankings`` (the ranking at the shortest and the
longest training length). ``tests/test_leaderboard.py`` holds every marked block of the READMEs to these.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from ner_bench.statistics.budget_curve import ranking_holds
from ner_bench.statistics.paired import comparisons_of

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
#: the methods of the README's calibration digest, per pair type
DIGEST_METHODS = {"cross-session": ("ner", "psid", "cebra", "cebra-hybrid", "dpca", "pca", "cebra-16"),
                  "cross-hemisphere": ("ner", "psid", "pca"), "cross-area": ("ner", "psid", "pca")}

#: (row title, task, pair type, decoder, target, metric) of the budget table, test trials
BUDGET_ROWS = [
    ("within-session velocity R^2 (linear)", "within-session", "same recording", "linear", "velocity", "r2"),
    ("cross-session velocity R^2 (linear)", "cross-session", "cross-session", "linear", "velocity", "r2"),
    ("within-session peak direction accuracy (logistic)", "within-session", "same recording", "logistic",
     "direction", "peak_accuracy"),
    ("cross-session peak direction accuracy (logistic)", "cross-session", "cross-session", "logistic",
     "direction", "peak_accuracy"),
    ("within-session velocity R^2 (kNN)", "within-session", "same recording", "knn", "velocity", "r2"),
    ("cross-session velocity R^2 (kNN)", "cross-session", "cross-session", "knn", "velocity", "r2"),
]


def _rows(frame: pd.DataFrame, **equal) -> pd.DataFrame:
    """The rows of ``frame`` whose columns equal the given values."""
    mask = pd.Series(True, index=frame.index)
    for column, value in equal.items():
        mask &= frame[column] == value
    return frame[mask]


def _family(frame: pd.DataFrame, task: str, pair_type: str, decoder: str, target: str, metric: str) -> pd.DataFrame:
    return _rows(frame, task=task, pair_type=pair_type, decoder=decoder, target=target, metric=metric)


def headline_table(summary: pd.DataFrame) -> str:
    """Methods by within-session velocity R^2 (best first); each cell "mean (tie letters)"."""
    test = _rows(summary, split="test", protocol="strict")
    columns, order = {}, None
    for title, *family in HEADLINE_COLUMNS:
        part = _family(test, *family).set_index("method")
        if part.empty:
            continue
        most = part["n_units"].max()  # a method scored on fewer sessions says so in its cell
        columns[title] = {m: f"{row['mean']:.3f} ({_letters(row)})"
                             + (f" [{row['n_units']} of {most} sessions]" if row["n_units"] < most else "")
                          for m, row in part.iterrows()}
        if order is None:
            order = list(part.sort_values("mean", ascending=False).index)
    methods = order + sorted({m for cells in columns.values() for m in cells} - set(order))
    lines = ["| method | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    lines += [f"| {m} | " + " | ".join(cells.get(m, "") for cells in columns.values()) + " |" for m in methods]
    return "\n".join(lines)


def _letters(row: pd.Series) -> str:
    """A summary row's letters; ``not ranked`` for a method shown apart (``raw`` across recordings)."""
    reason = row.get("unranked_reason")
    return "not ranked" if isinstance(reason, str) and reason else str(row["tie_group"])


def calibration_digest(calibration: pd.DataFrame) -> str:
    """Procrustes only: K up to which it beats the refit (paired test, Holm over K) on velocity and on
    direction, and direction at K = 8 beside the refit with that test's Holm p and subject agreement."""
    rows = _rows(calibration, split="test", alignment="procrustes")
    velocity, direction = (_rows(rows, decoder=d, target=t, metric=m) for d, t, m in CALIBRATION_METRICS)
    lines = ["| pair type | method | velocity: Procrustes beats refit up to K | direction: up to K "
             "| direction at K = 8: Procrustes / refit, Holm p, subjects agreeing in sign |", "|---|---|---|---|---|"]
    for pair_type, methods in DIGEST_METHODS.items():
        for method in methods:
            vel, dirn = (_rows(p, pair_type=pair_type, method=method) for p in (velocity, direction))
            at_8 = dirn[dirn["calibration_size"].astype(str) == "8"]
            if vel.empty or at_8.empty:
                continue
            at = at_8.iloc[0]
            lines.append(f"| {pair_type} | {method} | {_first(vel['beats_refit_up_to'])} "
                         f"| {_first(dirn['beats_refit_up_to'])} "
                         f"| {at['mean']:.3f} / {at['refit_mean']:.3f}, p {_p(at['refit_p_holm'])}, "
                         f"{int(at['n_subjects_agree'])}/{int(at['n_subjects'])} |")
    return "\n".join(lines)


def calibration_summary(calibration: pd.DataFrame, decoder: str, target: str, metric: str) -> str:
    """Per pair type and method: the K up to which Procrustes and CCA beat the refit control, and the
    score at K = 16 beside the refit control's (one decoder, target and metric; test trials)."""
    rows = _rows(calibration, split="test", decoder=decoder, target=target, metric=metric)
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


def budget_table(curve: pd.DataFrame) -> str:
    """A row per (column of BUDGET_ROWS, method), methods by their score at the longest length; a column per
    training length."""
    test = _rows(curve, split="test", protocol="strict")
    steps = sorted(test["steps"].unique())
    lines = ["| test trials, mean over test sessions | method | " + " | ".join(f"{s:,}".replace(",", " ")
                                                                       for s in steps) + " |",
             "|---" * (len(steps) + 2) + "|"]
    for title, *family in BUDGET_ROWS:
        grid = _family(test, *family).pivot_table(index="method", columns="steps", values="mean")
        for method in grid.sort_values(steps[-1], ascending=False).index:
            cells = [_score(grid.loc[method].get(s)) for s in steps]
            lines.append(f"| {title} | {method} | " + " | ".join(cells) + " |")
            title = ""
    return "\n".join(lines)


#: the pairwise comparisons the READMEs state, each printed with its numbers:
#: (method A, method B, task, pair type, decoder, target, metric), test trials, strict protocol
CLAIMS = [
    ("ner", "psid", "within-session", "same recording", "linear", "velocity", "r2"),
    ("ner", "psid", "cross-session", "cross-session", "linear", "velocity", "r2"),
    ("ner", "psid", "cross-hemisphere", "cross-hemisphere", "linear", "velocity", "r2"),
    ("ner", "psid", "cross-area", "cross-area", "linear", "velocity", "r2"),
    ("ner", "psid", "within-session", "same recording", "linear", "position", "r2"),
    ("ner", "psid", "cross-session", "cross-session", "linear", "position", "r2"),
    ("ner", "psid", "cross-hemisphere", "cross-hemisphere", "linear", "position", "r2"),
    ("ner", "psid", "cross-area", "cross-area", "linear", "position", "r2"),
    ("ner", "cebra", "within-session", "same recording", "linear", "velocity", "r2"),
    ("ner", "cebra", "cross-session", "cross-session", "linear", "velocity", "r2"),
    ("raw", "ner", "within-session", "same recording", "logistic", "direction", "peak_accuracy"),
    ("raw", "psid", "within-session", "same recording", "logistic", "direction", "peak_accuracy"),
    ("raw", "umap-label", "within-session", "same recording", "logistic", "direction", "peak_accuracy"),
    ("raw", "ner", "within-session", "same recording", "knn", "velocity", "r2"),
    ("psid", "ner", "latent-correlation", "cross-session", "pearson", "latent_trajectory", "trajectory_contrast_r"),
    ("dpca", "ner", "latent-correlation", "cross-session", "pearson", "latent_trajectory", "trajectory_contrast_r"),
    ("cebra-16", "ner", "latent-correlation", "cross-session", "pearson", "latent_trajectory",
     "trajectory_contrast_r"),
]
#: readable names of the claims' families
QUANTITIES = {("linear", "velocity", "r2"): "velocity R^2", ("linear", "position", "r2"): "position R^2",
              ("logistic", "direction", "peak_accuracy"): "peak direction accuracy",
              ("knn", "velocity", "r2"): "kNN velocity R^2",
              ("pearson", "latent_trajectory", "trajectory_contrast_r"): "latent contrast r"}
ALPHA = 0.05


def claim(pairwise: pd.DataFrame, method_a: str, method_b: str, task: str, pair_type: str, decoder: str,
          target: str, metric: str) -> str:
    """One sentence: A against B in one family, with the difference, its interval, the Holm p of the test
    blocked by subject and of the mixed model, the subjects' agreement, and the verdict the letters give."""
    family = _family(_rows(pairwise, split="test", protocol="strict"), task, pair_type, decoder, target, metric)
    found = comparisons_of(family, method_a, method_b)
    row = found.iloc[0] if len(found) else None
    where = f"{task}" if pair_type == "same recording" else f"{pair_type}"
    name = f"{method_a} vs {method_b}, {where} {QUANTITIES[decoder, target, metric]}"
    if row is None:
        return f"{name}: not compared on this board"
    flip = row["flip"]
    mean_a, mean_b = (row["mean_a"], row["mean_b"]) if flip > 0 else (row["mean_b"], row["mean_a"])
    low, high = sorted((flip * row["diff_ci_low"], flip * row["diff_ci_high"]))
    agree = row["subjects_agree"] if flip * row["mean_diff"] > 0 else row["n_subjects"] - row["subjects_agree"]
    verdict = "separated" if row["blocked_p_holm"] < ALPHA else "not separated"
    return (f"{name}: {mean_a:.3f} vs {mean_b:.3f}, difference {mean_a - mean_b:+.3f} [{low:+.3f}, {high:+.3f}], "
            f"Holm p {_p(row['blocked_p_holm'])} blocked by subject ({_p(row['mixed_p_holm'])} mixed model), "
            f"{method_a} ahead in {int(agree)}/{int(row['n_subjects'])} subjects ({_oriented(row['subject_diffs'], flip)}), "
            f"n = {int(row['n_shared'])} sessions: **{verdict}**")


def claims(pairwise: pd.DataFrame) -> str:
    """Every claim of ``CLAIMS`` as a Markdown bullet."""
    return "\n".join(f"- {claim(pairwise, *spec)}" for spec in CLAIMS)


def _oriented(subject_diffs: str, flip: float) -> str:
    """``"Chewie +0.030; Han -0.010"`` with every difference times ``flip``."""
    parts = [part.rsplit(" ", 1) for part in str(subject_diffs).split("; ")]
    return "; ".join(f"{name} {flip * float(value):+.3f}" for name, value in parts)


def _p(value: float) -> str:
    if pd.isna(value):
        return "-"
    return f"{value:.1e}" if value < 1e-3 else f"{value:.3f}"


#: the label-free rungs of the calibration ladder, beside Procrustes
UNALIGNED_RUNGS = ("none", "centre", "moments", "axes", "procrustes")


def unaligned_rungs(calibration: pd.DataFrame, method: str = "ner") -> str:
    """One row per pair type: ``method``'s velocity R^2 (linear) under each of ``UNALIGNED_RUNGS``, with every
    training trial of B (K = all; ``none`` uses none, K = 0)."""
    rows = _rows(calibration, split="test", method=method, decoder="linear", target="velocity", metric="r2")
    size = rows["calibration_size"].astype(str)
    rows = rows[(size == "all") | ((rows["alignment"] == "none") & (size == "0"))]
    lines = ["| pair type | " + " | ".join(UNALIGNED_RUNGS) + " |", "|---" * (len(UNALIGNED_RUNGS) + 1) + "|"]
    for pair_type, part in rows.groupby("pair_type", sort=True):
        means = part.groupby("alignment")["mean"].first()
        lines.append(f"| {pair_type} | " + " | ".join(_score(means.get(r)) for r in UNALIGNED_RUNGS) + " |")
    return "\n".join(lines)


#: the shuffle-control table's rows: (task, pair type), linear velocity R^2, test trials
SHUFFLE_TASKS = [("within-session", "same recording"), ("cross-session", "cross-session"),
                 ("cross-hemisphere", "cross-hemisphere"), ("cross-area", "cross-area")]


def shuffle_controls_table(shuffle: pd.DataFrame) -> str:
    """Velocity R^2 (linear), test trials: each method beside its trial-shuffled control, the gap with its
    interval, the family's Holm p of the blocked test, the subjects with the method ahead, and the flag."""
    rows = _rows(shuffle, split="test", protocol="strict", decoder="linear", target="velocity", metric="r2")
    lines = ["| task | method | method / control | gap [95 % CI] | Holm p | subjects ahead | flagged |",
             "|---|---|---|---|---|---|---|"]
    for task, pair_type in SHUFFLE_TASKS:
        for row in _rows(rows, task=task, pair_type=pair_type).sort_values("method").itertuples(index=False):
            lines.append(f"| {task} | {row.method} | {row.method_mean:.3f} / {row.control_mean:.3f} | "
                         f"{row.gap:+.3f} [{row.gap_ci_low:+.3f}, {row.gap_ci_high:+.3f}] | {_p(row.p_holm)} | "
                         f"{row.subjects_agree}/{row.n_subjects} | {'yes' if row.flagged else 'no'} |")
    return "\n".join(lines)


def flagged_controls(shuffle: pd.DataFrame) -> str:
    """Every flagged method x family of the test trials (a method not above its shuffled control at Holm
    p < 0.05), one bullet each."""
    flagged = _rows(shuffle, split="test", protocol="strict")
    flagged = flagged[flagged["flagged"].astype(str).str.lower() == "true"]
    if flagged.empty:
        return "- no method is flagged on the test trials"
    lines = []
    for row in flagged.sort_values(["method", "task", "pair_type", "decoder", "target", "metric"]).itertuples(
            index=False):
        lines.append(f"- {row.method}, {row.task} ({row.pair_type}), {row.decoder} {row.target} {row.metric}: "
                     f"{row.method_mean:.3f} against its control's {row.control_mean:.3f}, gap {row.gap:+.3f} "
                     f"[{row.gap_ci_low:+.3f}, {row.gap_ci_high:+.3f}], Holm p {_p(row.p_holm)}")
    return "\n".join(lines)


def budget_rankings(curve: pd.DataFrame) -> str:
    """Per column of ``BUDGET_ROWS``: the ranking of the curves' means at the shortest and the longest length
    and the length from which it is the longest's (means of 6 sessions, seed 0: no test)."""
    test = _rows(curve, split="test", protocol="strict")
    lines = []
    for title, *family in BUDGET_ROWS:
        held = ranking_holds(_family(test, *family))
        for row in held.itertuples(index=False):
            verdict = "holds" if row.holds else "does not hold"
            lines.append(f"- {title}: {row.ranking_at_shortest} at {row.shortest}, {row.ranking_at_longest} at "
                         f"{row.longest}; the ranking {verdict}, and is the longest's from {row.stable_from} on")
    return "\n".join(lines)


def _score(value) -> str:
    """Three decimals; two past -10, where the third says nothing."""
    if value is None or pd.isna(value):
        return ""
    return f"{value:.2f}" if abs(value) >= 10 else f"{value:.3f}"


def _first(values: pd.Series) -> str:
    values = values.dropna()
    return str(values.iloc[0]) if len(values) else "-"


def blocks(board: Path) -> dict[str, str]:
    """name -> Markdown of every block a board folder's CSVs give (what the READMEs quote)."""
    if not (board / "summary.csv").exists():
        curve = pd.read_csv(board / "budget_curve.csv")
        return {"budget-table": budget_table(curve), "budget-rankings": budget_rankings(curve)}
    out = {"headline": headline_table(pd.read_csv(board / "summary.csv")),
           "claims": claims(pd.read_csv(board / "pairwise.csv"))}
    if (board / "calibration.csv").exists():
        calibration = pd.read_csv(board / "calibration.csv")
        out["calibration-digest"] = calibration_digest(calibration)
        out["unaligned-rungs"] = unaligned_rungs(calibration)
        for decoder, target, metric in CALIBRATION_METRICS:
            out[f"calibration-{target}"] = calibration_summary(calibration, decoder, target, metric)
    if (board / "shuffle_controls.csv").exists():
        shuffle = pd.read_csv(board / "shuffle_controls.csv")
        out["shuffle-controls"] = shuffle_controls_table(shuffle)
        out["flagged-controls"] = flagged_controls(shuffle)
    return out


def marked(name: str) -> tuple[str, str]:
    """The two lines around block ``name`` in a README."""
    return f"<!-- readme_tables {name} -->", f"<!-- /readme_tables {name} -->"


def quoted(text: str, name: str) -> str | None:
    """What a README holds between the markers of block ``name`` (None when it has none)."""
    start, end = marked(name)
    if start not in text:
        return None
    return text[text.index(start) + len(start):text.index(end)].strip("\n")


def written(text: str, found: dict[str, str]) -> str:
    """``text`` with every marked block replaced by its new Markdown."""
    for name, block in found.items():
        start, end = marked(name)
        if start in text:
            text = text[:text.index(start) + len(start)] + f"\n{block}\n" + text[text.index(end):]
    return text


def main(board: Path, readme: Path | None = None) -> None:
    found = blocks(board)
    if readme is not None:
        readme.write_text(written(readme.read_text(), found))
        return
    print("\n\n".join(found.values()))


if __name__ == "__main__":
    arguments = sys.argv[1:]
    target = Path(arguments.pop(arguments.index("--write") + 1)) if "--write" in arguments else None
    if "--write" in arguments:
        arguments.remove("--write")
    if len(arguments) != 1 or not any((Path(arguments[0]) / name).exists()
                                      for name in ("summary.csv", "budget_curve.csv")):
        sys.exit("usage: python leaderboards/readme_tables.py BOARD_DIR [--write README]   (a folder with "
                 "summary.csv or budget_curve.csv; --write replaces the README's marked blocks)")
    main(Path(arguments[0]), target)
