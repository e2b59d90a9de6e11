"""``ner-bench run``: fit methods, evaluate tasks, write OUT/results.{csv,parquet}, print a summary."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..method import BUDGETS
from ..protocol import PROTOCOLS
from ..results import OK, failures, format_summary


def comma_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def seed_list(text: str) -> list[int]:
    try:
        return [int(part) for part in comma_list(text)]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None


def add_parser(commands) -> None:
    parser = commands.add_parser("run", help="run methods x tasks on a dataset",
                                 description="Fit every method on every recording's training trials, "
                                             "evaluate the tasks, and write tidy results.")
    parser.add_argument("--methods", default="pca",
                        help='comma list or "all"; parameters in brackets, e.g. "ner[iterations=2000],pca"')
    parser.add_argument("--task", default="within-session", help='task name, comma list, or "all"; options in '
                                                                   'brackets, e.g. "cross-session[alignment=none]"')
    parser.add_argument("--dataset", default="synthetic", help='dataset name, options in brackets '
                                                                '(default: the embedded synthetic data)')
    parser.add_argument("--data-dir", default=None, help="folder with the dataset's files (default: $NER_BENCH_DATA or the user cache)")
    parser.add_argument("--subjects", type=comma_list, default=[], help="keep these subjects only")
    parser.add_argument("--sessions", type=comma_list, default=[], help="keep these session dates or ids only")
    parser.add_argument("--areas", type=comma_list, default=[], help="keep these areas only, e.g. M1,PMd")
    parser.add_argument("--seeds", type=seed_list, default=[0], help="comma-separated seeds (default 0)")
    parser.add_argument("--out", default="results", help="output folder (default: results)")
    parser.add_argument("--plugin", action="append", default=[], metavar="FILE",
                        help="load methods/datasets/tasks from this Python file (repeatable)")
    parser.add_argument("--protocol", default="strict", choices=sorted(PROTOCOLS),
                        help="strict (sound, default) or paper (the published evaluation, defects flagged)")
    parser.add_argument("--budget", default="quick", choices=BUDGETS,
                        help="training lengths: quick (documented short budgets) or paper (published)")
    parser.add_argument("--device", default="cpu", help="torch device for methods that use one")
    parser.add_argument("--executor", default="local", help="where fits run (default: local)")
    parser.add_argument("--jobs", type=int, default=1, help="fits in parallel")
    parser.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    from ..runner import run

    table = run(methods=args.methods, tasks=args.task, dataset=args.dataset, seeds=args.seeds, out=args.out,
                plugins=args.plugin, protocol=args.protocol, budget=args.budget, data_dir=args.data_dir,
                subjects=args.subjects, sessions=args.sessions, areas=args.areas, device=args.device,
                executor=args.executor, jobs=args.jobs)
    print(format_summary(table))
    print(f"\nresults: {Path(args.out) / 'results.csv'} ({len(table)} rows, protocol {args.protocol})")
    failed = failures(table)
    if len(failed):
        print(f"\n{len(failed)} failed:\n{failed.to_string(index=False)}", file=sys.stderr)
        return 1
    return 0 if (table["status"] == OK).any() else 1
