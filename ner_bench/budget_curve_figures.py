"""The budget-curve figure: each step-trained method's test score against its training length
(``statistics/budget_curve.py``), one panel per task and pair type, one line per method."""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from .figures import FIGURE_SPLITS, R2_FLOOR, FigureSpec, method_colors, new_figure, suptitle
from .labels import axis_label, metric_label
from .results import HEADLINE
from .statistics.table import NONE, SAME

PANEL_KEYS = ["task", "pair_type", "alignment"]


def budget_curve_figure(curve: pd.DataFrame, title: str) -> Figure:
    """``curve``: the budget-curve rows of one dataset x protocol x split x decoder x target x metric."""
    panels = curve_panels(curve)
    figure = new_figure(3.4 * len(panels) + 1.8, 3.2)
    axes = figure.subplots(1, len(panels), squeeze=False, sharey=True)[0]
    colors = method_colors(curve["curve"].unique())
    first = curve.iloc[0]
    for ax, (task, pair_type, alignment) in zip(axes, panels):
        part = curve[(curve["task"] == task) & (curve["pair_type"] == pair_type) & (curve["alignment"] == alignment)]
        for name, line in part.groupby("curve", sort=True):
            line = line.sort_values("steps")
            ax.plot(line["steps"], line["mean"], color=colors[name], lw=1.6, marker="o", ms=3.5, label=name)
        ax.set_xscale("log")
        aligned = "" if alignment == NONE else f"\n{alignment} alignment"
        ax.set_title(f"{task} · {'train = test recording' if pair_type == SAME else pair_type}{aligned}", fontsize=8)
        ax.set_xlabel(f"training {first['length_parameter']} (log scale)", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(color="0.9", lw=0.6)
        if str(first["metric"]).endswith("r2") and part["mean"].min() < R2_FLOOR:
            ax.set_ylim(bottom=R2_FLOOR - 0.05)
            _mark_below_floor(ax, part, colors)
    axes[0].set_ylabel(axis_label(first["target"], first["metric"], "test"), fontsize=8)
    handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside right upper", fontsize=7, frameon=False)
    suptitle(figure, f"{title}\nmean over test sessions; every length is a checkpoint of one long fit")
    return figure


def _mark_below_floor(ax, part: pd.DataFrame, colors: dict) -> None:
    """A point under the R^2 cut is drawn on it as a down-pointing triangle that says its value, so that a
    diverging length does not vanish from the panel."""
    below = part[part["mean"] < R2_FLOOR].sort_values(["steps", "curve"])
    for row, stacked in zip(below.itertuples(index=False), below.groupby("steps").cumcount()):
        ax.plot(row.steps, R2_FLOOR - 0.02, marker="v", ms=5, color=colors[row.curve], clip_on=False)
        ax.annotate(f"{row.mean:.3g}", (row.steps, R2_FLOOR - 0.02), textcoords="offset points",
                    xytext=(0, 5 + 8 * stacked), ha="center", fontsize=6, color=colors[row.curve])


def curve_panels(curve: pd.DataFrame) -> list[tuple]:
    """(task, pair type, alignment) of each panel: one panel of same-recording scores (a pair task's diagonal
    repeats the within-session task's numbers; within-session is kept where both are there), then the rest."""
    panels = sorted(curve.groupby(PANEL_KEYS).groups, key=lambda key: (key[1] != SAME, key[0] != "within-session", key))
    return [panel for i, panel in enumerate(panels) if panel[1] != SAME or i == 0]


def budget_curve_specs(curve: pd.DataFrame) -> list[FigureSpec]:
    """One figure per headline metric of each dataset x protocol (test trials)."""
    if curve.empty:
        return []
    keys = ["dataset", "protocol", "split", "decoder", "target", "metric"]
    specs = []
    rows = curve[curve["split"].isin(FIGURE_SPLITS)]
    for key, part in rows.groupby(keys, sort=True):
        info = dict(zip(keys, key))
        if (info["decoder"], info["target"], info["metric"]) not in HEADLINE:
            continue
        title = (f"{info['dataset']} · protocol {info['protocol']} · {info['split']} trials · training length\n"
                 f"{metric_label(info['decoder'], info['target'], info['metric'])}")
        specs.append(FigureSpec("budget_curve", title, info, budget_curve_figure, (part, title)))
    return specs
