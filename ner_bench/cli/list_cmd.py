"""``ner-bench list methods|tasks|datasets``."""

from __future__ import annotations

import argparse

from .options import add_plugin_option
from ..plugins import KINDS, discover


def add_parser(commands) -> None:
    parser = commands.add_parser("list", help="list the methods, tasks or datasets available",
                                 description="List the registered plug-ins of one kind with a one-line description "
                                             "and, on an indented line below it, their parameters with defaults.")
    parser.add_argument("kind", choices=sorted(KINDS))
    add_plugin_option(parser)
    parser.set_defaults(handler=main)


def format_defaults(defaults: dict) -> str:
    """``{"dim": 3, "model": "offset1-model"}`` -> ``[dim=3, model=offset1-model]`` (as given in
    brackets; an empty string shows as ``''``)."""
    return "[" + ", ".join(f"{key}={value if value != '' else repr(value)}" for key, value in defaults.items()) + "]" if defaults else ""


def main(args: argparse.Namespace) -> int:
    registry = discover(args.plugin)
    entries = registry.describe(args.kind)
    width = max((len(name) for name, _ in entries), default=0)
    for name, description in entries:
        print(f"{name:<{width}}  {description}")
        parameters = format_defaults(getattr(registry.get(args.kind, name), "defaults", None) or {})
        if parameters:
            print(f"{'':<{width}}  {parameters}")
    for module, reason in registry.unavailable.items():
        if f".{args.kind}." in module:
            print(f"(unavailable: {module.rsplit('.', 1)[-1]}: {reason})")
    return 0
