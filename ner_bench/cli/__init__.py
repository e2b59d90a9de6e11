"""The ``ner-bench`` command. Each sub-command lives in its own module with ``add_parser`` and ``main``."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from ..errors import NerBenchError

MODULES = {"run": "run_cmd", "list": "list_cmd", "data": "data_cmd", "leaderboard": "leaderboard_cmd", "check-method": "check_cmd"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ner-bench", description=(
        "Benchmark dimensionality-reduction methods on neural population recordings (NER protocol)."))
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command, module_name in MODULES.items():
        module = importlib.import_module(f"{__name__}.{module_name}")
        module.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.handler(args) or 0)
    except NerBenchError as error:
        print(f"ner-bench: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
