"""``ner-bench check-method NAME [--plugin FILE]``: run the method contract check and print a report."""

from __future__ import annotations

import argparse

from .options import add_plugin_option
from ..contract import all_passed, check_in_subprocess, format_report
from ..method import BUDGETS
from ..plugins import discover
from ..specs import parse_spec


def add_parser(commands) -> None:
    parser = commands.add_parser(
        "check-method", help="check that a method honours the Method contract",
        description="Fit the method on a small synthetic recording and check the output shape and dtype, "
                    "finite values, same output for the same seed, no use of behaviour in transform, and "
                    "the fit time. Exit code 1 when a check fails.")
    parser.add_argument("name", help='method name, parameters in brackets allowed, e.g. "umap[dim=3]"')
    add_plugin_option(parser)
    parser.add_argument("--budget", default="quick", choices=BUDGETS, help="training budget (default quick)")
    parser.add_argument("--seed", type=int, default=0, help="seed of both fits (default 0)")
    parser.add_argument("--time-limit", type=float, default=60.0, metavar="SECONDS",
                        help="a fit slower than this fails the check (default 60)")
    parser.set_defaults(handler=main)


def main(args: argparse.Namespace) -> int:
    spec = parse_spec(args.name, "NAME")
    registry = discover(args.plugin)
    cls = registry.get("methods", spec.name)
    cls(budget=args.budget, **{**cls.check_params, **spec.params})  # bad parameters: a one-line error
    results = check_in_subprocess(spec.name, params=spec.params, plugins=args.plugin, seed=args.seed,
                                  budget=args.budget, time_limit=args.time_limit)
    print(format_report(spec.name, results, origin=registry.origins[("methods", spec.name)]))
    return 0 if all_passed(results) else 1
