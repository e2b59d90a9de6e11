"""The shuffle-control table of ``index.html``: per pair type, each supervised method's headline scores
beside its shuffled control's, with the methods not shown to be above their control flagged."""

from __future__ import annotations

import pandas as pd

from .labels import metric_label
from .results import HEADLINE
from .html_text import escaped

FLAG = "⚠ not above its control"


def shuffle_section(shuffle: pd.DataFrame, key: tuple[str, str, str], table) -> str:
    """HTML for one dataset x task x protocol; ``table(kind, header, rows)`` draws a sortable table."""
    dataset, task, protocol = key
    rows = shuffle[(shuffle["dataset"] == dataset) & (shuffle["task"] == task) & (shuffle["protocol"] == protocol)
                   & (shuffle["split"] == "test")]
    rows = rows[[tuple(r) in set(HEADLINE) for r in rows[["decoder", "target", "metric"]].itertuples(index=False)]]
    if rows.empty:
        return ""
    header = [("pair type", True), ("alignment", True), ("metric", True), ("method", True), ("control", True),
              ("method", False), ("control", False), ("gap", False), ("gap 95 % CI", True), ("p (Holm)", False),
              ("subjects", True), ("", True)]
    out = []
    for row in rows.sort_values(["pair_type", "alignment", "metric", "method", "control"]).itertuples(index=False):
        out.append(f"<tr><td class=text>{escaped(row.pair_type)}</td><td class=text>{escaped(row.alignment)}</td>"
                   f"<td class=text>{escaped(metric_label(row.decoder, row.target, row.metric))}</td>"
                   f"<td class=text>{escaped(row.method)}</td><td class=text>{escaped(row.control)}</td>"
                   + "".join(f"<td data-sort='{v!r}'>{v:.3f}</td>" for v in (row.method_mean, row.control_mean,
                                                                             row.gap))
                   + f"<td class=text>[{row.gap_ci_low:.3f}, {row.gap_ci_high:.3f}]</td>"
                   + f"<td data-sort='{row.p_holm!r}'>{row.p_holm:.2g}</td>"
                   + f"<td class=text>{row.subjects_agree}/{row.n_subjects}</td>"
                   + f"<td class=text>{FLAG if row.flagged else ''}</td></tr>")
    guide = ("<h4>shuffle controls · test trials</h4><p class=muted>Each supervised method beside the same method "
             "trained on shuffled training data (<code>shuffled=trials</code>: behaviour moved across whole "
             "trials; <code>shuffled=time</code>: neural rows permuted in time), means over the test sessions "
             "both have. Gap: method minus control in the metric's better direction, with its t-interval over "
             "sessions; p: the family's subject-blocked paired test, Holm-adjusted with the family's other pairs; "
             "subjects: how many monkeys have the method above its control. Flagged unless the method is above "
             "its control at Holm p &lt; 0.05. All numbers: shuffle_controls.csv.</p>")
    return guide + table("shuffle", header, out)
