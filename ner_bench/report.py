"""The static ``index.html`` of a leaderboard: one self-contained page (inline CSS and a little vanilla
JS for sortable tables, no network): a table of contents, the reading guide, the summary and pairwise tables
of every section, the protocol box, then the figures of every section (linked relatively, so the folder
can be moved or published as is); tables come first since the figures run to many screens."""

from __future__ import annotations

import datetime
import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

import numpy as np
import pandas as pd

from .calibration_report import calibration_section
from .budget_curve_report import budget_curve_section
from .paper_cells_report import paper_cells_section
from .shuffle_controls_report import shuffle_section
from .protocol import PROTOCOLS
from .results import HEADLINE
from .labels import metric_label
from .statistics import CI_METHOD, NONE, SAME
from .statistics.blocked import agreement_text
from .html_text import escaped

if TYPE_CHECKING:  # figures needs matplotlib; the page itself does not
    from .figures import FigureRecord

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1200px;padding:0 16px 40px;
color:#1d232a}
h1{margin:24px 0 4px}h2{border-bottom:2px solid #d0d7de;padding-bottom:4px;margin-top:36px}
h3{margin-top:28px}h4{margin:18px 0 6px}
h3[id]{border-bottom:1px solid #d8dee4;padding-bottom:2px}
nav{margin:10px 0}nav ol{padding-left:22px;margin:4px 0}nav ol>li>ul{columns:2;padding-left:18px}
a.back{font-size:13px;font-weight:normal}.muted{color:#57606a}
.box{background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;padding:10px 16px;margin:14px 0}
.box dt{font-weight:600;margin-top:6px}.box dd{margin-left:16px}
table{border-collapse:collapse;margin:6px 0 14px;font-size:13px}
th,td{border-bottom:1px solid #d8dee4;padding:3px 8px;text-align:right;white-space:nowrap}
th{background:#eef1f4;position:sticky;top:0;cursor:pointer;user-select:none}
th.text,td.text{text-align:left}
th[data-dir=asc]::after{content:" \\25B2"}th[data-dir=desc]::after{content:" \\25BC"}
tr.g-odd td{background:#fbfcfd}tr.g-even td{background:#eef6ff}
.tie{display:inline-block;min-width:1.6em;border-radius:9px;padding:0 6px;color:#fff;text-align:center;
background:#0969da;font-weight:600}
.tie.g2{background:#8250df}.tie.g3{background:#bf3989}.tie.g4{background:#bc4c00}.tie.g5{background:#4d2d00}
.tie.gx{background:#57606a}.ci{color:#57606a}.sig{font-weight:600}
figure{display:inline-block;margin:8px 12px 8px 0;vertical-align:top;max-width:100%}
figure img{max-width:100%;border:1px solid #d8dee4}figcaption{font-size:12px;color:#57606a;max-width:760px}
details{margin:6px 0 14px}summary{cursor:pointer;color:#0969da}
.defect{color:#a40e26}
tr.unranked td{color:#8c959f;background:#f6f8fa}
"""

SORT_JS = """
(function(){
  function key(cell){var v=cell.getAttribute('data-sort');if(v===null)v=cell.textContent.trim();
    var n=parseFloat(v);return (v!==''&&!isNaN(n)&&isFinite(v))?{n:true,v:n}:{n:false,v:v.toLowerCase()};}
  function sortBy(table,index,th){
    var body=table.tBodies[0],rows=Array.prototype.slice.call(body.rows);
    var dir=th.getAttribute('data-dir')==='asc'?'desc':'asc';
    Array.prototype.forEach.call(table.tHead.rows[0].cells,function(c){c.removeAttribute('data-dir');});
    th.setAttribute('data-dir',dir);
    rows.sort(function(a,b){var x=key(a.cells[index]),y=key(b.cells[index]),r;
      if(x.n&&y.n)r=x.v-y.v;else if(x.n)r=-1;else if(y.n)r=1;else r=x.v<y.v?-1:x.v>y.v?1:0;
      return dir==='asc'?r:-r;});
    rows.forEach(function(r){body.appendChild(r);});
  }
  var tables=document.querySelectorAll('table.sortable');
  Array.prototype.forEach.call(tables,function(table){
    Array.prototype.forEach.call(table.tHead.rows[0].cells,function(th,i){
      th.title='click to sort';th.addEventListener('click',function(){sortBy(table,i,th);});});
    table.setAttribute('data-sortable-ready','true');
  });
  document.documentElement.setAttribute('data-sort-ready',String(tables.length));
  window.addEventListener('load',function(){
    Array.prototype.forEach.call(document.images,function(img){
      img.setAttribute('data-loaded',img.complete&&img.naturalWidth>0?'true':'false');});
    document.documentElement.setAttribute('data-images-checked','true');
  });
})();
"""


def write_report(path: Path, results: pd.DataFrame, summary: pd.DataFrame, pairwise: pd.DataFrame,
                 figures: Sequence[FigureRecord], *, alpha: float, notes: Iterable[str] = (),
                 calibration: pd.DataFrame | None = None, shuffle_controls: pd.DataFrame | None = None,
                 budget_curve: pd.DataFrame | None = None, paper_cells: pd.DataFrame | None = None) -> Path:
    """Write ``index.html`` (figure paths in ``figures`` must be relative to ``path``'s folder)."""
    body = [f"<h1>ner-bench leaderboard</h1><p class=muted>Generated {_now()} from {len(results)} result rows "
            f"({int((results['status'] == 'failed').sum())} failed, "
            f"{int((results['status'] == 'skipped').sum())} skipped).</p>"]
    sections = _sections(summary, figures)
    trajectories = [f for f in figures if f.kind == "trajectories"]
    lengths = [f for f in figures if f.kind == "budget_curve"]  # they span tasks: a section of their own
    with_figures = [k for k in sections if _section_figures(k, figures)]
    body.append(_contents(sections, with_figures, bool(trajectories), bool(lengths)))
    body.append(_reading_guide(alpha))
    body.append("<h2 id='tables'>Tables</h2>")  # tables first: the figures run to many screens
    for key in sections:
        body.append(_table_section(key, summary, pairwise, key in with_figures))
        if calibration is not None and len(calibration):
            body.append(calibration_section(calibration, key, _table))
        if shuffle_controls is not None and len(shuffle_controls):
            body.append(shuffle_section(shuffle_controls, key, _table))
        if budget_curve is not None and len(budget_curve):
            body.append(budget_curve_section(budget_curve, key, _table))
    body.append(paper_cells_section(paper_cells, _table))
    body.append(protocol_box(results, notes))
    if with_figures or trajectories or lengths:
        body.append("<h2 id='figures'>Figures</h2><p class=muted>Held-out test trials; colours: one per method, the "
                    "same in every figure. Click a figure for its full size.</p>")
    for key in with_figures:
        body.append(_figure_section(key, figures))
    if lengths:
        body.append("<h3 id='training-length'>Training length</h3>" + "".join(_figure(f) for f in lengths))
    if trajectories:
        body.append("<h3 id='trajectories'>Latent trajectories</h3>" + "".join(_figure(f) for f in trajectories))
    page = ("<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width,initial-scale=1'>"
            f"<title>ner-bench leaderboard</title><style>{CSS}</style></head><body>"
            + "\n".join(body) + f"<script>{SORT_JS}</script></body></html>\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(path)
    return path


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _anchor(key: Sequence[str], prefix: str = "s") -> str:
    return f"{prefix}-" + "-".join("".join(ch if ch.isalnum() else "_" for ch in part) for part in key)


def _contents(sections: Sequence[tuple[str, str, str]], with_figures: Sequence[tuple[str, str, str]],
              trajectories: bool, lengths: bool = False) -> str:
    """The table of contents: the tables of each section, the protocol, then the figures of each."""
    def links(keys, prefix):
        return "".join(f"<li><a href='#{_anchor(k, prefix)}'>{escaped(' · '.join(k))}</a></li>" for k in keys)

    parts = ["<nav id=contents><strong>Contents</strong><ol>",
             f"<li><a href='#tables'>Tables</a><ul>{links(sections, 's')}</ul></li>",
             "<li><a href='#protocol'>Protocol</a></li>"]
    if with_figures or trajectories or lengths:
        extra = "<li><a href='#training-length'>training length</a></li>" if lengths else ""
        extra += "<li><a href='#trajectories'>latent trajectories</a></li>" if trajectories else ""
        parts.append(f"<li><a href='#figures'>Figures</a><ul>{links(with_figures, 'f')}{extra}</ul></li>")
    return "".join(parts) + "</ol></nav>"


def _sections(summary: pd.DataFrame, figures: Sequence[FigureRecord]) -> list[tuple[str, str, str]]:
    keys = set()
    if len(summary):
        keys |= set(summary[["dataset", "task", "protocol"]].itertuples(index=False, name=None))
    keys |= {(f.key["dataset"], f.key["task"], f.key["protocol"]) for f in figures if "task" in f.key}
    return sorted(keys)


def _reading_guide(alpha: float) -> str:
    return (
        "<div class=box><strong>How to read this page.</strong> Every number is over independent <em>units of "
        "replication</em>: the <em>session</em> of the test recording. Seeds of a model, the recordings of one "
        "session (its areas are simultaneous recordings of the same trials) and the recording pairs that share "
        "a test session are averaged into one value first, so n is the number of sessions and a comparison of "
        "two methods has at most n - 1 degrees of freedom. Sessions of one monkey are not independent of each "
        "other: every pairwise comparison is a paired test <em>blocked by subject</em> (the subject a fixed "
        "factor, so differences between monkeys are not counted as noise), Holm-adjusted within its family; it "
        "infers about <em>these monkeys' sessions</em>. Whether a difference would hold in new monkeys is shown, "
        "not tested: each pairwise row gives every subject's mean difference and how many subjects agree in sign "
        "(e.g. 3/3), and a mixed model with a random intercept per subject (and, for pairs, per source "
        "recording and target session) is the sensitivity column. A family from one monkey says so. Pair types "
        "(cross-session, cross-hemisphere, cross-area, ...) are never pooled. Means come with a 95 % "
        f"{escaped(CI_METHOD)} interval; median and interquartile mean (IQM) sit beside them, since a few "
        "blow-ups can drag a mean. <strong>Letters</strong> read both ways: two methods share a letter if and "
        f"only if the blocked test did not separate them (Holm p &ge; &alpha; = {alpha:g}); a method may carry "
        "several letters. <code>raw</code> across recordings is shown greyed, never ranked: its axes are each "
        "recording's own neurons, which do not correspond. The rank diagrams show mean ranks over sessions with "
        "Friedman's test and the Nemenyi critical difference (Demsar 2006). Each metric declares which end is "
        "better. Click a column header to sort."
        "</div>")


# ----------------------------------------------------------------------------- protocol box
#: splits whose pairwise comparisons the page shows in full (all splits are in pairwise.csv)
PAGE_PAIRWISE_SPLITS = ("test",)
#: metrics whose pairwise comparisons the page shows in full (the others: pairwise.csv)
PAGE_PAIRWISE_METRICS = ("r2", "peak_accuracy", "trajectory_contrast_r", "trajectory_contrast_excess_r",
                         "balanced_accuracy", "separation")


def _n_units(part: pd.DataFrame) -> str:
    counts = sorted(part["n_units"].unique())
    return str(counts[0]) if len(counts) == 1 else f"{counts[0]}-{counts[-1]} (by method)"


def protocol_box(results: pd.DataFrame, notes: Iterable[str] = ()) -> str:
    """Protocol, split, decoders, seeds, budgets and parameters, package versions, devices, defects."""
    items = []
    for name in sorted(results["protocol"].dropna().unique()):
        known = PROTOCOLS.get(name)
        items.append(f"<b>{escaped(name)}</b>" + (f": {escaped(known.description)}" if known else ""))
    defects = sorted({d.strip() for text in results.get("defects", pd.Series(dtype=str)).dropna()
                      for d in str(text).split(";") if d.strip()})
    entries = [("protocol", "<br>".join(items)),
               ("splits", escaped(", ".join(sorted(results["split"].dropna().astype(str).unique())))
                + " <span class=muted>(test: held-out trials of the test recording; train: its training "
                  "trials, reported for reference)</span>"),
               ("decoders", "<br>".join(escaped(f"{d}: {', '.join(sorted(set(g['target'].dropna())))} -> "
                                             f"{', '.join(sorted(set(g['metric'].dropna())))}")
                                        for d, g in results[results["status"] == "ok"].groupby("decoder")
                                        if d != NONE)),
               ("seeds", escaped(", ".join(str(s) for s in sorted(pd.to_numeric(results["seed"]).dropna()
                                                                   .astype(int).unique())))),
               ("budgets and method parameters", _budgets(results)),
               ("package versions", _versions(results)),
               ("devices", escaped(", ".join(sorted(results.get("device", pd.Series(dtype=str)).dropna()
                                                 .astype(str).unique())) or "unknown"))]
    if defects:
        entries.append(("known defects reproduced (paper protocol)",
                        "<br>".join(f"<span class=defect>{escaped(d)}</span>" for d in defects)))
    notes = list(notes)
    if notes:
        entries.append(("notes", "<br>".join(escaped(n) for n in notes)))
    return ("<section class=box id=protocol><h2 style='margin-top:8px'>Protocol</h2><dl>"
            + "".join(f"<dt>{escaped(k)}</dt><dd>{v}</dd>" for k, v in entries) + "</dl></section>")


def _budgets(results: pd.DataFrame) -> str:
    budgets = sorted(results.get("budget", pd.Series(dtype=str)).dropna().astype(str).unique())
    label = "method_label" if "method_label" in results else "method"
    pairs = results[[label, "method_params"]].drop_duplicates().sort_values(label)
    lines = [f"budget: {', '.join(budgets) or 'unknown'}"]
    lines += [f"{m}: {p}" for m, p in pairs.itertuples(index=False, name=None)]
    return "<br>".join(escaped(line) for line in lines)


def _versions(results: pd.DataFrame) -> str:
    if "versions" not in results:
        return "unknown"
    counts = Counter(results["versions"].dropna().astype(str))
    if not counts:
        return "unknown"
    blocks = []
    for text, n in counts.most_common():
        try:
            versions = json.loads(text)
        except ValueError:
            versions = {"versions": text}
        listed = ", ".join(f"{k} {v}" for k, v in sorted(versions.items()))
        blocks.append(escaped(listed) + (f" <span class=muted>({n} rows)</span>" if len(counts) > 1 else ""))
    return "<br>".join(blocks)


# ----------------------------------------------------------------------------- one dataset x task x protocol
FIGURE_HEADINGS = (("bars", "Scores"), ("ranks", "Ranks over sessions (critical-difference diagrams)"),
                   ("matrix", "Train x test recording matrices"), ("time_course", "Over time"),
                   ("calibration", "Calibration ladder: score against labelled trials of the new recording"),
                   ("calibration_methods", "Calibration ladder per method: which alignment gets most out of K"),
                   ("calibration_matrix", "Calibration ladder: train x test recording matrices at one K"))


def _section_figures(key: tuple[str, str, str], figures: Sequence[FigureRecord]) -> list[FigureRecord]:
    return [f for f in figures if f.kind != "trajectories"
            and (f.key.get("dataset"), f.key.get("task"), f.key.get("protocol")) == key]


def _title_of(key: tuple[str, str, str]) -> str:
    dataset, task, protocol = key
    return f"{escaped(dataset)} · {escaped(task)} · protocol {escaped(protocol)}"


def _table_section(key: tuple[str, str, str], summary: pd.DataFrame, pairwise: pd.DataFrame,
                   has_figures: bool = False) -> str:
    dataset, task, protocol = key
    parts = [f"<h3 id='{_anchor(key)}'>{_title_of(key)}</h3>"]
    rows = summary[(summary["dataset"] == dataset) & (summary["task"] == task) & (summary["protocol"] == protocol)]
    for (split, pair_type, alignment), part in rows.groupby(["split", "pair_type", "alignment"], sort=False):
        kind = "train = test recording" if pair_type == SAME else f"{pair_type} pairs"
        aligned = "" if alignment == NONE else f" · alignment {alignment}"
        if alignment == "published":  # the release's alignment sees the test recording's test trials
            aligned += " (fitted on B's test trials too; which of its tied fits it picks is float noise)"
        scope = f"; scope: {escaped(part['scope'].iloc[0])}" if "scope" in part and pd.notna(part["scope"].iloc[0]) else ""
        parts.append(f"<h4>{escaped(f'{split} trials · {kind}{aligned}')}</h4><p class=muted>unit of replication: "
                     f"{escaped(part['unit'].iloc[0])}; n = {escaped(_n_units(part))}{scope}</p>")
        parts.append(summary_table(part))
        pairs = pairwise[(pairwise["dataset"] == dataset) & (pairwise["task"] == task)
                         & (pairwise["protocol"] == protocol) & (pairwise["split"] == split)
                         & (pairwise["pair_type"] == pair_type) & (pairwise["alignment"] == alignment)]
        shown = pairs[pairs["metric"].isin(PAGE_PAIRWISE_METRICS)] if split in PAGE_PAIRWISE_SPLITS else pairs[:0]
        if len(shown):
            parts.append(f"<details><summary>pairwise comparisons ({len(shown)} of {len(pairs)}; all in pairwise.csv)"
                         f"</summary>{pairwise_table(shown)}</details>")
        elif len(pairs):  # training-trial and secondary comparisons would make the page megabytes; see the CSV
            parts.append(f"<p class=muted>{len(pairs)} pairwise comparisons: see pairwise.csv</p>")
    if has_figures:
        parts.append(f"<p class=muted><a href='#{_anchor(key, 'f')}'>figures of this section</a></p>")
    return "\n".join(parts)


def _figure_section(key: tuple[str, str, str], figures: Sequence[FigureRecord]) -> str:
    parts = [f"<h3 id='{_anchor(key, 'f')}'>{_title_of(key)} <a class=back href='#{_anchor(key)}'>(tables)</a></h3>"]
    mine = _section_figures(key, figures)
    for kind, heading in FIGURE_HEADINGS:
        chosen = [f for f in mine if f.kind == kind]
        if chosen:
            parts.append(f"<h4>{heading}</h4>" + "".join(_figure(f) for f in chosen))
    return "\n".join(parts)


def _figure(record: FigureRecord) -> str:
    png, svg = record.files.get("png"), record.files.get("svg")
    png_href, svg_href = (escaped(Path(p).as_posix()) if p else "" for p in (png, svg))
    link = f" · <a href='{svg_href}'>SVG</a>" if svg else ""
    return (f"<figure data-kind='{escaped(record.kind)}'><a href='{png_href}'><img src='{png_href}' "
            f"alt='{escaped(record.title)}'></a><figcaption>{escaped(record.title)}{link}</figcaption></figure>")


def summary_table(rows: pd.DataFrame) -> str:
    header = [("metric", True), ("rank", False), ("method", True), ("letters", False),
              ("mean [95 % CI]", False), ("SD", False), ("median", False), ("IQM", False), ("mean rank", False),
              ("n units", False), ("recordings", False), ("seeds", False), ("failed", False)]
    out = []
    previous, flip = None, False
    for row in _metric_order(rows, ["rank", "method"]).itertuples():
        metric = metric_label(row.decoder, row.target, row.metric)
        if (metric, row.tie_group) != previous:
            flip = not flip
            previous = (metric, row.tie_group)
        arrow = {"higher": "", "lower": " (lower is better)"}.get(row.direction, " (descriptive, not ranked)")
        reason = getattr(row, "unranked_reason", None)
        unranked = isinstance(reason, str) and bool(reason)
        greyed = f" unranked' title='not ranked: {escaped(reason)}" if unranked else ""
        out.append(
            f"<tr class='{'g-odd' if flip else 'g-even'}{greyed}' data-tie-group='{row.tie_group}'>"
            f"<td class=text>{escaped(metric + arrow)}</td><td>{_rank(row.rank)}</td>"
            f"<td class=text>{escaped(row.method)}{' (not ranked: ' + escaped(reason) + ')' if unranked else ''}</td>"
            f"<td data-sort='{row.tie_group}'>{_tie(row.tie_group)}</td>"
            f"<td data-sort='{_num(row.mean)}'>{_f(row.mean)} <span class=ci>[{_f(row.ci_low)}, {_f(row.ci_high)}]"
            f"</span></td><td>{_f(row.sd)}</td><td>{_f(row.median)}</td><td>{_f(row.iqm)}</td>"
            f"<td>{_f(row.mean_rank, 2)}</td><td>{row.n_units}</td><td>{row.n_recordings}</td>"
            f"<td>{escaped(row.seeds)}</td><td>{getattr(row, 'n_failed', 0)}</td></tr>")
    return _table("summary", header, out)


def pairwise_table(rows: pd.DataFrame) -> str:
    header = [("metric", True), ("method A", True), ("method B", True), ("n", False),
              ("A − B [95 % CI]", False), ("by subject", True), ("subjects agree", True), ("Cohen's dz", False),
              ("p Holm (blocked by subject)", False), ("p Holm (mixed model)", False), ("p Holm (t)", False),
              ("p Holm (Wilcoxon)", False), ("note", True)]
    out = []
    for row in _metric_order(rows, ["blocked_p_holm", "method_a", "method_b"]).itertuples():
        significant = bool(row.significant)
        metric = metric_label(row.decoder, row.target, row.metric)
        out.append(
            f"<tr><td class=text>{escaped(metric)}</td>"
            f"<td class=text>{escaped(row.method_a)}</td><td class=text>{escaped(row.method_b)}</td>"
            f"<td>{row.n_shared}</td>"
            f"<td data-sort='{_num(row.mean_diff)}'>{_f(row.mean_diff)} <span class=ci>[{_f(row.diff_ci_low)}, "
            f"{_f(row.diff_ci_high)}]</span></td><td class=text>{escaped(row.subject_diffs)}</td>"
            f"<td class=text>{agreement_text(row.subjects_agree, row.n_subjects)}</td><td>{_f(row.cohens_dz, 2)}</td>"
            f"<td data-sort='{_num(row.blocked_p_holm)}' class='{'sig' if significant else ''}'>"
            f"{_p(row.blocked_p_holm)}</td><td data-sort='{_num(row.mixed_p_holm)}'>{_p(row.mixed_p_holm)}</td>"
            f"<td data-sort='{_num(row.t_p_holm)}'>{_p(row.t_p_holm)}</td>"
            f"<td data-sort='{_num(row.wilcoxon_p_holm)}'>{_p(row.wilcoxon_p_holm)}</td>"
            f"<td class=text>{escaped(row.note or '')}</td></tr>")
    return _table("pairwise", header, out)


def _metric_order(rows: pd.DataFrame, then: list[str]) -> pd.DataFrame:
    """Headline metrics first (as in the run summary), then the others alphabetically."""
    keys = list(zip(rows["decoder"], rows["target"], rows["metric"]))
    order = [HEADLINE.index(k) if k in HEADLINE else len(HEADLINE) for k in keys]
    return rows.assign(_order=order).sort_values(["_order", "decoder", "target", "metric"] + then).drop(columns="_order")


def _table(kind: str, header: list[tuple[str, bool]], rows: list[str]) -> str:
    head = "".join(f"<th class='{'text' if text else ''}'>{escaped(name)}</th>" for name, text in header)
    return (f"<table class='sortable {kind}' data-table='{kind}'><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def _tie(letters: str) -> str:
    if not letters:
        return ""
    css = f"g{'abcde'.index(letters[0]) + 1}" if letters[0] in "abcde" else "gx"
    return f"<span class='tie {css}' title='letters {letters}: not separated from exactly the methods sharing a letter'>{letters}</span>"


def _rank(rank) -> str:
    return "" if pd.isna(rank) else str(int(rank))


def _num(value: float) -> str:
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else repr(float(value))


def _f(value: float, digits: int = 3) -> str:
    if value is None or (isinstance(value, (float, np.floating)) and np.isnan(value)):
        return "–"
    if np.isinf(value):
        return "∞" if value > 0 else "−∞"
    return f"{value:.{digits}f}"


def _p(value: float) -> str:
    if value is None or np.isnan(value):
        return "–"
    return f"{value:.2e}" if value < 1e-3 else f"{value:.3f}"
