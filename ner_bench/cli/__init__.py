"""The ``ner-bench`` command. Each sub-command lives in its own module with ``add_parser`` and ``main``."""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import logging
import sys

from ..errors import NerBenchError

MODULES = {"run": "run_cmd", "list": "list_cmd", "data": "data_cmd", "leaderboard": "leaderboard_cmd", "check-method": "check_cmd"}


class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line (and a hint), not the whole usage block;
    the usage is shown with ``--help`` only. Sub-parsers inherit the class (``add_subparsers``)."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n(see {self.prog} --help)\n")


def package_version() -> str:
    try:
        return importlib.metadata.version("ner-bench")
    except importlib.metadata.PackageNotFoundError:  # running from a source tree that is not installed
        return "unknown"


def add_verbose_option(parser: argparse.ArgumentParser, default=False) -> None:
    parser.add_argument("-v", "--verbose", action="store_true", default=default, help="log progress details")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="ner-bench", description=(
        "Benchmark dimensionality-reduction methods on neural population recordings (NER protocol)."))
    parser.add_argument("--version", action="version", version=f"ner-bench {package_version()}")
    add_verbose_option(parser)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=Parser)
    for command, module_name in MODULES.items():
        module = importlib.import_module(f"{__name__}.{module_name}")
        module.add_parser(commands)
    for subparser in commands.choices.values():
        # also accepted after the sub-command; SUPPRESS keeps the value given before it
        add_verbose_option(subparser, default=argparse.SUPPRESS)
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
