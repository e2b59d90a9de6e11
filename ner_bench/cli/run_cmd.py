"""``ner-bench run``: fit methods, evaluate tasks, write OUT/results.{csv,parquet}, print a summary."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .options import add_plugin_option, add_recording_filters, comma_list, existing_folder, jobs_count
from ..errors import NerBenchError
from ..execution import EXECUTORS
from ..method import BUDGETS
from ..protocol import PROTOCOLS
from ..results import OK, failures, skip_reasons
from ..run_summary import format_summary
from ..run_folder import RunFolder
from ..run_folder.params import parse_params
from ..execution.slurm import SlurmOptions, parse_resources, parse_time


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
    parser.add_argument("--data-dir", type=existing_folder, default=None, help="folder with the dataset's files (default: $NER_BENCH_DATA or the user cache)")
    add_recording_filters(parser)
    parser.add_argument("--seeds", type=seed_list, default=[0], help="comma-separated seeds (default 0)")
    parser.add_argument("--out", default="results", help="output folder (default: results)")
    add_plugin_option(parser)
    parser.add_argument("--protocol", default="strict", choices=sorted(PROTOCOLS),
                        help="strict (sound, default) or paper (the published evaluation, defects flagged)")
    parser.add_argument("--budget", default="quick", choices=BUDGETS,
                        help="training lengths: quick (documented short budgets) or paper (published)")
    parser.add_argument("--device", default="cpu", help="torch device for methods that use one")
    add_execution_arguments(parser)
    parser.set_defaults(handler=main)


def add_execution_arguments(parser: argparse.ArgumentParser) -> None:
    run = parser.add_argument_group("execution", "where fits run; finished fits are kept in OUT/cache and "
                                    "OUT/fits, so a rerun does only what is missing")
    run.add_argument("--executor", default="local", choices=EXECUTORS,
                     help="local (this machine), slurm (through submitit), submitit-local (the SLURM code "
                          "path on this machine, for testing)")
    run.add_argument("--jobs", type=jobs_count, default="auto",
                     help="fits and scoring in parallel on worker processes (default auto: one per usable core; "
                          "1: in this process, unless a plug-in takes part)")
    run.add_argument("--gpus", type=comma_list, default=[], metavar="IDS",
                     help="GPU ids, e.g. 0,1: one worker per GPU and --jobs-per-gpu, each pinned with "
                          "CUDA_VISIBLE_DEVICES; implies --device cuda")
    run.add_argument("--jobs-per-gpu", type=int, default=1, metavar="K", help="workers sharing each GPU")
    run.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                     help="a fit running longer is killed and recorded as failed")
    run.add_argument("--retry-failed", action="store_true",
                     help="refit the fits recorded as failed (a plain rerun reports them again)")
    run.add_argument("--fresh", action="store_true",
                     help="write only this run's rows to OUT's results table (by default it accumulates: rows "
                          "of earlier runs that this one did not redo are kept)")
    run.add_argument("--no-progress", dest="progress", action="store_false", default=None,
                     help="no progress bar (shown by default when stderr is a terminal)")
    slurm = parser.add_argument_group("SLURM", "with --executor slurm (or submitit-local); OUT must be on a "
                                      "filesystem the nodes share")
    slurm.add_argument("--slurm-partition", default=None, metavar="NAME")
    slurm.add_argument("--slurm-time", default=None, metavar="TIME",
                       help="time limit per fit: minutes, H:MM:SS or D-HH:MM:SS (default: from --timeout, else 60)")
    slurm.add_argument("--slurm-gpus", type=int, default=None, metavar="N",
                       help="GPUs per fit for methods that use a GPU when --device is cuda (default 1)")
    slurm.add_argument("--slurm-array-parallelism", type=int, default=64, metavar="N",
                       help="fits running at once per job array (default 64)")
    slurm.add_argument("--slurm-setup", action="append", default=[], metavar="LINE",
                       help='shell line run before each fit, e.g. "module load cuda" (repeatable)')
    slurm.add_argument("--slurm-resources", default="", metavar="SPEC",
                       help='per-method resources, e.g. "ner=gpus:1,mem_gb:16;umap=cpus:4" '
                            "(keys: cpus, gpus, mem_gb; overrides the methods' own)")
    slurm.add_argument("--slurm-option", action="append", default=[], metavar="KEY=VALUE",
                       help="any other sbatch option, e.g. account=mylab (repeatable)")


def slurm_options(args: argparse.Namespace) -> SlurmOptions:
    extra = {}
    for item in args.slurm_option:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise NerBenchError(f"argument --slurm-option: expected KEY=VALUE, got {item!r}")
        extra[key.strip()] = value.strip()
    return SlurmOptions(partition=args.slurm_partition,
                        time_min=parse_time(args.slurm_time) if args.slurm_time else None,
                        gpus=args.slurm_gpus, array_parallelism=args.slurm_array_parallelism,
                        setup=tuple(args.slurm_setup), resources=parse_resources(args.slurm_resources),
                        extra=extra)


def main(args: argparse.Namespace) -> int:
    from ..plugins import discover
    from ..runner import run

    table = run(methods=args.methods, tasks=args.task, dataset=args.dataset, seeds=args.seeds, out=args.out,
                plugins=args.plugin, protocol=args.protocol, budget=args.budget, data_dir=args.data_dir,
                subjects=args.subjects, sessions=args.sessions, areas=args.areas, device=args.device,
                executor=args.executor, jobs=args.jobs, gpus=args.gpus, jobs_per_gpu=args.jobs_per_gpu,
                timeout=args.timeout, retry_failed=args.retry_failed, slurm=slurm_options(args),
                progress=args.progress, fresh=args.fresh)
    print(format_summary(table))
    note = training_note(table, discover(args.plugin).methods)
    if note:
        print(note)
    ladder = calibration_note(table)
    if ladder:
        print(ladder)
    held = table.attrs.get("folder_rows", len(table))
    earlier = f"; with earlier runs' rows the folder's table holds {held}" if held != len(table) else ""
    print(f"\nresults: {RunFolder(args.out).results_csv} ({len(table)} rows from this run{earlier}, "
          f"protocol {args.protocol})")
    counts = table.attrs.get("fits")
    if counts:
        print(f"fits: {counts['planned']} planned, {counts['cached']} from {Path(args.out)} "
              f"(cache and recorded failures), {counts['ran']} run now, {counts['failed']} failed")
    for line in skip_reasons(table):
        print(line, file=sys.stderr)
    failed = failures(table)
    if len(failed):
        print(f"\n{len(failed)} failed:\n{failed.to_string(index=False)}", file=sys.stderr)
        if counts and counts["failed"]:
            print(f"(fit records: {RunFolder(args.out).fits_dir}; refit failures with --retry-failed)", file=sys.stderr)
        return 1
    return 0 if (table["status"] == OK).any() else 1


def calibration_note(table) -> str:
    """One line on the calibration-ladder rows the summary leaves out (docs/calibration.md)."""
    from ..calibration import ordered_sizes
    from ..results import on_calibration_curve

    ladder = table[on_calibration_curve(table)]
    if ladder.empty:
        return ""
    sizes = ordered_sizes(ladder["calibration_size"].dropna())
    return (f"calibration ladder: {len(ladder)} more rows ({', '.join(sorted(set(ladder['alignment'])))} at K = "
            f"{', '.join(sizes)} labelled trials of the test recording), not in the summary above: "
            "`ner-bench leaderboard` gives their calibration table")


def training_note(table, method_classes: dict) -> str:
    """One line naming the methods of the run that did not train as published (the ``paper`` budget), with
    the values that differ; empty when all did. Only the parameters some budget sets count (training
    length, not e.g. ``dim``)."""
    differences: dict[str, list[str]] = {}
    for (name, text) in table[["method", "method_params"]].drop_duplicates().itertuples(index=False):
        cls = method_classes.get(name)
        params = parse_params(text)
        if cls is None or not isinstance(params, dict):
            continue
        length_keys = sorted({key for overrides in cls.budgets.values() for key in overrides})
        if not length_keys:
            continue
        # the published lengths beside the run's other parameters (a required one, e.g. a path, included)
        published = cls(budget="paper", **{k: v for k, v in params.items() if k not in length_keys}).params
        changed = [f"{key} {params[key]} (published {published[key]})" for key in length_keys
                   if key in params and params[key] != published.get(key)]
        names = differences.setdefault(", ".join(changed), []) if changed else []
        if changed and name not in names:
            names.append(name)
    if not differences:
        return ""
    parts = [f"{', '.join(names)}: {changed}" for changed, names in differences.items()]
    return "not the published training (--budget paper trains as published): " + "; ".join(parts)

