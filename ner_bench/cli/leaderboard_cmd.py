"""``ner-bench leaderboard RESULTS_DIR [RESULTS_DIR ...] --out DIR``: tables, figures and index.html."""

from __future__ import annotations

import argparse

from .options import add_plugin_option, jobs_count
from ..statistics import DEFAULT_ALPHA


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "leaderboard", help="summary and pairwise tables, figures and index.html from results",
        description="Read the results of one or more `ner-bench run` folders and write summary.csv (mean, SD, "
                    "95 % CI, rank, tie group per method), pairwise.csv (paired t-test, Wilcoxon, Holm, "
                    "Cohen's dz), time_course.csv, figures/ (PNG and SVG) and index.html.")
    parser.add_argument("results", nargs="+", metavar="RESULTS_DIR",
                        help="folder written by `ner-bench run` (results.parquet or results.csv), or the file")
    parser.add_argument("--out", required=True, help="output folder for the leaderboard")
    parser.add_argument("--alpha", type=float, default=DEFAULT_ALPHA,
                        help=f"significance level of the tie groups (Holm-adjusted; default {DEFAULT_ALPHA})")
    parser.add_argument("--no-figures", action="store_true", help="tables and index.html only")
    parser.add_argument("--no-trajectories", action="store_true",
                        help="skip the 3-D latent trajectory figures (they read RESULTS_DIR/cache and the data)")
    parser.add_argument("--dataset", default=None,
                        help="dataset spec to load recordings for the trajectories (default: the results' dataset)")
    parser.add_argument("--data-dir", default=None, help="folder with the dataset's files")
    add_plugin_option(parser)
    parser.add_argument("--embeddings-from", action="append", default=[], metavar="RUN_DIR",
                        help="a run folder whose embedding cache the trajectories may use, its results not read "
                             "(repeatable; for a board made from results files)")
    parser.add_argument("--figure-formats", default="png,svg", metavar="FORMATS",
                        help="files of each figure: png, svg or png,svg (the default)")
    parser.add_argument("--anchor", default=None, help="recording id the trajectories are aligned to")
    parser.add_argument("--seed", type=int, default=None,
                        help="seed whose embeddings the trajectories show (default: the smallest)")
    parser.add_argument("--jobs", type=jobs_count, default="auto",
                        help="processes drawing the figures: auto (one per usable core, the default) or a number")
    parser.add_argument("--no-progress", dest="progress", action="store_false", default=None,
                        help="no progress bar naming each step (shown by default when stderr is a terminal)")
    parser.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    from ..board import leaderboard

    board = leaderboard(args.results, out=args.out, alpha=args.alpha, figures=not args.no_figures,
                        trajectories=not args.no_trajectories, dataset=args.dataset, data_dir=args.data_dir,
                        plugins=args.plugin, anchor=args.anchor, seed=args.seed, progress=args.progress,
                        jobs=args.jobs, embeddings_from=args.embeddings_from,
                        figure_formats=[f.strip() for f in args.figure_formats.split(",") if f.strip()])
    families = board.summary.groupby(["dataset", "task", "protocol", "split", "cells", "decoder", "target",
                                      "metric"]).ngroups if len(board.summary) else 0
    print(f"{families} families, {board.summary['method'].nunique() if families else 0} methods, "
          f"{len(board.pairwise)} pairwise comparisons, {len(board.figures)} figures")
    for note in board.notes:
        print(f"note: {note}")
    print(f"leaderboard: {board.index_html}")
    return 0 if families else 1
