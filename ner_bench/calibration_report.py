"""The calibration table of ``index.html``: per pair type, the headline metrics' score at each calibration
size K (rows: method x alignment of the ladder, the oracle flagged), and the K from which each alignment
beats refitting a decoder on those K trials of the new recording."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .calibration import ordered_sizes
from .labels import metric_label
from .results import HEADLINE
from .html_text import escaped

ORACLE_FLAG = " ⚠ oracle: sees B's test trials"


def calibration_section(calibration: pd.DataFrame, key: tuple[str, str, str], table) -> str:
    """HTML for one dataset x task x protocol; ``table(kind, header, rows)`` draws a sortable table."""
    dataset, task, protocol = key
    rows = calibration[(calibration["dataset"] == dataset) & (calibration["task"] == task)
                       & (calibration["protocol"] == protocol) & (calibration["split"] == "test")]
    parts = []
    for pair_type, part in rows.groupby("pair_type", sort=True):
        for decoder, target, metric in HEADLINE:
            one = part[(part["decoder"] == decoder) & (part["target"] == target) & (part["metric"] == metric)]
            if len(one):
                parts.append(f"<h4>calibration ladder · test trials · {escaped(pair_type)} pairs · "
                             f"{escaped(metric_label(decoder, target, metric))}</h4>")
                parts.append(_ladder_table(one, table))
    if parts:
        parts.insert(0, "<p class=muted>Score against the number K of the new recording's labelled training "
                        "trials (chronologically first) that an alignment or a decoder may use; its test trials "
                        "are never used, except by the oracle. Mean over test sessions [95 % hierarchical-bootstrap "
                        "CI]; <em>beats refit up to</em>: the largest K up to which the alignment beats refitting "
                        "the decoder on those K trials alone, at every K (refit at K = all is the within-session "
                        "ceiling); past it, label the new day and refit. All numbers: calibration.csv.</p>")
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
        beats = part["beats_refit_up_to"].dropna()
        out.append(f"<tr><td class=text>{escaped(method)}</td><td class=text>{escaped(alignment + flag)}</td>"
                   f"<td class=text>{escaped(mode)}</td>{values}"
                   f"<td>{escaped(beats.iloc[0]) if len(beats) else '–'}</td></tr>")
    return table("calibration", header, out)


def _cell(row: pd.Series) -> str:
    mean = float(row["mean"])
    low, high = (float(row[c]) for c in ("ci_low", "ci_high"))
    ci = "" if np.isnan(low) else f" <span class=ci>[{low:.3f}, {high:.3f}]</span>"
    return f"<td data-sort='{mean!r}'>{mean:.3f}{ci}</td>"
