"""The calibration table of ``index.html``: per pair type and calibration block, the headline metrics' score
at each calibration size K (rows: method x alignment of the ladder, the oracle flagged), each score's paired
comparison with refitting a decoder on those K trials of the new recording, and the K up to which the
alignment beats that refit (with its Holm p and subject agreement)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .calibration import ordered_sizes, size_key
from .labels import metric_label
from .results import HEADLINE
from .html_text import escaped

ORACLE_FLAG = " ⚠ sees B's test trials (its pick is float noise)"
EXPLANATION = (
    "<p class=muted>Score against the number K of the new recording's labelled training trials that an "
    "alignment or a decoder may use (the calibration block: <em>balanced</em>, the first trials of each "
    "direction, K / directions each; <em>first</em>, the chronologically first K); its test trials are never "
    "used, except by the oracle. Mean over test sessions [95 % hierarchical-bootstrap CI]; under it, the paired "
    "comparison with refitting the decoder on those K trials alone (at K = all: the within-session ceiling) over "
    "test sessions: the mean difference Δ (positive: the alignment is better), its t-test p Holm-adjusted over "
    "the K of the row, and how many subjects' mean difference has the same sign. <em>Beats refit up to</em>: the "
    "largest K up to which the alignment beats the refit (Holm p &lt; alpha, Δ &gt; 0) at every K, with the "
    "largest Holm p and the fewest agreeing subjects over those K; past it, label the new day and refit. All "
    "numbers: calibration.csv.</p>")


def calibration_section(calibration: pd.DataFrame, key: tuple[str, str, str], table) -> str:
    """HTML for one dataset x task x protocol; ``table(kind, header, rows)`` draws a sortable table."""
    dataset, task, protocol = key
    rows = calibration[(calibration["dataset"] == dataset) & (calibration["task"] == task)
                       & (calibration["protocol"] == protocol) & (calibration["split"] == "test")]
    parts = []
    for (pair_type, block), part in rows.groupby(["pair_type", "calibration_block"], sort=True):
        for decoder, target, metric in HEADLINE:
            one = part[(part["decoder"] == decoder) & (part["target"] == target) & (part["metric"] == metric)]
            if len(one):
                parts.append(f"<h4>calibration ladder · test trials · {escaped(pair_type)} pairs · "
                             f"{escaped(block)} calibration blocks · "
                             f"{escaped(metric_label(decoder, target, metric))}</h4>")
                parts.append(_ladder_table(one, table))
    if parts:
        parts.insert(0, EXPLANATION)
    return "\n".join(parts)


def _ladder_table(rows: pd.DataFrame, table) -> str:
    sizes = ordered_sizes(rows["calibration_size"])
    header = [("method", True), ("alignment", True), ("mode", True)] + [(f"K = {s}", False) for s in sizes] + [
        ("beats refit up to", False)]
    out = []
    for (method, alignment), part in rows.groupby(["method", "alignment"], sort=True):
        cells = part.set_index("calibration_size")
        mode = part["alignment_mode"].iloc[0]
        flag = ORACLE_FLAG if mode == "oracle" else ""
        values = "".join(_cell(cells.loc[s]) if s in cells.index else "<td>–</td>" for s in sizes)
        out.append(f"<tr><td class=text>{escaped(method)}</td><td class=text>{escaped(alignment + flag)}</td>"
                   f"<td class=text>{escaped(mode)}</td>{values}{_claim(part)}</tr>")
    return table("calibration", header, out)


def _cell(row: pd.Series) -> str:
    mean = float(row["mean"])
    low, high = (float(row[c]) for c in ("ci_low", "ci_high"))
    ci = "" if np.isnan(low) else f" <span class=ci>[{low:.3f}, {high:.3f}]</span>"
    return f"<td data-sort='{mean!r}'>{mean:.3f}{ci}{_comparison(row)}</td>"


def _comparison(row: pd.Series) -> str:
    """The paired comparison with the refit at the row's K, where there is one; a win in bold."""
    if pd.isna(row.get("refit_diff")):
        return ""
    p = "–" if pd.isna(row["refit_p_holm"]) else f"{float(row['refit_p_holm']):.2g}"
    text = f"Δ {float(row['refit_diff']):+.3f}, p<sub>Holm</sub> {p}, {_agreement(row)}"
    return f"<br><span class=ci>{'<b>' + text + '</b>' if row['beats_refit'] is True else text}</span>"


def _agreement(row: pd.Series) -> str:
    return f"{int(row['n_subjects_agree'])}/{int(row['n_subjects'])} subjects"


def _claim(part: pd.DataFrame) -> str:
    """The ``beats refit up to`` cell: the K, and over the K it covers the largest Holm p and the fewest
    agreeing subjects."""
    up_to = part["beats_refit_up_to"].dropna()
    if not len(up_to):
        return "<td>–</td>"
    within = part["calibration_size"].map(size_key) <= size_key(up_to.iloc[0])
    covered = part[within & part["refit_mean"].notna()]  # every K the claim covers: a win at each
    weakest = covered.loc[covered["refit_p_holm"].idxmax()]
    fewest = covered.loc[(covered["n_subjects_agree"] / covered["n_subjects"]).astype(float).idxmin()]
    return (f"<td>{escaped(up_to.iloc[0])} <span class=ci>(p<sub>Holm</sub> ≤ "
            f"{float(weakest['refit_p_holm']):.2g}; {_agreement(fewest)})</span></td>")
