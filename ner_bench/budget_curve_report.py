"""The budget-curve table of ``index.html``: per pair type and headline metric, each step-trained method's
mean test score at every training length (its rank among the curves in brackets), and whether the
ranking at the shortest length is the ranking at the longest."""

from __future__ import annotations

import pandas as pd

from .labels import metric_label
from .results import HEADLINE
from .statistics.budget_curve import ranking_holds
from .html_text import escaped


def budget_curve_section(curve: pd.DataFrame, key: tuple[str, str, str], table) -> str:
    """HTML for one dataset x task x protocol; ``table(kind, header, rows)`` draws a sortable table."""
    dataset, task, protocol = key
    rows = curve[(curve["dataset"] == dataset) & (curve["task"] == task) & (curve["protocol"] == protocol)
                 & (curve["split"] == "test")]
    parts = []
    for (pair_type, alignment), part in rows.groupby(["pair_type", "alignment"], sort=True):
        for decoder, target, metric in HEADLINE:
            one = part[(part["decoder"] == decoder) & (part["target"] == target) & (part["metric"] == metric)]
            if len(one):
                parts.append(f"<h4>training length · test trials · {escaped(pair_type)} · "
                             f"{escaped(metric_label(decoder, target, metric))}</h4>")
                parts.append(_length_table(one, table) + _verdict(one))
    if parts:
        parts.insert(0, "<p class=muted>Each step-trained method at every training length, every length a "
                        "checkpoint of one long fit (<code>checkpoints=</code>): mean over test sessions, its "
                        "rank among these methods at that length in brackets. All numbers: budget_curve.csv.</p>")
    return "\n".join(parts)


def _length_table(rows: pd.DataFrame, table) -> str:
    lengths = sorted(rows["steps"].unique())
    parameter = rows["length_parameter"].iloc[0]
    header = [("method", True)] + [(f"{parameter} {s:,}", False) for s in lengths]
    out = []
    for name, part in rows.groupby("curve", sort=True):
        cells = part.set_index("steps")
        values = "".join(f"<td data-sort='{float(cells.loc[s, 'mean'])!r}'>{float(cells.loc[s, 'mean']):.3f} "
                         f"<span class=ci>({int(cells.loc[s, 'rank'])})</span></td>" if s in cells.index
                         else "<td>–</td>" for s in lengths)
        out.append(f"<tr><td class=text>{escaped(name)}</td>{values}</tr>")
    return table("budget", header, out)


def _verdict(rows: pd.DataFrame) -> str:
    holds = ranking_holds(rows)
    if holds.empty:
        return ""
    row = holds.iloc[0]
    since = ("at every length" if row["stable_from"] == row["shortest"] else
             f"from {int(row['stable_from']):,} on" if row["stable_from"] < row["longest"] else "at no shorter length")
    return (f"<p class=muted>The ranking at {int(row['longest']):,} ({escaped(row['ranking_at_longest'])}) holds "
            f"{since}; at {int(row['shortest']):,}: {escaped(row['ranking_at_shortest'])}.</p>")
