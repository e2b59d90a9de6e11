"""The paper-protocol cells of ``index.html``: each cross-session cell's published value (where the release
prints one), this reproduction, and its range over the rotation picks the release's rule admits, wide
ranges flagged (``paper_cells.py``)."""

from __future__ import annotations

import pandas as pd

from .html_text import escaped
from .labels import metric_label
from .paper_cells import WIDE
from .rotation_picks import COST_TOLERANCE, DET_TOLERANCE

FLAG = "⚠ the pick decides"


def paper_cells_section(cells: pd.DataFrame, table) -> str:
    """HTML for the table; ``table(kind, header, rows)`` draws a sortable table."""
    if cells is None or cells.empty:
        return ""
    header = [("embedding", True), ("A → B", True), ("metric", True), ("published", False), ("reproduced", False),
              ("range over picks", True), ("picks", False), ("", True)]
    rows = []
    for cell in cells.itertuples(index=False):
        rows.append(f"<tr><td class=text>{escaped(cell.method)}</td>"
                    f"<td class=text>{escaped(f'{cell.train_unit} → {cell.test_unit}')}</td>"
                    f"<td class=text>{escaped(metric_label(cell.decoder, cell.target, cell.metric))}</td>"
                    f"<td>{_number(cell.published)}</td><td>{_number(cell.reproduced)}</td>"
                    f"<td class=text>{_number(cell.value_min_over_picks)} .. {_number(cell.value_max_over_picks)}</td>"
                    f"<td>{'' if pd.isna(cell.n_admissible_picks) else int(cell.n_admissible_picks)}</td>"
                    f"<td class=text>{FLAG if bool(cell.wide_range) else ''}</td></tr>")
    guide = ("<h2 id='paper-cells'>Paper protocol: cells over the admissible rotation picks</h2><p class=muted>"
             "The release picks one of several per-direction rotation fits by a criterion on which the fits tie "
             f"up to rounding (|det| within {DET_TOLERANCE:g}, cost within {COST_TOLERANCE:g} relative), so which "
             "one it takes depends on the environment. Each cell: the value the release prints (diagonal only), "
             "this run's value, and the range over every pick the rule admits. Ranges wider than "
             f"{WIDE:g} are flagged: there the third decimal, sometimes the first, is the pick's luck. "
             "All numbers: paper_cells.csv.</p>")
    return guide + table("paper-cells", header, rows)


def _number(value) -> str:
    return "–" if value is None or pd.isna(value) else f"{float(value):.3f}"
